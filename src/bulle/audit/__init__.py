"""Audit: typed events for every state-changing action, and the hook they go through."""

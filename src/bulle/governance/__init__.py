"""Governance: access decisions, subject filters, and the locked-down SQL executor for analysts."""

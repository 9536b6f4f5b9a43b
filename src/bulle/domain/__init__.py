"""Bulle's domain model: frozen, validated objects that do no I/O."""

"""Synthetic data: synthesizers (one per file, registered in ``SYNTHESIZERS``), dummy data from a
profile, and the privacy and utility reports measured on every run."""

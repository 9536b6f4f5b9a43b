"""Synthetic data: synthesizers and the privacy and utility reports that come with them."""

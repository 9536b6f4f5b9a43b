"""Storage and compute engines: everything that touches rows goes through an Engine."""

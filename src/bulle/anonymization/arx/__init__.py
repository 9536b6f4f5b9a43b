"""Replaying ARX 3.9.2's search where Bulle must match it bit for bit.

Bulle's own algorithm (lattice, search, models, metrics in :mod:`bulle.anonymization`) finds an
optimal transformation; where ARX's result depends on the order its FLASH search met the lattice
and on its hash tables' layout (ties, heuristic monotonicity), this sub-package replays that
search (:mod:`.replay`) with ARX's transformation checker and history (:mod:`.checker`), so the
release is ARX's very transformation. Nothing else in Bulle depends on ARX's internals.
"""

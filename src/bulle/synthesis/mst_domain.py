"""MST's domain, released with differential privacy rather than read from the data as public.

A column's categories and a number's range are facts about the people in the table (the one
patient from a small country, the oldest person's age). MST measures them with the Gaussian
sparse histogram: noisy counts of the cells present in the data, a cell released only when its
noisy count clears a threshold ``τ`` high enough that a cell holding a single record is released
with probability at most ``δ_domain / d`` (d columns, so at most ``δ_domain`` for all the cells a
record can bring). Cells present with and without the record are ordinary Gaussian measurements,
paid in ρ; the threshold pays for the others in δ (Gopi, Gulhane, Kulkarni, Shen, Shokouhi and
Yekhanin, "Differentially Private Set Union", ICML 2020).

Numbers are counted on a public grid that does not depend on the data: one significant digit
(..., 0.9, 1, 2, ..., 9, 10, 20, ..., 90, 100, 200, ...; zero is a cell of its own; negative
numbers mirror positive ones), so ages fall in decades and an income of 52 000 in [50 000,
60 000). The cells are coarse on purpose: the range is only an outer bound (the bins MST
measures are cut inside it), and a coarse cell gathers enough people to clear the threshold on
tables of a few thousand records.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

OTHER = np.array([], dtype=np.int64)  # the bucket of unreleased categories (identity matters)


def release_threshold(sigma: float, delta_domain: float, columns: int) -> float:
    """The noisy count a cell must reach: one record's cell passes with probability
    ``delta_domain / columns`` (Gaussian noise of scale ``sigma``)."""
    return 1.0 + sigma * NormalDist().inv_cdf(1.0 - delta_domain / max(1, columns))


def grid_cells(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper edges of each value's cell of the one-significant-digit grid."""
    a = np.abs(x)
    positive = a > 0
    exponent = np.where(positive, np.floor(np.log10(np.where(positive, a, 1.0))), 0.0)
    width = 10.0**exponent
    mantissa = np.clip(np.floor(a / width), 1, 9)
    low = np.where(x >= 0, mantissa * width, -(mantissa + 1) * width)
    low = np.where(positive, low, 0.0)
    high = np.where(positive, low + width, 0.0)
    return low, high


def dp_range(
    x: np.ndarray, sigma: float, threshold: float, rng: np.random.Generator
) -> tuple[float, float]:
    """The range from the lowest to the highest released cell of the grid (NaN ignored);
    ``(0, 0)`` when no cell is released (the column is then drawn as 0)."""
    x = x[np.isfinite(x)]
    if not len(x):
        return 0.0, 0.0
    low, high = grid_cells(x)
    cells, counts = np.unique(np.stack([low, high], axis=1), axis=0, return_counts=True)
    released = cells[counts + rng.normal(0.0, sigma, len(counts)) >= threshold]
    if not len(released):
        return 0.0, 0.0
    return float(released[:, 0].min()), float(released[:, 1].max())

"""The utility report of a synthetic table: how closely it follows the real data.

Three families of figures, each computed for the synthetic table against the training part (the
data it was made from) and, as a yardstick, for the control part against the training part: two
real samples of the same population also differ, and a synthetic table cannot be expected to be
closer to the training part than a fresh real sample is.

* marginals: per column the total variation distance (TVD) between the two distributions; for a
  number also the Kolmogorov–Smirnov statistic and the Wasserstein distance divided by the
  column's range in the training part. ``tvd_1way`` is the mean TVD over columns (numbers binned
  at the training part's deciles).
* pairs: ``tvd_2way`` is the mean TVD of the joint distribution of every pair of columns; the
  association matrix (Pearson's r between numbers, Cramér's V between categories, the
  correlation ratio between a number and a category) and its mean absolute difference.
* with a target, train on synthetic / test on real (:mod:`.utility_ml`).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from bulle.errors import InputError, Where
from bulle.synthesis.privacy.encoding import MISSING_CODE, Encoded, encode
from bulle.synthesis.utility_ml import ModelScores, model_scores

NUMERIC_BINS = 10  # numbers are compared on the training part's deciles


def _r(x: float | None) -> float | None:
    return None if x is None else float(round(float(x), 6))


@dataclass(frozen=True)
class ColumnUtility:
    name: str
    kind: str  # "numeric" or "categorical"
    tvd: float
    tvd_natural: float
    ks: float | None = None
    wasserstein: float | None = None  # divided by the training part's range

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "kind": self.kind,
            "tvd": _r(self.tvd),
            "tvd_natural": _r(self.tvd_natural),
        }
        if self.kind == "numeric":
            d["ks"] = _r(self.ks)
            d["wasserstein"] = _r(self.wasserstein)
        return d


@dataclass(frozen=True)
class UtilityReport:
    """Figures of the report; :meth:`to_dict` is the report's ``utility`` JSON object."""

    columns: tuple[ColumnUtility, ...]
    tvd_1way: float
    tvd_1way_natural: float
    tvd_2way: float
    tvd_2way_natural: float
    worst_pair: tuple[str, str] | None
    worst_pair_tvd: float
    names: tuple[str, ...]
    association_real: np.ndarray
    association_synthetic: np.ndarray
    association_difference: float
    association_difference_natural: float
    target: str | None = None
    model: ModelScores | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "tvd_1way": _r(self.tvd_1way),
            "tvd_2way": _r(self.tvd_2way),
            "tvd_1way_natural": _r(self.tvd_1way_natural),
            "tvd_2way_natural": _r(self.tvd_2way_natural),
            "worst_pair": None if self.worst_pair is None else list(self.worst_pair),
            "worst_pair_tvd": _r(self.worst_pair_tvd),
            "correlation_difference": _r(self.association_difference),
            "correlation_difference_natural": _r(self.association_difference_natural),
            "columns": {c.name: c.to_dict() for c in self.columns},
            "target": self.target,
        }
        if self.model is not None:
            d.update(self.model.to_dict())
        return d


def binned(enc: Encoded) -> tuple[list[np.ndarray], list[int]]:
    """Every column of the three tables as small non-negative codes (train, control, synthetic)."""
    mats = [enc.train, enc.control, enc.synthetic]
    out = [np.empty(m.shape, dtype=np.int64) for m in mats]
    sizes = []
    for j in range(len(enc.columns)):
        if enc.numeric[j]:
            t = enc.train[:, j]
            t = t[~np.isnan(t)]
            edges = (
                np.unique(np.quantile(t, np.linspace(0, 1, NUMERIC_BINS + 1)[1:-1]))
                if len(t)
                else np.array([])
            )
            for m, o in zip(mats, out, strict=True):
                x = m[:, j]
                o[:, j] = np.where(
                    np.isnan(x), len(edges) + 1, np.searchsorted(edges, x, side="right")
                )
            sizes.append(len(edges) + 2)
        else:
            for m, o in zip(mats, out, strict=True):
                o[:, j] = np.where(m[:, j] == MISSING_CODE, 0, m[:, j] + 1).astype(np.int64)
            sizes.append(int(max(o[:, j].max(initial=0) for o in out)) + 1)
    return out, sizes


def tvd(a: np.ndarray, b: np.ndarray, size: int) -> float:
    p = np.bincount(a, minlength=size) / max(1, len(a))
    q = np.bincount(b, minlength=size) / max(1, len(b))
    return 0.5 * float(np.abs(p - q).sum())


def _cramers_v(ia: np.ndarray, ib: np.ndarray) -> float:
    """Cramér's V of two columns given as codes 0..k-1 (every code present)."""
    ka, kb = ia.max() + 1, ib.max() + 1
    if ka < 2 or kb < 2:
        return 0.0
    table = np.bincount(ia * kb + ib, minlength=ka * kb).reshape(ka, kb).astype(np.float64)
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    chi2 = float(np.sum((table - expected) ** 2 / np.where(expected > 0, expected, 1.0)))
    return float(np.sqrt(chi2 / (table.sum() * (min(ka, kb) - 1))))


def _eta(x: np.ndarray, groups: np.ndarray) -> float:
    """Correlation ratio of a number and a category given as codes 0..k-1."""
    keep = ~np.isnan(x)
    x, g = x[keep], groups[keep]
    if len(x) < 2 or np.var(x) == 0:
        return 0.0
    sums, counts = np.bincount(g, weights=x), np.bincount(g)
    seen = counts > 0  # a category whose rows all lack the number has no mean
    between = np.sum(counts[seen] * (sums[seen] / counts[seen] - x.mean()) ** 2)
    return float(np.sqrt(between / (np.var(x) * len(x))))


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    keep = ~np.isnan(x) & ~np.isnan(y)
    x, y = x[keep], y[keep]
    if len(x) < 2 or np.std(x) == 0 or np.std(y) == 0:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])


def association(enc: Encoded, mat: np.ndarray) -> np.ndarray:
    """The mixed association matrix of one table (1 on the diagonal)."""
    p = len(enc.columns)
    out = np.eye(p)
    codes = {
        j: np.unique(mat[:, j], return_inverse=True)[1].reshape(-1)
        for j in range(p)
        if not enc.numeric[j]
    }
    for i, j in combinations(range(p), 2):
        if enc.numeric[i] and enc.numeric[j]:
            v = _pearson(mat[:, i], mat[:, j])
        elif enc.numeric[i]:
            v = _eta(mat[:, i], codes[j])
        elif enc.numeric[j]:
            v = _eta(mat[:, j], codes[i])
        else:
            v = _cramers_v(codes[i], codes[j])
        out[i, j] = out[j, i] = v
    return out


def _column(enc: Encoded, j: int, codes: list[np.ndarray], size: int) -> ColumnUtility:
    from scipy.stats import ks_2samp, wasserstein_distance

    tr, ct, sy = (c[:, j] for c in codes)
    name = enc.columns[j]
    if not enc.numeric[j]:
        return ColumnUtility(name, "categorical", tvd(tr, sy, size), tvd(tr, ct, size))
    t, s = enc.train[:, j], enc.synthetic[:, j]
    t, s = t[~np.isnan(t)], s[~np.isnan(s)]
    ks = w = None
    if len(t) and len(s):
        ks = float(ks_2samp(t, s).statistic)
        w = float(wasserstein_distance(t, s)) / float(enc.scale[j])
    return ColumnUtility(name, "numeric", tvd(tr, sy, size), tvd(tr, ct, size), ks, w)


def _mean_abs_offdiag(a: np.ndarray, b: np.ndarray) -> float:
    p = len(a)
    if p < 2:
        return 0.0
    iu = np.triu_indices(p, 1)
    return float(np.mean(np.abs(a[iu] - b[iu])))


def utility_report(
    train: pd.DataFrame,
    control: pd.DataFrame,
    synthetic: pd.DataFrame,
    *,
    target: str | None,
    seed: int,
) -> UtilityReport:
    """Every utility figure of one split (see the module docstring)."""
    enc = encode(train, control, synthetic)
    if target is not None and str(target) not in enc.columns:
        raise InputError(
            f"no column named {target!r} to predict", Where(field="target", column=str(target))
        )
    codes, sizes = binned(enc)
    columns = tuple(_column(enc, j, codes, sizes[j]) for j in range(len(enc.columns)))
    pair_syn: dict[tuple[str, str], float] = {}
    pair_nat: list[float] = []
    for i, j in combinations(range(len(enc.columns)), 2):
        joint = [c[:, i] * sizes[j] + c[:, j] for c in codes]
        pair_syn[(enc.columns[i], enc.columns[j])] = tvd(joint[0], joint[2], sizes[i] * sizes[j])
        pair_nat.append(tvd(joint[0], joint[1], sizes[i] * sizes[j]))
    worst = max(pair_syn, key=lambda k: (pair_syn[k], k)) if pair_syn else None
    real, syn, ctl = (association(enc, m) for m in (enc.train, enc.synthetic, enc.control))
    return UtilityReport(
        columns=columns,
        tvd_1way=float(np.mean([c.tvd for c in columns])),
        tvd_1way_natural=float(np.mean([c.tvd_natural for c in columns])),
        tvd_2way=float(np.mean(list(pair_syn.values()))) if pair_syn else 0.0,
        tvd_2way_natural=float(np.mean(pair_nat)) if pair_nat else 0.0,
        worst_pair=worst,
        worst_pair_tvd=pair_syn[worst] if worst else 0.0,
        names=enc.columns,
        association_real=real,
        association_synthetic=syn,
        association_difference=_mean_abs_offdiag(real, syn),
        association_difference_natural=_mean_abs_offdiag(real, ctl),
        target=None if target is None else str(target),
        model=None if target is None else model_scores(enc, str(target), seed),
    )

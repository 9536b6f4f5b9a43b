"""Entropy l-diversity with ARX's two estimators (Shannon, and Grassberger's corrected one).

ARX's test: at least ceil(l) distinct values and ``sum n_v psi(n_v) <= n (psi(n) - ln l)``, where
psi is ``ln`` (Shannon) or Grassberger's G (Stammler et al., PSD 2016), i.e. the estimated entropy
``psi(n) - (1/n) sum n_v psi(n_v)`` is at least ``ln l``.
"""

from __future__ import annotations

import math

import numpy as np

from bulle.anonymization.models import ClassView, Param, PrivacyModel, register

ESTIMATORS = ("shannon", "grassberger")
_EULER_GAMMA = 0.5772156649015329


def grassberger_g(n: np.ndarray) -> np.ndarray:
    """G_n as ARX computes it: exact sums up to 100, an expansion of the digamma beyond.

    G_1 = -gamma - ln 2 and G_{2m} = G_{2m+1} = -gamma - ln 2 + sum_{k=1..m} 2/(2k-1). Beyond 100
    ARX uses ln(n) + m(1/24 - m(7/960 - m 31/8064)) with m = 1/((n/2)^2) computed in 32-bit
    integers (kept, overflow included, so that very large classes are judged alike).
    """
    n = np.asarray(n, dtype=np.int64)
    out = np.empty(n.shape, dtype=np.float64)
    small = n <= 100
    if small.any():
        out[small] = _TABLE[(n[small] - n[small] % 2) // 2]
    big = ~small
    if big.any():
        even = n[big] - n[big] % 2
        half = even // 2
        prod = (half * half) & 0xFFFFFFFF
        prod = np.where(prod >= 1 << 31, prod - (1 << 32), prod).astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            m = 1.0 / prod
            out[big] = np.log(even.astype(np.float64)) + m * (
                1.0 / 24 - m * (7.0 / 960 - m * (31.0 / 8064))
            )
    return out


def _table() -> np.ndarray:
    base = -_EULER_GAMMA - math.log(2.0)
    vals = [base]  # G_1
    acc = base
    for m in range(1, 51):  # G_2, G_4, ..., G_100
        acc += 2.0 / (2 * m - 1)
        vals.append(acc)
    return np.array(vals)


_TABLE = _table()


@register
class EntropyLDiversity(PrivacyModel):
    name = "entropy-l-diversity"
    option = "--l-diversity"
    variant = "entropy"
    parameters = (
        Param("l", float, minimum=1),
        Param(
            "estimator",
            str,
            choices=ESTIMATORS,
            default="shannon",
            label="entropy estimator",
            recorded=True,
        ),
    )
    monotonic_with_suppression = False
    monotonic_without_suppression = True

    @property
    def l(self) -> float:  # noqa: E743
        return float(self.params["l"])

    @property
    def estimator(self) -> str:
        return str(self.params.get("estimator", "shannon")).lower()

    @property
    def min_class_size(self) -> int:
        return math.ceil(self.l)

    def _psi(self, n: np.ndarray) -> np.ndarray:
        if self.estimator == "shannon":
            with np.errstate(divide="ignore"):
                return np.log(n)
        return grassberger_g(n)

    def __init__(self, spec, enc):
        super().__init__(spec, enc)
        col = enc.sensitive_column(self.attribute)
        # ARX numbers values in order of first appearance in the data (when known).
        self.arx_ids = col.arx_ids if col.arx_ids is not None else np.arange(col.size)
        if self.estimator == "grassberger":
            # Shannon entropy can only grow when classes merge; Grassberger's estimate can fall
            # (two classes {a, b} pass 2-diversity, their union {a, a, b, b} fails), so no node may
            # be judged from its neighbours.
            self.monotonic_without_suppression = False

    def check(self, view: ClassView) -> np.ndarray:
        hist = view.histogram(self.attribute)
        distinct = np.count_nonzero(hist, axis=1)
        total = view.size.astype(np.int64)
        counts = hist.astype(np.int64)
        present = counts > 0
        terms = np.zeros(hist.shape, dtype=np.float64)
        terms[present] = counts[present] * self._psi(counts[present])
        sums = terms.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = total * (self._psi(np.maximum(total, 1)) - math.log(self.l))
        ok = (distinct >= self.min_class_size) & (sums <= bound)
        if self.estimator == "grassberger":
            # G(1) < 0: ARX stops summing as soon as the partial sum exceeds the bound, so the
            # order of its hash table decides classes holding a value seen once.
            for r in np.flatnonzero(ok & np.any(counts == 1, axis=1)):
                ok[r] = not _aborts(self.arx_ids, terms[r], present[r], bound[r])
        return ok

    @property
    def bounds_failures(self) -> bool:
        return self.estimator == "shannon"

    def failing_share(self, view: ClassView) -> np.ndarray:
        """Shannon entropy is concave: H(D) >= sum w_i H(C_i) >= (1 - w_fail) ln l, so the parts
        that fail hold at least 1 - H(D) / ln l of D's records."""
        log_l = math.log(self.l)
        if log_l <= 0:
            return np.zeros(view.size.shape[0])
        counts = view.histogram(self.attribute).astype(np.float64)
        n = counts.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(counts > 0, counts * np.log(np.where(counts > 0, counts, 1.0)), 0.0)
            entropy = np.log(n) - terms.sum(axis=1) / n
        share = 1.0 - (entropy + 1e-9) / log_l
        return np.where(n > 0, np.clip(share, 0.0, 1.0), 0.0)


def _aborts(arx_ids: np.ndarray, terms: np.ndarray, present: np.ndarray, bound: float) -> bool:
    """Replay ARX's early abort over its open-addressing table (capacity 8, doubled when more than
    3/4 full; home bucket = value id masked; linear probing; values inserted by increasing id)."""
    cols = np.flatnonzero(present)
    ids = arx_ids[cols]
    n = len(cols)
    capacity = 8
    while n > int(capacity * 0.75):
        capacity *= 2
    slots: list[int | None] = [None] * capacity
    for j in np.argsort(ids, kind="stable"):
        k = int(ids[j]) & (capacity - 1)
        while slots[k] is not None:
            k = (k + 1) % capacity
        slots[k] = int(j)
    partial = 0.0
    for j in slots:
        if j is None:
            continue
        partial += terms[cols[j]]
        if bound < partial:
            return True
    return False

"""Loss (Iyengar's general loss metric as implemented by ARX: ``MetricMDNMLoss``).

Per attribute: every record in an unsuppressed class costs ``share * gFactor``, where share is the
fraction of the hierarchy's rows (domain) that its generalized value covers; a suppressed record
costs 1 (or ``share + sFactor (1 - share)`` when sFactor < 1). Normalized to [0, 1] by
``(raw - gFactor N/|D|) / (N - gFactor N/|D|)``, floored to 10 decimals. Default aggregate:
geometric mean (ARX's default metric). The generalization-only value is a lower bound that never
decreases along the lattice.
"""

from __future__ import annotations

import numpy as np

from bulle.anonymization.metrics import Metric, arx_round, per_level, register


@register
class Loss(Metric):
    name = "loss"
    title = "Loss"
    default_aggregate = "geometric-mean"
    has_static_bound = True

    def __init__(self, enc, gs_factor=0.5):
        super().__init__(enc, gs_factor)
        # Sum over counted records of share(generalized value), per attribute and level.
        self.gen_raw: list[np.ndarray] = []
        self.row_share: dict[tuple[int, int], np.ndarray] = {}
        for d in range(enc.dims):
            per = []
            for level in range(enc.heights[d] + 1):
                share = enc.shares[d][level][enc.row_codes(d, level)]
                self.row_share[(d, level)] = share
                per.append(float((enc.count * share).sum()))
            self.gen_raw.append(np.array(per))
        self.domain = np.array([h.domain_size for h in enc.hierarchies], dtype=np.float64)

    def monotonic(self, suppression: bool) -> bool:
        return not suppression

    def _normalize(self, raw: np.ndarray) -> np.ndarray:
        lo = self.g_factor * self.N / self.domain
        with np.errstate(divide="ignore", invalid="ignore"):
            out = (raw - lo) / (self.N - lo)
        out = np.where(np.isnan(out), 0.0, out)
        return arx_round(np.maximum(out, 0.0))

    def static_bound(self, levels: np.ndarray) -> np.ndarray:
        raw = per_level(self.enc, self.gen_raw, levels) * self.g_factor
        return self._normalize(raw)

    def value(self, res) -> np.ndarray:
        enc = self.enc
        node = res.node
        raw = np.array([self.gen_raw[d][node[d]] for d in range(enc.dims)]) * self.g_factor
        if res.suppressed > 0:
            rows = np.flatnonzero(res.row_suppressed())
            cnt = enc.count[rows].astype(np.float64)
            for d in range(enc.dims):
                share = self.row_share[(d, node[d])][rows] * cnt
                if self.s_factor == 1.0:
                    supp = cnt.sum()
                else:
                    supp = (share + self.s_factor * (cnt - share)).sum()
                raw[d] += supp - self.g_factor * share.sum()
        return self._normalize(raw)

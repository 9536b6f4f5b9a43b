"""MST: differentially private synthesis from marginals on a maximum spanning tree (McKenna,
Miklau and Sheldon, "Winning the NIST Contest", Journal of Privacy and Confidentiality 11(3), 2021).

The budget (ε, δ) is split: half of δ pays for the domain (below), the rest with ε becomes a
zCDP budget ρ (:mod:`bulle.synthesis.accounting`); a share ``domain_share`` of ρ measures the
numeric columns' ranges, the rest is spent in thirds:

0. **Domain.** The MST paper takes the categories and numeric ranges of the data as public; they
   are not (the oldest person's age, the one patient from a small country), so they are measured
   too, with the Gaussian sparse histogram (partition selection, as in differentially private
   set union, Gopi et al., ICML 2020): a cell is released only when its noisy count clears
   ``τ = 1 + σ Φ⁻¹(1 - δ_domain / d)``, so that a cell holding one record appears with
   probability at most ``δ_domain / d`` for each of the record's d columns. A numeric column's
   values are counted on a public grid (one significant digit: ... 9, 10, 20, ... 90, 100, 200,
   ...) with noise σ_r, and its range runs from the lowest to the highest released cell; values
   outside are clipped to it. A categorical column's levels are selected from its one-way
   marginal (step 1, same noise); the records of the others form an *other* bucket, measured
   only through the two-way marginals and drawn as a missing value (a category too rare to
   publish is never written).
1. **One-way marginals**: every column's histogram with Gaussian noise (σ₁ = sqrt(3d/(2ρ)) for d
   columns). Numeric bins whose noisy count is under 3σ₁ are merged into one "rare" bucket, as
   MST does (the bins are public, so a merged bucket draws one of them uniformly).
2. **Selection**: d-1 rounds of the exponential mechanism (each ε_sel = sqrt(8(ρ/3)/(d-1)),
   score sensitivity 1) pick the pairs whose true two-way marginal is farthest (L1) from what the
   noisy one-ways predict under independence, Kruskal-style, so the chosen pairs form a maximum
   spanning tree of (noisy) dependence.
3. **Two-way marginals** on the tree's edges, with Gaussian noise (σ₂ = sqrt(3(d-1)/(2ρ))).

Everything after is post-processing, which costs no privacy: the noisy marginals are made
consistent (each column's distribution is the inverse-variance mean of its one-way and of its
edges' sums, made non-negative; each edge is fitted to its two columns' distributions by
iterative proportional fitting), and rows are sampled along the tree, each column given its
parent. A tree-structured distribution is exactly determined by these marginals, so this is the
distribution the graphical model of private-pgm would estimate for the same cliques up to the
consistency step (private-pgm is not a dependency).

**Guarantee**: (ε, δ)-differential privacy for adding or removing one training record, the
domain included: categories and ranges are released by the mechanism above, never read as
public. ``public_domain=1`` declares the data's categories and ranges public knowledge (a
published code list, a known range): they are then read from the data as in the MST paper, the
whole budget goes to the marginals, and the guarantee is given the domain. Numbers are cut into
``bins`` equal-width bins of their released range and drawn
uniformly within their bin. ``info()`` records ε, δ (and its domain share), ρ, every noise scale
and threshold, the released ranges and how many categories each column kept.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from bulle.synthesis.accounting import cdp_delta, cdp_eps, cdp_rho, exponential_rho, gaussian_rho
from bulle.synthesis.base import NULL, SYNTHESIZERS, Synthesizer
from bulle.synthesis.mst_domain import OTHER, dp_range, release_threshold

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

IPF_ROUNDS = 50  # iterative proportional fitting of an edge to its two columns' distributions


@SYNTHESIZERS.register("mst")
class MstSynthesizer(Synthesizer):
    name = "mst"
    PARAMS = {
        "epsilon": (float, 1.0, "ε of the (ε, δ)-differential privacy guarantee"),
        "delta": (float, 1e-9, "δ of the (ε, δ)-differential privacy guarantee"),
        "bins": (int, 32, "equal-width bins of each numeric column's range"),
        "domain_share": (float, 0.1, "share of the zCDP budget spent on numeric ranges"),
        "public_domain": (
            int,
            0,
            "1: the data's categories and ranges are public knowledge (a published code list, "
            "a known range) and are taken as they are, outside the guarantee",
        ),
    }

    def __init__(self, **params: Any):
        super().__init__(**params)
        from bulle.errors import InputError, Where

        p = self.params
        if not p["epsilon"] > 0 or not math.isfinite(p["epsilon"]):
            raise InputError("epsilon must be a positive number", Where(field="epsilon"))
        if not 0 < p["delta"] < 1:
            raise InputError("delta must be in (0, 1)", Where(field="delta"))
        if p["bins"] < 1:
            raise InputError("bins must be at least 1", Where(field="bins"))
        if not 0 < p["domain_share"] < 1:
            raise InputError("domain_share must be in (0, 1)", Where(field="domain_share"))
        if p["public_domain"] not in (0, 1):
            raise InputError("public_domain must be 0 or 1", Where(field="public_domain"))
        self.accounting: dict[str, Any] = {}

    # -- discretization ---------------------------------------------------------------------------
    def _discretize(self, encoded: pd.DataFrame, ranges: dict[str, tuple[float, float]]):
        """Codes of every column: categories by their text, numbers by their bin of the
        released range (values outside it clipped)."""
        import numpy as np

        kinds = self.codec.kinds()
        self.domain: dict[str, Any] = {}
        codes = np.empty((len(encoded), len(self.columns)), dtype=np.int64)
        for j, c in enumerate(self.columns):
            if kinds[c] == "categorical":
                levels, codes[:, j] = np.unique(encoded[c].to_numpy(dtype=str), return_inverse=True)
                self.domain[c] = ("categorical", levels)
            else:
                lo, hi = ranges[c]
                x = np.clip(encoded[c].to_numpy(dtype=float), lo, hi)
                edges = (
                    np.linspace(lo, hi, self.params["bins"] + 1) if hi > lo else np.array([lo, lo])
                )
                codes[:, j] = np.clip(
                    np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2
                )
                self.domain[c] = ("numeric", edges)
        return codes

    # -- fitting ----------------------------------------------------------------------------------
    def _fit(self, encoded: pd.DataFrame, rng: np.random.Generator) -> None:
        import numpy as np

        self.columns = list(encoded.columns)
        kinds = self.codec.kinds()
        numeric = [c for c in self.columns if kinds[c] == "numeric"]
        d = len(self.columns)
        eps, delta = self.params["epsilon"], self.params["delta"]
        public = bool(self.params["public_domain"])
        delta_domain = 0.0 if public else delta / 2
        rho = cdp_rho(eps, delta - delta_domain)
        # 0. the numeric ranges, a share of ρ over the numeric columns (or read, if public)
        measured = numeric and not public
        rho_range = self.params["domain_share"] * rho if measured else 0.0
        sigma_r = math.sqrt(len(numeric) / (2 * rho_range)) if measured else 0.0
        tau_r = release_threshold(sigma_r, delta_domain, d) if measured else 0.0
        ranges = {
            c: (
                _seen_range(encoded[c].to_numpy(dtype=float))
                if public
                else dp_range(encoded[c].to_numpy(dtype=float), sigma_r, tau_r, rng)
            )
            for c in numeric
        }
        codes = self._discretize(encoded, ranges)
        rho_rest = rho - rho_range
        sizes = [
            len(self.domain[c][1])
            if self.domain[c][0] == "categorical"
            else len(self.domain[c][1]) - 1
            for c in self.columns
        ]
        # 1. one-way marginals, ρ/3 over d columns
        sigma1 = math.sqrt(3 * d / (2 * rho_rest))
        tau1 = 3 * sigma1 if public else release_threshold(sigma1, delta_domain, d)
        noisy1 = [
            np.bincount(codes[:, j], minlength=sizes[j]) + rng.normal(0, sigma1, sizes[j])
            for j in range(d)
        ]
        # A category is released when its noisy count clears τ₁; the others form the OTHER
        # bucket, whose one-way count is not measured (NaN: the two-way marginals estimate it).
        # Numeric bins are public: MST's compression merges those under 3σ₁ into one bucket.
        self.groups: list[list[np.ndarray] | None] = []
        self.kept: dict[str, int] = {}
        compressed = np.empty_like(codes)
        for j, c in enumerate(self.columns):
            categorical = self.domain[c][0] == "categorical"
            cut = tau1 if categorical else 3 * sigma1
            categorical = categorical and not public  # public categories merge as numeric bins
            keep = np.where(noisy1[j] >= cut)[0]
            rare = np.where(noisy1[j] < cut)[0]
            groups = [np.array([v]) for v in keep] + ([rare] if len(rare) else [])
            mapping = np.empty(sizes[j], dtype=np.int64)
            for g, members in enumerate(groups):
                mapping[members] = g
            compressed[:, j] = mapping[codes[:, j]]
            y = np.array([noisy1[j][members].sum() for members in groups])
            if categorical:
                self.kept[c] = len(keep)
                if len(rare):
                    y[-1] = np.nan
            noisy1[j] = y
            released = categorical and len(rare)
            self.groups.append([*groups[: len(keep)], OTHER] if released else groups)
        gsize = [len(y) for y in noisy1]
        # 2. selection of d-1 edges by the exponential mechanism, ρ/3
        edges: list[tuple[int, int]] = []
        eps_sel = math.sqrt(8 * (rho_rest / 3) / (d - 1)) if d > 1 else 0.0
        if d > 1:
            seen = [np.clip(np.nan_to_num(y), 0, None) for y in noisy1]
            total = max(float(np.mean([y.sum() for y in seen])), 1.0)
            prob = [y / max(y.sum(), 1e-12) for y in seen]
            score = {}
            for a in range(d):
                for b in range(a + 1, d):
                    x = _joint(compressed[:, a], compressed[:, b], gsize[a], gsize[b])
                    score[a, b] = float(np.abs(x - total * np.outer(prob[a], prob[b])).sum())
            parent = list(range(d))

            def find(i: int) -> int:
                while parent[i] != i:
                    parent[i] = parent[parent[i]]
                    i = parent[i]
                return i

            for _ in range(d - 1):
                cands = [e for e in sorted(score) if find(e[0]) != find(e[1])]
                s = np.array([score[e] for e in cands])
                gumbel = rng.gumbel(size=len(s))
                pick = cands[int(np.argmax(eps_sel * s / 2 + gumbel))]
                edges.append(pick)
                parent[find(pick[0])] = find(pick[1])
        # 3. two-way marginals on the tree's edges, ρ/3
        sigma2 = math.sqrt(3 * max(d - 1, 1) / (2 * rho_rest))
        noisy2 = {
            (a, b): _joint(compressed[:, a], compressed[:, b], gsize[a], gsize[b])
            + rng.normal(0, sigma2, (gsize[a], gsize[b]))
            for a, b in edges
        }
        self._estimate(noisy1, noisy2, sigma1, sigma2, gsize)
        spent = d * gaussian_rho(sigma1) + (d - 1) * exponential_rho(eps_sel)
        spent += len(edges) * gaussian_rho(sigma2)
        spent += len(numeric) * gaussian_rho(sigma_r) if measured else 0.0
        self.edges = edges
        self.accounting = {
            "epsilon": eps,
            "delta": delta,
            "delta_domain": delta_domain,
            "rho_budget": rho,
            "rho_spent": spent,
            "rho_ranges": rho_range,
            "epsilon_spent": cdp_eps(spent, delta - delta_domain) if spent > 0 else 0.0,
            "delta_at_epsilon": cdp_delta(spent, eps) + delta_domain,
            "sigma_ranges": sigma_r,
            "range_threshold": tau_r,
            "sigma_one_way": sigma1,
            "category_threshold": tau1,
            "sigma_two_way": sigma2,
            "epsilon_selection": eps_sel,
            "ranges": {c: [float(lo), float(hi)] for c, (lo, hi) in ranges.items()},
            "categories_kept": dict(self.kept),
            "tree": [[self.columns[a], self.columns[b]] for a, b in edges],
        }

    def _estimate(self, noisy1, noisy2, sigma1, sigma2, gsize) -> None:
        """Consistent non-negative marginals: inverse-variance means, then IPF per edge."""
        import numpy as np

        d = len(gsize)
        est, weight = [], []
        for j in range(d):  # an unmeasured cell (NaN: the OTHER bucket) has no weight
            est.append([np.nan_to_num(noisy1[j])])
            weight.append([np.where(np.isnan(noisy1[j]), 0.0, 1 / sigma1**2)])
        for (a, b), y in noisy2.items():
            est[a].append(y.sum(axis=1))
            weight[a].append(1 / (sigma2**2 * gsize[b]))
            est[b].append(y.sum(axis=0))
            weight[b].append(1 / (sigma2**2 * gsize[a]))
        self.one = []
        for j in range(d):
            total = sum(np.broadcast_to(w, gsize[j]) for w in weight[j])
            m = sum(w * e for w, e in zip(weight[j], est[j], strict=True))
            m = np.divide(m, total, out=np.zeros(gsize[j]), where=total > 0)
            m = np.clip(m, 0, None)
            self.one.append(m / m.sum() if m.sum() > 0 else np.full(gsize[j], 1 / gsize[j]))
        self.two = {}
        for (a, b), y in noisy2.items():
            p = np.clip(y, 0, None) + 1e-12
            for _ in range(IPF_ROUNDS):
                p *= _ratio(self.one[a], p.sum(axis=1))[:, None]
                p *= _ratio(self.one[b], p.sum(axis=0))[None, :]
            self.two[a, b] = p / p.sum()

    # -- sampling ---------------------------------------------------------------------------------
    def _sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        import numpy as np
        import pandas as pd

        d = len(self.columns)
        out = np.full((n, d), -1, dtype=np.int64)
        neighbours: dict[int, list[tuple[int, np.ndarray]]] = {j: [] for j in range(d)}
        for (a, b), p in self.two.items():
            neighbours[a].append((b, p))
            neighbours[b].append((a, p.T))
        done = set()
        for root in range(d):  # one root per connected part (one part for a spanning tree)
            if root in done:
                continue
            out[:, root] = _draw(np.tile(self.one[root], (1, 1)), np.zeros(n, np.int64), rng)
            done.add(root)
            todo = [root]
            while todo:
                a = todo.pop(0)
                for b, p in neighbours[a]:
                    if b in done:
                        continue
                    rows = p.sum(axis=1, keepdims=True)
                    cond = np.where(rows > 0, p / np.where(rows > 0, rows, 1), self.one[b][None, :])
                    out[:, b] = _draw(cond, out[:, a], rng)
                    done.add(b)
                    todo.append(b)
        frame = {}
        for j, c in enumerate(self.columns):
            kind, dom = self.domain[c]
            groups = self.groups[j]
            if groups and groups[-1] is OTHER:  # unreleased categories: a missing value
                named = [dom[int(g[0])] for g in groups[:-1]]
                frame[c] = np.array([*named, NULL], dtype=object)[out[:, j]]
                continue
            # a bucket of merged values draws one of them uniformly (MST's undo of compression)
            sizes = np.array([len(g) for g in groups])
            member = np.floor(rng.random(n) * sizes[out[:, j]]).astype(np.int64)
            value = (
                np.array(
                    [groups[g][m] for g, m in zip(out[:, j], member, strict=True)], dtype=np.int64
                )
                if n
                else np.zeros(0, np.int64)
            )
            if kind == "categorical":
                frame[c] = dom[value].astype(object)
                continue
            lo, hi = dom[value], dom[np.minimum(value + 1, len(dom) - 1)]
            frame[c] = lo + rng.random(n) * (hi - lo)
        return pd.DataFrame(frame, columns=self.columns)

    def info(self) -> dict[str, Any]:
        domain = (
            "given the domain (categories and numeric ranges), declared public"
            if self.params["public_domain"]
            else "the domain (categories and numeric ranges) included"
        )
        return {
            **super().info(),
            "guarantee": "(ε, δ)-differential privacy for adding or removing one training "
            f"record, {domain}",
            "accounting": dict(self.accounting),
        }


def _seen_range(x: np.ndarray) -> tuple[float, float]:
    import numpy as np

    x = x[np.isfinite(x)]
    return (float(x.min()), float(x.max())) if len(x) else (0.0, 0.0)


def _joint(a: np.ndarray, b: np.ndarray, na: int, nb: int) -> np.ndarray:
    import numpy as np

    return np.bincount(a * nb + b, minlength=na * nb).reshape(na, nb).astype(float)


def _ratio(target: np.ndarray, current: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.divide(target, current, out=np.zeros_like(target), where=current > 0)


def _draw(cond: np.ndarray, given: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw per row from ``cond[given[i]]`` (rows of ``cond`` sum to 1)."""
    import numpy as np

    cum = np.cumsum(cond, axis=1)
    cum[:, -1] = 1.0
    u = rng.random(len(given))
    return (u[:, None] > cum[given]).sum(axis=1)

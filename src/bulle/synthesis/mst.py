"""MST: differentially private synthesis from marginals on a maximum spanning tree (McKenna,
Miklau and Sheldon, "Winning the NIST Contest", Journal of Privacy and Confidentiality 11(3), 2021).

The budget (ε, δ) becomes a zCDP budget ρ (:mod:`bulle.synthesis.accounting`), spent in thirds:

1. **One-way marginals**: every column's histogram with Gaussian noise (σ₁ = sqrt(3d/(2ρ)) for d
   columns). Values whose noisy count is under 3σ₁ are merged into one "rare" bucket, as MST
   does, so a rare category is never reproduced on its own evidence.
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

**Guarantee**: (ε, δ)-differential privacy for adding or removing one training record, *given the
domain*: categories and numeric ranges are read from the data and treated as public, as in the
MST paper; numbers are cut into ``bins`` equal-width bins of that range and drawn uniformly within
their bin. A custodian for whom the categories or the range of a column are themselves personal
must not rely on the guarantee for that column. ``info()`` records ε, δ, ρ and every noise scale.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from bulle.synthesis.accounting import cdp_delta, cdp_eps, cdp_rho, exponential_rho, gaussian_rho
from bulle.synthesis.base import SYNTHESIZERS, Synthesizer

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
        self.accounting: dict[str, Any] = {}

    # -- discretization ---------------------------------------------------------------------------
    def _discretize(self, encoded: pd.DataFrame) -> np.ndarray:
        import numpy as np

        kinds = self.codec.kinds()
        self.columns = list(encoded.columns)
        self.domain: dict[str, Any] = {}
        codes = np.empty((len(encoded), len(self.columns)), dtype=np.int64)
        for j, c in enumerate(self.columns):
            if kinds[c] == "categorical":
                levels, codes[:, j] = np.unique(encoded[c].to_numpy(dtype=str), return_inverse=True)
                self.domain[c] = ("categorical", levels)
            else:
                x = encoded[c].to_numpy(dtype=float)
                lo, hi = float(x.min()), float(x.max())
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

        codes = self._discretize(encoded)
        d = len(self.columns)
        sizes = [
            len(self.domain[c][1])
            if self.domain[c][0] == "categorical"
            else len(self.domain[c][1]) - 1
            for c in self.columns
        ]
        eps, delta = self.params["epsilon"], self.params["delta"]
        rho = cdp_rho(eps, delta)
        # 1. one-way marginals, ρ/3 over d columns
        sigma1 = math.sqrt(3 * d / (2 * rho))
        noisy1 = [
            np.bincount(codes[:, j], minlength=sizes[j]) + rng.normal(0, sigma1, sizes[j])
            for j in range(d)
        ]
        # MST's domain compression: values with noisy count under 3σ share one bucket.
        self.groups: list[list[np.ndarray]] = []
        compressed = np.empty_like(codes)
        for j in range(d):
            keep = np.where(noisy1[j] >= 3 * sigma1)[0]
            rare = np.where(noisy1[j] < 3 * sigma1)[0]
            groups = [np.array([v]) for v in keep] + ([rare] if len(rare) else [])
            mapping = np.empty(sizes[j], dtype=np.int64)
            for g, members in enumerate(groups):
                mapping[members] = g
            compressed[:, j] = mapping[codes[:, j]]
            y = np.array([noisy1[j][members].sum() for members in groups])
            noisy1[j] = y
            self.groups.append(groups)
        gsize = [len(g) for g in self.groups]
        # 2. selection of d-1 edges by the exponential mechanism, ρ/3
        edges: list[tuple[int, int]] = []
        eps_sel = math.sqrt(8 * (rho / 3) / (d - 1)) if d > 1 else 0.0
        if d > 1:
            total = max(float(np.mean([y.sum() for y in noisy1])), 1.0)
            prob = [np.clip(y, 0, None) / max(np.clip(y, 0, None).sum(), 1e-12) for y in noisy1]
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
        sigma2 = math.sqrt(3 * max(d - 1, 1) / (2 * rho))
        noisy2 = {
            (a, b): _joint(compressed[:, a], compressed[:, b], gsize[a], gsize[b])
            + rng.normal(0, sigma2, (gsize[a], gsize[b]))
            for a, b in edges
        }
        self._estimate(noisy1, noisy2, sigma1, sigma2, gsize)
        spent = d * gaussian_rho(sigma1) + (d - 1) * exponential_rho(eps_sel)
        spent += len(edges) * gaussian_rho(sigma2)
        self.edges = edges
        self.accounting = {
            "epsilon": eps,
            "delta": delta,
            "rho_budget": rho,
            "rho_spent": spent,
            "epsilon_spent": cdp_eps(spent, delta) if spent > 0 else 0.0,
            "delta_at_epsilon": cdp_delta(spent, eps),
            "sigma_one_way": sigma1,
            "sigma_two_way": sigma2,
            "epsilon_selection": eps_sel,
            "tree": [[self.columns[a], self.columns[b]] for a, b in edges],
        }

    def _estimate(self, noisy1, noisy2, sigma1, sigma2, gsize) -> None:
        """Consistent non-negative marginals: inverse-variance means, then IPF per edge."""
        import numpy as np

        d = len(gsize)
        est, weight = [], []
        for j in range(d):
            est.append([noisy1[j]])
            weight.append([1 / sigma1**2])
        for (a, b), y in noisy2.items():
            est[a].append(y.sum(axis=1))
            weight[a].append(1 / (sigma2**2 * gsize[b]))
            est[b].append(y.sum(axis=0))
            weight[b].append(1 / (sigma2**2 * gsize[a]))
        self.one = []
        for j in range(d):
            m = sum(w * e for w, e in zip(weight[j], est[j], strict=True)) / sum(weight[j])
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
            else:
                lo, hi = dom[value], dom[np.minimum(value + 1, len(dom) - 1)]
                frame[c] = lo + rng.random(n) * (hi - lo)
        return pd.DataFrame(frame, columns=self.columns)

    def info(self) -> dict[str, Any]:
        return {
            **super().info(),
            "guarantee": "(ε, δ)-differential privacy for adding or removing one training "
            "record, given the domain (categories and numeric ranges) taken as public",
            "accounting": dict(self.accounting),
        }


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

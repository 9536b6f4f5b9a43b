"""The avatar method (Guillaudeux et al., npj Digital Medicine 6:37, 2023).

Each record gets an *avatar*: a random weighted combination of its k nearest neighbours, found in
a low-dimensional projection of the table, so that no avatar is a copy of one person.

1. **Projection.** The encoded table is projected with a factor analysis of mixed data (FAMD:
   standardized numbers beside Pagès's MCA coding of categories, ``(one-hot - p) / sqrt(p)``),
   which is the principal component analysis of that coding: its axes are the leading
   eigenvectors of the coding's covariance, computed exactly (the coding has a hundred-odd
   columns, so the eigen-decomposition costs milliseconds). On a table of one kind it is MCA
   (categories only) or the PCA of the standardized numbers.
2. **Neighbours.** For each record, its ``k`` nearest *other* records in the first
   ``components`` dimensions (the record itself is never its own neighbour).
3. **Weights.** Neighbour j of a record weighs ``(1/d_j) · E_j · 2^-r_j``: the inverse of its
   distance, an exponential draw ``E_j ~ Exp(1)``, and a contribution halved by a random rank
   ``r_j`` (a permutation of 1..k), normalized to sum to 1. The noise makes the avatar of the same
   record different at every draw; the random rank keeps one neighbour from dominating.
4. **Back-projection.** The avatar is the weighted combination of its neighbours' coordinates in
   the *full* space of the coding. The coding is affine per column, so the combination projects
   back exactly: a number is the weighted mean of the neighbours' values; a category is the one
   whose MCA-coded indicators get the largest weighted sum, i.e. the neighbours' weighted mode.

**Local cloaking** (the paper's own measure): for each avatar, how many training records lie
closer to it, in the projection, than the record it stems from. Zero means the avatar points at
its own origin; the paper reports the median and the share at zero, and so does ``info()``
(measured on up to 5 000 avatars, a random subset since avatars come in random order).

No formal guarantee: like CART, the avatar method is as private as the report measures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bulle.synthesis.base import SYNTHESIZERS, Synthesizer

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

CLOAKING_SAMPLE = 5000  # avatars whose local cloaking is measured (a random subset: their order)


@SYNTHESIZERS.register("avatar")
class AvatarSynthesizer(Synthesizer):
    name = "avatar"
    PARAMS = {
        "k": (int, 5, "neighbours combined into each avatar"),
        "components": (int, 5, "dimensions of the projection in which neighbours are found"),
    }

    def __init__(self, **params: Any):
        super().__init__(**params)
        from bulle.errors import InputError, Where

        for p in ("k", "components"):
            if self.params[p] < 1:
                raise InputError(f"{p} must be at least 1", Where(field=p))
        self.cloaking: dict[str, Any] = {}

    # -- coding and projection --------------------------------------------------------------------
    def _code(self, enc: pd.DataFrame) -> np.ndarray:
        """FAMD's coding of ``enc`` with the training means, scales and proportions."""
        import numpy as np

        parts = []
        if self.num:
            x = enc[self.num].to_numpy(dtype=float)
            parts.append((x - self.mean) / self.scale)
        if self.cat:
            onehot = np.zeros((len(enc), len(self.p)))
            rows = np.arange(len(enc))
            for c, offset in zip(self.cat, self.offsets, strict=True):
                levels = self.values[c][0]
                text = enc[c].to_numpy(dtype=str)
                pos = np.minimum(np.searchsorted(levels, text), len(levels) - 1)
                known = levels[pos] == text  # a level never seen in training codes as zeros
                onehot[rows[known], offset + pos[known]] = 1.0
            parts.append((onehot - self.p) / np.sqrt(self.p))
        return np.hstack(parts)

    def _project(self, z: np.ndarray) -> np.ndarray:
        return (z - self.center) @ self.v.T

    def _fit(self, encoded: pd.DataFrame, rng: np.random.Generator) -> None:
        import numpy as np
        from sklearn.neighbors import NearestNeighbors

        kinds = self.codec.kinds()
        self.columns = list(encoded.columns)
        self.num = [c for c in self.columns if kinds[c] == "numeric"]
        self.cat = [c for c in self.columns if kinds[c] == "categorical"]
        n = len(encoded)
        self.values = {
            c: (
                encoded[c].to_numpy(dtype=float)
                if c in self.num
                else np.unique(encoded[c].to_numpy(dtype=str), return_inverse=True)
            )
            for c in self.columns
        }
        if self.num:
            x = encoded[self.num].to_numpy(dtype=float)
            self.mean = x.mean(axis=0)
            sd = x.std(axis=0)
            self.scale = np.where(sd > 0, sd, 1.0)
        if self.cat:
            sizes = [len(self.values[c][0]) for c in self.cat]
            self.offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int)
            self.p = np.concatenate(
                [
                    np.bincount(self.values[c][1], minlength=k) / n
                    for c, k in zip(self.cat, sizes, strict=True)
                ]
            )
        z = self._code(encoded)
        ncomp = max(1, min(self.params["components"], z.shape[1], n - 1))
        self.center = z.mean(axis=0)
        centred = z - self.center
        eigenvalues, vectors = np.linalg.eigh(centred.T @ centred)
        top = np.argsort(eigenvalues, kind="stable")[::-1][:ncomp]
        self.v = vectors[:, top].T
        self.projection = "famd" if self.num and self.cat else ("mca" if self.cat else "pca")
        self.coords = centred @ self.v.T
        k = min(self.params["k"], n - 1)
        nn = NearestNeighbors(n_neighbors=k + 1).fit(self.coords)
        dist, idx = nn.kneighbors(self.coords)
        # Drop each record from its own list (it is first unless it has exact duplicates).
        own = idx == np.arange(n)[:, None]
        keep = ~own
        keep[np.where(~own.any(axis=1))[0], -1] = False  # no self found: drop the farthest
        self.nbr = idx[keep].reshape(n, k)
        self.dist = dist[keep].reshape(n, k)

    # -- sampling -------------------------------------------------------------------------------
    def _sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        import numpy as np
        import pandas as pd

        total = len(self.nbr)
        origin = np.concatenate([rng.permutation(total) for _ in range(-(-n // total))])[:n]
        nbr, dist = self.nbr[origin], self.dist[origin]
        k = nbr.shape[1]
        positive = dist[dist > 0]
        floor = positive.min() / 2 if positive.size else 1.0
        ranks = np.argsort(rng.random((n, k)), axis=1) + 1
        w = (1.0 / np.maximum(dist, floor)) * rng.exponential(1.0, (n, k)) * 0.5**ranks
        w /= w.sum(axis=1, keepdims=True)
        frame: dict[str, Any] = {}
        rows = np.arange(n)
        for c in self.columns:
            if c in self.num:
                frame[c] = (self.values[c][nbr] * w).sum(axis=1)
                continue
            levels, codes = self.values[c]
            votes = np.zeros((n, len(levels)))
            for j in range(k):
                np.add.at(votes, (rows, codes[nbr[:, j]]), w[:, j])
            frame[c] = levels[votes.argmax(axis=1)].astype(object)
        out = pd.DataFrame(frame, columns=self.columns)
        self._measure_cloaking(out, origin)
        return out

    def _measure_cloaking(self, avatars: pd.DataFrame, origin: np.ndarray) -> None:
        import numpy as np
        from sklearn.neighbors import KDTree

        if not len(avatars):
            self.cloaking = {}
            return
        # the avatars come in random order: the first CLOAKING_SAMPLE estimate the distribution
        avatars, origin = avatars.iloc[:CLOAKING_SAMPLE], origin[:CLOAKING_SAMPLE]
        at = self._project(self._code(avatars))
        own = np.linalg.norm(at - self.coords[origin], axis=1)
        tree = KDTree(self.coords)
        closer = tree.query_radius(at, r=np.maximum(own * (1 - 1e-9), 0.0), count_only=True)
        self.cloaking = {
            "median": float(np.median(closer)),
            "share_zero": float(np.mean(closer == 0)),
            "avatars_measured": len(avatars),
            "definition": "training records closer to the avatar than its own origin, in the "
            "projection",
        }

    def info(self) -> dict[str, Any]:
        return {
            **super().info(),
            "projection": getattr(self, "projection", None),
            "local_cloaking": dict(self.cloaking),
        }

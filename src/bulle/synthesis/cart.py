"""Sequential CART synthesis, synthpop's algorithm (Nowok, Raab and Dibben, 2016).

The columns are visited in order. The first is drawn from its observed values (a bootstrap of
the marginal); every later column gets a decision tree fitted on the real columns before it, the
synthetic rows made so far are dropped down that tree, and each lands in a leaf whose *real*
values of the column are sampled. So each value in the output occurred in the training data, and
the joint distribution is carried by the trees' partitions.

``min_leaf`` (synthpop's ``minbucket``) is the privacy knob: a leaf holds at least that many
training records, so a value is drawn from a pool of at least ``min_leaf`` people that share the
same path through the tree; a small leaf reproduces individual records more often (the exact-copy
rate of the report shows it). Categories are given to the trees as ordinal codes and numbers as
they are; a numeric column's nulls travel in the codec's indicator column, which is visited just
before the column, so the tree of the column already knows whether the value is missing.

No formal guarantee: CART synthesis is only as private as the report measures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from bulle.synthesis.base import SYNTHESIZERS, Synthesizer

if TYPE_CHECKING:
    import pandas as pd


@SYNTHESIZERS.register("cart")
class CartSynthesizer(Synthesizer):
    name = "cart"
    PARAMS = {
        "min_leaf": (int, 5, "smallest number of training records in a tree's leaf"),
        "max_depth": (int, 0, "deepest a tree may grow (0: no limit but the leaf size)"),
    }

    def __init__(self, **params: Any):
        super().__init__(**params)
        if self.params["min_leaf"] < 1:
            from bulle.errors import InputError, Where

            raise InputError("min_leaf must be at least 1", Where(field="min_leaf"))

    def _fit(self, encoded: pd.DataFrame, rng: np.random.Generator) -> None:
        import numpy as np
        from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

        self.columns = list(encoded.columns)
        kinds = self.codec.kinds()
        self.kinds = kinds
        # Ordinal codes of categories (sorted text), shared by the features and the output.
        self.levels: dict[str, np.ndarray] = {}
        matrix = np.empty((len(encoded), len(self.columns)), dtype=float)
        for j, c in enumerate(self.columns):
            if kinds[c] == "categorical":
                levels, codes = np.unique(encoded[c].to_numpy(dtype=str), return_inverse=True)
                self.levels[c] = levels
                matrix[:, j] = codes
            else:
                matrix[:, j] = encoded[c].to_numpy(dtype=float)
        self.first = matrix[:, 0].copy()
        self.steps: list[
            tuple[Any, list[np.ndarray | None], np.ndarray, np.ndarray, np.ndarray]
        ] = []
        depth = self.params["max_depth"] or None
        categorical = [kinds[c] == "categorical" for c in self.columns]
        for j in range(1, len(self.columns)):
            y = matrix[:, j]
            seed = int(rng.integers(2**31 - 1))
            if categorical[j]:
                tree = DecisionTreeClassifier(
                    min_samples_leaf=self.params["min_leaf"], max_depth=depth, random_state=seed
                )
            else:
                tree = DecisionTreeRegressor(
                    min_samples_leaf=self.params["min_leaf"], max_depth=depth, random_state=seed
                )
            recode = [
                split_order(matrix[:, k], y, categorical[j]) if categorical[k] else None
                for k in range(j)
            ]
            x = features(matrix[:, :j], recode)
            tree.fit(x, y)
            leaves = tree.apply(x)
            order = np.argsort(leaves, kind="stable")
            ids, starts, counts = np.unique(leaves[order], return_index=True, return_counts=True)
            lookup = np.full(tree.tree_.node_count, -1, dtype=np.int64)
            lookup[ids] = np.arange(len(ids))
            pool = y[order]
            self.steps.append((tree, recode, lookup, np.stack([starts, counts]), pool))

    def _sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        import numpy as np
        import pandas as pd

        out = np.empty((n, len(self.columns)), dtype=float)
        out[:, 0] = self.first[rng.integers(0, len(self.first), size=n)] if n else []
        for j, (tree, recode, lookup, bounds, pool) in enumerate(self.steps, start=1):
            if n == 0:
                break
            leaf = lookup[tree.apply(features(out[:, :j], recode))]
            starts, counts = bounds[0][leaf], bounds[1][leaf]
            pick = starts + np.floor(rng.random(n) * counts).astype(np.int64)
            out[:, j] = pool[pick]
        frame = {}
        for j, c in enumerate(self.columns):
            if self.kinds[c] == "categorical":
                frame[c] = self.levels[c][out[:, j].astype(np.int64)].astype(object)
            else:
                frame[c] = out[:, j]
        return pd.DataFrame(frame, columns=self.columns)


def split_order(codes: np.ndarray, y: np.ndarray, categorical_y: bool) -> np.ndarray:
    """Rank of each level of a categorical predictor, in the order a tree should split it.

    A tree splits a number at thresholds; given a category's ordinal codes it could only cut the
    alphabetical order. Ordered by the mean of a numeric or two-class response, thresholds reach
    the best partition of the levels (Breiman et al., 1984, the rule rpart and so synthpop use);
    for more classes, by the levels' class shares projected on their first principal axis
    (Coppersmith, Hong and Hosking, 1999).
    """
    import numpy as np

    codes = codes.astype(np.int64)
    n_levels = int(codes.max()) + 1
    counts = np.bincount(codes, minlength=n_levels).astype(float)
    if categorical_y and len(np.unique(y)) > 2:
        classes = y.astype(np.int64)
        k = int(classes.max()) + 1
        table = np.bincount(codes * k + classes, minlength=n_levels * k).reshape(n_levels, k)
        shares = table / np.maximum(counts, 1.0)[:, None]
        centre = (counts @ shares) / counts.sum()
        dev = (shares - centre) * np.sqrt(counts)[:, None]
        axis = np.linalg.svd(dev, full_matrices=False)[2][0]
        score = (shares - centre) @ axis
    else:
        score = np.bincount(codes, weights=y, minlength=n_levels) / np.maximum(counts, 1.0)
    score = np.where(counts > 0, score, np.inf)
    rank = np.empty(n_levels, dtype=float)
    rank[np.argsort(score, kind="stable")] = np.arange(n_levels)
    return rank


def features(x: np.ndarray, recode: list[np.ndarray | None]) -> np.ndarray:
    """The predictors of a tree: categorical codes replaced by their split order."""
    out = x.copy()
    for k, rank in enumerate(recode):
        if rank is not None:
            out[:, k] = rank[x[:, k].astype(np.int64)]
    return out

"""Offline LiRA: how much a training pipeline tells about who was in its training set.

Carlini et al., "Membership Inference Attacks From First Principles" (IEEE S&P 2022), offline
variant with a global variance. Why this attack: it is the strongest practical one at low
false-positive rates, and its offline form only needs models trained *without* each record, so
the same shadows can score any model trained on these rows (the released one too).

1. Shadows: ``n_shadows`` models, each record in exactly half of them (Carlini's balanced
   assignment: for each record a seeded permutation of the shadows picks the half that sees it),
   so every record has the same number of models it is *out* of.
2. For each record and shadow, the confidence in the record's true label, logit-scaled
   (``log p - log(1 - p)``), which makes it close to Gaussian.
3. Out-only Gaussian: per record, the mean of its out-confidences; one variance for all records,
   pooled over every out-confidence (per-record variances from eight values are too noisy).
4. The target: the same pipeline trained on a known member set; each record's score is how many
   standard deviations its confidence under the target sits above its out-mean. A higher score
   means "more likely a member"; the one-sided p-value is the chance a non-member scores as high.

The reference pipeline (a regularised one, chosen by the caller) goes through the same shadows'
row sets, member set and seeds, so the two are compared on the same footing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from bulle.errors import InputError, Where
from bulle.learning.audit.statistics import AttackFigures, attack_figures

Predict = Callable[[pd.DataFrame], np.ndarray]
Fit = Callable[[pd.DataFrame, np.ndarray, int], Predict]

CLIP = 1e-12  # a probability of exactly 0 or 1 has no logit; beyond this it changes no ranking


@dataclass(frozen=True)
class RecordScore:
    """One record's place in the audit, for a DPO answering a data subject."""

    position: int
    member: bool  # in the audit's target training set (not the released model's)
    score: float  # standard deviations above the record's out-mean
    p_value: float  # chance a non-member's confidence is as high, by the shadows' Gaussian
    flag_fpr: float  # share of the audit's non-members scoring as high: the FPR that flags it

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True, eq=False)
class PipelineAudit:
    """The attack on one pipeline: figures, per-record scores and the shadows' statistics."""

    figures: AttackFigures
    scores: np.ndarray  # per row position
    out_mean: np.ndarray  # per row position: mean logit confidence of the out-shadows
    sigma: float  # the global standard deviation of out-confidences
    accuracy_members: float  # the target's accuracy on its training rows ...
    accuracy_non_members: float  # ... and on the rows it never saw (the generalisation gap)

    def score(self, p_class1: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Scores of any model's class-1 probabilities on these rows, against these shadows."""
        return (logit_confidence(np.asarray(p_class1, dtype=float), y) - self.out_mean) / self.sigma

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.figures.to_dict(),
            "sigma": self.sigma,
            "accuracy": {
                "members": self.accuracy_members,
                "non_members": self.accuracy_non_members,
            },
        }


@dataclass(frozen=True, eq=False)
class MembershipAudit:
    """An offline LiRA audit of a pipeline and, when given, of its regularised reference."""

    n_records: int
    n_shadows: int
    seed: int
    members: np.ndarray  # boolean, per row position: the audit target's training set
    target: PipelineAudit
    reference: PipelineAudit | None

    @property
    def auc(self) -> float:
        return self.target.figures.auc

    @property
    def tpr_at_0_1pct_fpr(self) -> float:
        return self.target.figures.tpr_at_0_1pct_fpr

    @property
    def tpr_at_1pct_fpr(self) -> float:
        return self.target.figures.tpr_at_1pct_fpr

    def record(self, position: int) -> RecordScore:
        """The audit's verdict on the record at ``position`` (the caller maps it to a subject)."""
        if not 0 <= position < self.n_records:
            raise InputError(
                f"row position {position} is outside the audited rows (0 to {self.n_records - 1})",
                Where(field="position"),
            )
        z = float(self.target.scores[position])
        outside = self.target.scores[~self.members]
        flag_fpr = float(np.count_nonzero(outside >= z) / len(outside))
        return RecordScore(
            position, bool(self.members[position]), z, float(stats.norm.sf(z)), flag_fpr
        )

    def record_scores(self) -> dict[int, float]:
        """Every record's score, keyed by row position."""
        return {i: float(s) for i, s in enumerate(self.target.scores)}

    def to_dict(self) -> dict[str, Any]:
        d = self.target.to_dict()
        d["reference"] = None if self.reference is None else self.reference.to_dict()
        d.update(
            attack="offline LiRA, global variance (Carlini et al., IEEE S&P 2022)",
            n_shadows=self.n_shadows,
            out_shadows_per_record=self.n_shadows - self.n_shadows // 2,
            n_records=self.n_records,
            seed=self.seed,
        )
        return d


def logit_confidence(p_class1: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The logit of the probability given to each record's true label."""
    p = np.where(np.asarray(y) == 1, p_class1, 1.0 - p_class1)
    p = np.clip(p, CLIP, 1.0 - CLIP)
    return np.log(p) - np.log1p(-p)


def membership_audit(
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    fit: Fit,
    reference_fit: Fit | None,
    n_shadows: int,
    seed: int,
    target_members: np.ndarray | None = None,
) -> MembershipAudit:
    """Audit ``fit``'s pipeline (and ``reference_fit``'s) on these rows; deterministic per seed.

    ``fit(X, y, seed)`` trains on those rows and returns a function giving the probability of
    class 1 for each row of a frame. ``target_members`` is a boolean mask or row positions of the
    target's training set; by default a seeded random half.
    """
    y = _labels(X, y)
    n = len(y)
    if isinstance(n_shadows, bool) or not isinstance(n_shadows, int) or n_shadows < 2:
        raise InputError(
            f"an audit needs at least 2 shadow models, got {n_shadows!r}", Where(field="n_shadows")
        )
    seq = np.random.SeedSequence(seed)
    keep_seq, member_seq, fit_seq = seq.spawn(3)
    rng = np.random.default_rng(keep_seq)
    keep = rng.random((n_shadows, n)).argsort(axis=0) < n_shadows // 2
    members = _members(target_members, n, np.random.default_rng(member_seq))
    seeds = [int(s) for s in fit_seq.generate_state(n_shadows + 1) % (2**31 - 1)]
    target = _attack(X, y, fit, keep, members, seeds, "fit")
    reference = (
        None
        if reference_fit is None
        else _attack(X, y, reference_fit, keep, members, seeds, "reference_fit")
    )
    return MembershipAudit(n, n_shadows, seed, members, target, reference)


def _attack(
    X: pd.DataFrame,
    y: np.ndarray,
    fit: Fit,
    keep: np.ndarray,
    members: np.ndarray,
    seeds: list[int],
    name: str,
) -> PipelineAudit:
    conf = np.empty(keep.shape)
    for s in range(keep.shape[0]):
        conf[s] = logit_confidence(_train_predict(fit, X, y, keep[s], seeds[s], name), y)
    out = ~keep
    out_mean = np.where(out, conf, 0.0).sum(axis=0) / out.sum(axis=0)
    resid = np.where(out, conf - out_mean, 0.0)
    dof = max(int(out.sum()) - keep.shape[1], 1)
    sigma = float(np.sqrt((resid**2).sum() / dof))
    if sigma == 0.0:  # every out-confidence equals its mean: nothing to scale by, nothing learnt
        sigma = 1.0
    p = _train_predict(fit, X, y, members, seeds[-1], name)
    scores = (logit_confidence(p, y) - out_mean) / sigma
    right = (p >= 0.5) == (y == 1)
    return PipelineAudit(
        figures=attack_figures(scores, members),
        scores=scores,
        out_mean=out_mean,
        sigma=sigma,
        accuracy_members=float(right[members].mean()),
        accuracy_non_members=float(right[~members].mean()),
    )


def _train_predict(
    fit: Fit, X: pd.DataFrame, y: np.ndarray, rows: np.ndarray, seed: int, name: str
) -> np.ndarray:
    """Train on ``rows`` (a mask) and predict every row; a broken contract is a bug, not input."""
    predict = fit(X.iloc[np.flatnonzero(rows)], y[rows], seed)
    p = np.asarray(predict(X), dtype=float)
    if p.shape != (len(X),):
        raise ValueError(f"{name}'s model returned shape {p.shape} for {len(X)} rows")
    if not np.all(np.isfinite(p)) or p.min() < 0 or p.max() > 1:
        raise ValueError(f"{name}'s model returned values that are not probabilities")
    return p


def _labels(X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
    if not isinstance(X, pd.DataFrame):
        raise InputError("the audited rows must be a pandas DataFrame", Where(field="X"))
    labels = np.asarray(y)
    if labels.ndim != 1 or len(labels) != len(X):
        raise InputError(
            f"{labels.size} labels for {len(X)} rows: one label per row is needed", Where(field="y")
        )
    if labels.dtype == bool:
        labels = labels.astype(int)
    values = set(np.unique(labels).tolist())
    if not values <= {0, 1}:
        shown = sorted(map(str, values - {0, 1}))[:5]
        raise InputError(f"labels must be 0 or 1, found {', '.join(shown)}", Where(field="y"))
    if len(labels) < 4:
        raise InputError(f"an audit needs at least 4 rows, got {len(labels)}", Where(field="X"))
    return labels.astype(int)


def _members(given: np.ndarray | None, n: int, rng: np.random.Generator) -> np.ndarray:
    where = Where(field="target_members")
    if given is None:
        mask = np.zeros(n, dtype=bool)
        mask[rng.permutation(n)[: n // 2]] = True
        return mask
    arr = np.asarray(given)
    if arr.dtype == bool:
        if arr.shape != (n,):
            raise InputError(f"a member mask needs {n} entries, got {arr.size}", where)
        mask = arr.copy()
    elif arr.ndim == 1 and np.issubdtype(arr.dtype, np.integer):
        if len(arr) and (arr.min() < 0 or arr.max() >= n):
            raise InputError(f"member positions must be between 0 and {n - 1}", where)
        if len(np.unique(arr)) != len(arr):
            raise InputError("member positions are repeated", where)
        mask = np.zeros(n, dtype=bool)
        mask[arr] = True
    else:
        raise InputError("target members must be a boolean mask or integer row positions", where)
    if mask.all() or not mask.any():
        raise InputError(
            "the audit target needs members and non-members: the attack is judged on both", where
        )
    return mask

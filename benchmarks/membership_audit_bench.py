"""Membership audit on adult: time of an offline LiRA audit with 16 shadows, and its figures.

    .venv/bin/python benchmarks/membership_audit_bench.py [--shadows 16] [--seed 0] [--overfit]

Three LightGBM pipelines, single-threaded: ``model`` (100 rounds of 31 leaves, LightGBM's
defaults), ``reference`` (regularised: 15 leaves, at least 100 records per leaf, L2 10) and, with
``--overfit``, a deliberately over-fitted one (256 leaves, one record per leaf allowed, 200
rounds). Printed next to each other from the same run:

* the audit's wall time (shadows + target, for the model and for its reference), next to the time
  of one training of the same pipeline on half the rows times the number of trainings: the audit
  is bounded below by that, so the gap is the attack's own cost;
* the reference figure quoted for it (about 18 s for 16 shadows on adult, another run on this kind of
  machine: quoted, not measured here);
* the audit's AUC and TPR at 0.1 % and 1 % FPR, next to scikit-learn's ``roc_auc_score`` and
  ``roc_curve`` on the same scores (the reference implementation of those statistics);
* the release gate's verdict at the default settings.

``run_audit`` is importable (``benchmarks/forget_bench.py`` reports the audit time with it).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import lightgbm
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score, roc_curve

from bulle.learning.audit import Fit, membership_audit, release_decision
from bulle.settings import defaults

HERE = Path(__file__).resolve().parent
ADULT = HERE.parent.parent / "shared" / "data" / "arx" / "adult.csv"
EARLIER_SECONDS = 18.0  # the reference figure quoted for 16 shadows on adult (another run)
BASE = {"objective": "binary", "num_threads": 1, "deterministic": True, "verbose": -1}
PIPELINES: dict[str, tuple[dict[str, Any], int]] = {
    "model": ({}, 100),
    "reference": ({"num_leaves": 15, "min_data_in_leaf": 100, "lambda_l2": 10}, 100),
    "overfit": (
        {
            "num_leaves": 256,
            "min_data_in_leaf": 1,
            "min_data_per_group": 1,
            "cat_smooth": 0,
            "cat_l2": 0,
            "lambda_l2": 0,
        },
        200,
    ),
}


def lightgbm_fit(name: str) -> Fit:
    params, rounds = PIPELINES[name]

    def fit(X: pd.DataFrame, y: np.ndarray, seed: int):
        data = lightgbm.Dataset(X, y)
        return lightgbm.train({**BASE, **params, "seed": seed}, data, rounds).predict

    return fit


def load_adult(path: Path = ADULT) -> tuple[pd.DataFrame, np.ndarray]:
    """Adult's eight attributes as features (categories from the table), salary class as label."""
    df = pd.read_csv(path, sep=";")
    y = (df.pop("salary-class") == ">50K").to_numpy().astype(int)
    for column in df.columns:
        if column != "age":
            df[column] = pd.Categorical(df[column])
    return df, y


def run_audit(
    X: pd.DataFrame, y: np.ndarray, fit: Fit, reference_fit: Fit | None, shadows: int, seed: int
) -> dict[str, Any]:
    """One audit and the gate at default settings, with its wall time in seconds."""
    start = time.perf_counter()
    audit = membership_audit(
        X, y, fit=fit, reference_fit=reference_fit, n_shadows=shadows, seed=seed
    )
    seconds = time.perf_counter() - start
    decision = release_decision(audit, defaults())
    return {"seconds": seconds, "audit": audit, "decision": decision}


def one_training_seconds(X: pd.DataFrame, y: np.ndarray, fit: Fit) -> float:
    half = np.random.default_rng(0).permutation(len(y))[: len(y) // 2]
    start = time.perf_counter()
    fit(X.iloc[half], y[half], 0)(X)
    return time.perf_counter() - start


def report(name: str, result: dict[str, Any], trainings: int, one: float) -> None:
    audit, decision = result["audit"], result["decision"]
    scores, members = audit.target.scores, audit.members
    fpr, tpr, _ = roc_curve(members, scores)
    sk_low, sk_one = tpr[fpr <= 0.001].max(), tpr[fpr <= 0.01].max()
    f = audit.target.figures
    print(
        f"{name:10} audit {result['seconds']:7.1f} s   {trainings} trainings x one "
        f"{one:.2f} s = {trainings * one:6.1f} s   (reference, quoted: ~{EARLIER_SECONDS:.0f} s)"
    )
    print(
        f"{'':10} AUC {f.auc:.4f} [{f.auc_ci[0]:.4f}, {f.auc_ci[1]:.4f}] "
        f"(scikit-learn {roc_auc_score(members, scores):.4f})   "
        f"TPR@0.1% {f.tpr_at_0_1pct_fpr:.4f} [{f.point(0.001).ci[0]:.4f}, "
        f"{f.point(0.001).ci[1]:.4f}] (scikit-learn {sk_low:.4f})   "
        f"TPR@1% {f.tpr_at_1pct_fpr:.4f} (scikit-learn {sk_one:.4f})"
    )
    print(
        f"{'':10} accuracy members {audit.target.accuracy_members:.4f}, non-members "
        f"{audit.target.accuracy_non_members:.4f}   gate: "
        f"{'released' if decision.released else 'blocked'}"
        + "".join(f"\n{'':12}- {r}" for r in decision.reasons)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shadows", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--overfit", action="store_true", help="also audit an over-fitted model")
    parser.add_argument("--data", type=Path, default=ADULT)
    args = parser.parse_args()
    X, y = load_adult(args.data)
    print(f"adult: {len(y)} records, {args.shadows} shadows, seed {args.seed}, one thread")
    names = ["reference", "model"] + (["overfit"] if args.overfit else [])
    for name in names:
        fit = lightgbm_fit(name)
        one = one_training_seconds(X, y, fit)
        result = run_audit(X, y, fit, None, args.shadows, args.seed)
        report(name, result, args.shadows + 1, one)
    both = run_audit(
        X, y, lightgbm_fit("model"), lightgbm_fit("reference"), args.shadows, args.seed
    )
    print(f"model + reference in one audit (what a release runs): {both['seconds']:.1f} s")
    for warning in both["decision"].warnings:
        print(f"  warning: {warning}")


if __name__ == "__main__":
    main()

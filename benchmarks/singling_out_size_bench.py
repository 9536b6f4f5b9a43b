"""Which control-size model of singling out is nearer the truth: the gamma model or the paper's curve.

The singling-out risk compares how many predicates written from the synthetic table single out
a training record with how many single out a control record; the control part is smaller, so its
count is brought to the training size by a model (``bulle.synthesis.privacy.size_correction``).
Here the truth is known: adult is split into a training part, a control part a quarter of its
size, and a *holdout* part of other people as large as the training part. The synthetic table is
fitted on the training part; the count of predicates that single out a holdout record is what
the corrected control count estimates. For each seed the script prints the raw control count,
the truth, both models' estimates, and the risks each gives against the truth's.

It also fits the paper's curve the way anonymeter 1.1.0 does (``scipy.optimize.curve_fit`` from
its starting point, within its bounds) on the same sub-sample counts, next to Bulle's global
least-squares fit of the same curve, with both sums of squared errors: anonymeter's local fit can
stop far from the least-squares curve, with a correction factor under 1.

    python benchmarks/singling_out_size_bench.py [--methods cart avatar] [--seeds 4]
        [--training 12000] [--attacks 1000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ADULT = HERE.parent.parent / "shared" / "data" / "arx" / "adult.csv"


def anonymeter_factor(sizes: np.ndarray, successes: np.ndarray, n_control: int, n_train: int):
    """anonymeter 1.1.0's ``_fit_model`` on the same counts: (factor, sum of squared errors)."""
    from scipy.optimize import curve_fit

    def model(x, w, norm):
        return norm * (1 - (x * w + 1) * (1 - w) ** x) / (x + 1)

    w0 = 1 / np.max(sizes)
    popt, _ = curve_fit(
        model, sizes, successes, bounds=(0, (1, np.inf)), p0=(w0, 1 / model(np.max(sizes), w0, 1))
    )
    sse = float(np.sum((successes - model(sizes, *popt)) ** 2))
    return model(n_train, *popt) / model(n_control, *popt), sse


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--methods", nargs="+", default=["cart", "avatar"])
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--training", type=int, default=12000)
    ap.add_argument("--attacks", type=int, default=1000)
    args = ap.parse_args()
    from bulle.services.synthesis import read_csv_frame
    from bulle.synthesis.base import make
    from bulle.synthesis.privacy.encoding import encode
    from bulle.synthesis.privacy.predicates import count_bits, match_bits, single_matches
    from bulle.synthesis.privacy.singling_out import distinct, multivariate_queries
    from bulle.synthesis.privacy.size_correction import (
        control_successes,
        fit_weight,
        singling_integral,
        subsample_successes,
    )

    if not ADULT.exists():
        print(f"{ADULT} is missing", file=sys.stderr)
        return 2
    adult = read_csv_frame(ADULT, ";")
    n_t, n_c, n = args.training, args.training // 4, args.attacks
    if 2 * n_t + n_c > len(adult):
        print(f"adult has {len(adult)} records: too few for --training {n_t}", file=sys.stderr)
        return 2
    print(f"adult: {n_t} training, {n_c} control, {n_t} holdout records; {n} attacks")
    print("method seed written main | control raw truth gamma paper | risk truth gamma paper")
    errors: dict[str, list[float]] = {"gamma": [], "paper": []}
    for method in args.methods:
        for seed in range(args.seeds):
            order = np.random.default_rng(seed).permutation(len(adult))
            parts = (order[:n_t], order[n_t : n_t + n_c], order[n_t + n_c : 2 * n_t + n_c])
            train, control, holdout = (adult.iloc[p].reset_index(drop=True) for p in parts)
            synthetic = make(method).fit(train, seed).sample(n_t, seed)
            enc = encode(train, control, synthetic)
            syn, tr, ct = distinct(enc.synthetic), distinct(enc.train), distinct(enc.control)
            ho = distinct(encode(train, holdout, synthetic).control)
            q = multivariate_queries(enc, syn, n, 3, np.random.default_rng(seed))
            main = int(single_matches(*q, tr).sum())
            truth = int(single_matches(*q, ho).sum())
            bits = match_bits(*q, ct)
            raw = int((count_bits(bits, len(ct)) == 1).sum())
            est = {
                m: control_successes(bits, len(ct), len(tr), np.random.default_rng(seed), m)
                for m in ("gamma", "paper")
            }

            def risk(c: float, main: int = main) -> float:
                return max(0.0, (main - c) / (n - c))

            for m in est:
                errors[m].append(abs(est[m] - truth) / truth)
            print(
                f"{method:6} {seed:4} {len(q[0]):7} {main:4} | {raw:11} {truth:5} "
                f"{est['gamma']:5.0f} {est['paper']:5.0f} | {risk(truth):10.3f} "
                f"{risk(est['gamma']):5.3f} {risk(est['paper']):5.3f}",
                flush=True,
            )
            sizes, successes = subsample_successes(bits, len(ct), np.random.default_rng(seed))
            factor, sse = anonymeter_factor(sizes, successes, len(ct), len(tr))
            w = fit_weight(sizes, successes)
            f = singling_integral(sizes, w)
            global_sse = float(np.sum((successes - (f @ successes) / (f @ f) * f) ** 2))
            ours = float(singling_integral(len(tr), w) / singling_integral(len(ct), w))
            print(
                f"{'':11} paper's curve: anonymeter's fit factor {factor:.2f} (SSE {sse:.0f}), "
                f"least squares factor {ours:.2f} (SSE {global_sse:.0f})"
            )
    for m, e in errors.items():
        print(f"{m}: mean relative error of the control count {np.mean(e):.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Runs anonymeter's three evaluators on one split; executed only inside the benchmark's own
virtual environment (benchmarks/.venvs/anonymeter), never by Bulle.

    python anonymeter_runner.py SPEC.json   (prints one JSON object on stdout)

SPEC holds the CSV paths of the training, control and synthetic tables, the number of attacks,
the two linkability column groups, the inference secrets with their known columns, and a seed.
"""

from __future__ import annotations

import inspect
import json
import os
import sys
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("POLARS_MAX_THREADS", "1")

import pandas as pd
from anonymeter.evaluators import (
    InferenceEvaluator,
    LinkabilityEvaluator,
    SinglingOutEvaluator,
)


def figures(evaluator) -> dict:
    risk = evaluator.risk()
    res = evaluator.results()
    out = {"risk": float(risk.value), "ci": [float(risk.ci[0]), float(risk.ci[1])]}
    out["training"] = float(res.attack_rate.value)
    out["control"] = None if res.control_rate is None else float(res.control_rate.value)
    out["baseline"] = float(res.baseline_rate.value)
    out["attacks"] = int(getattr(res, "n_attacks", None) or res.n_attacks_ori)
    return out


def seeded(cls, **kw):
    if "seed" in inspect.signature(cls.__init__).parameters:
        kw["seed"] = spec["seed"]
    return cls(**kw)


def evaluate(evaluator, **kw):
    if "n_jobs" in inspect.signature(evaluator.evaluate).parameters:
        kw["n_jobs"] = 1
    return evaluator.evaluate(**kw)


with open(sys.argv[1]) as f:
    spec = json.load(f)
warnings.simplefilter("ignore")
read = lambda p: pd.read_csv(p, sep=";")  # noqa: E731
train, control, synthetic = read(spec["train"]), read(spec["control"]), read(spec["synthetic"])
n = spec["attacks"]
result: dict = {"seconds": {}}
for mode in ("univariate", "multivariate"):
    t = time.perf_counter()
    ev = seeded(
        SinglingOutEvaluator, ori=train, syn=synthetic, control=control, n_attacks=n, n_cols=3
    )
    evaluate(ev, mode=mode)
    result[f"singling_out_{mode}"] = figures(ev)
    result["seconds"][f"singling_out_{mode}"] = time.perf_counter() - t
t = time.perf_counter()
ev = LinkabilityEvaluator(
    ori=train,
    syn=synthetic,
    control=control,
    n_attacks=n,
    aux_cols=tuple(spec["groups"]),
    n_neighbors=1,
)
evaluate(ev)
result["linkability"] = figures(ev)
result["seconds"]["linkability"] = time.perf_counter() - t
t = time.perf_counter()
result["inference"] = {}
for secret, known in spec["secrets"].items():
    ev = InferenceEvaluator(
        ori=train, syn=synthetic, control=control, aux_cols=known, secret=secret, n_attacks=n
    )
    evaluate(ev)
    result["inference"][secret] = figures(ev)
result["seconds"]["inference"] = time.perf_counter() - t
print(json.dumps(result))

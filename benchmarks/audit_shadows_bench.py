"""The model audit on adult with single-model shadows and with shadows sharded like the model.

    OMP_NUM_THREADS=1 python benchmarks/audit_shadows_bench.py [--sharded] [--scratch DIR]

Trains two 16-shard SISA LightGBM models on adult (LightGBM's defaults, and an over-fitted one:
256 leaves, one record per leaf, 200 rounds), audits each with 16 single-model shadows (what
``bulle model audit`` does) and, with ``--sharded``, the default model again with shadows sharded
like it (``--sharded-shadows``: about 17 times longer). Prints, per audit, its time, the attack's
AUC and TPRs and the release decision, next to each other (docs/models.md, "Why single-model
shadows").
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import forget_bench as fb

OVERFIT = {"num_leaves": 256, "min_data_in_leaf": 1, "num_boost_round": 200}


def main() -> None:
    from bulle.services import model_release, model_training

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sharded", action="store_true", help="also audit with sharded shadows")
    ap.add_argument("--scratch", type=Path, default=None)
    a = ap.parse_args()
    scratch = a.scratch or Path(tempfile.mkdtemp(prefix="audit-bench-"))
    scratch.mkdir(parents=True, exist_ok=True)
    src = scratch / "adult.csv"
    fb.write_people(src, 1)
    ws = fb.world(scratch / "ws", src)
    target = "salary-class"
    model_training.train(ws, "p", "adult", target, shards=16, name="default")
    model_training.train(ws, "p", "adult", target, shards=16, name="overfit", params=OVERFIT)
    runs = [("default", 1), ("overfit", 1)] + ([("default", None)] if a.sharded else [])
    for name, shards in runs:
        t = time.perf_counter()
        r = model_release.audit(ws, name, shadows=16, shadow_shards=shards)
        mode = "single" if shards == 1 else "sharded"
        print(f"{name:8s} shadows {mode:8s} {time.perf_counter() - t:6.1f} s   attack AUC "
              f"{r.auc:.3f}   TPR@0.1% {r.tpr_at_0_1pct_fpr:.4f}   TPR@1% {r.tpr_at_1pct_fpr:.4f}"
              f"   released {r.released}   reference AUC {r.reference.get('auc'):.3f}",
              flush=True)  # fmt: skip
    ws.close()


if __name__ == "__main__":
    main()

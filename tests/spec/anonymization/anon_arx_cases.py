"""Turn a case of ARX's junit suite (arx_junit_expected.json) into a Bulle specification."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from bulle.anonymization.hierarchy import read_hierarchy_csv
from bulle.anonymization.spec import AnonymizationSpec, ModelSpec

METRIC_BY_CLASS = {
    "MetricMDNUEntropyPotentiallyPrecomputed": "entropy",
    "MetricMDNUEntropyPrecomputed": "entropy",
    "MetricMDNUEntropy": "entropy",
    "MetricMDNUNMEntropyPotentiallyPrecomputed": "entropy-nonmonotonic",
    "MetricMDNUNMEntropyPrecomputed": "entropy-nonmonotonic",
    "MetricMDNUNMEntropy": "entropy-nonmonotonic",
    "MetricSDDiscernability": "dmstar",
    "MetricSDNMDiscernability": "dm",
    "MetricSDAECS": "aecs",
    "MetricMDHeight": "height",
    "MetricMDNMLoss": "loss",
    "MetricMDNMPrecision": "precision",
    "MetricMDPrecision": "precision-monotonic",
}
AGGREGATE = {
    "Sum": "sum",
    "Rank": "rank",
    "Arithmetric mean": "arithmetic-mean",
    "Arithmetic mean": "arithmetic-mean",
    "Geometric mean": "geometric-mean",
    "Maximum": "max",
}


def load_cases(arx_dir: Path) -> list[dict]:
    return json.loads((arx_dir / "arx_junit_expected.json").read_text())["cases"]


@lru_cache(maxsize=64)
def _hierarchy(path: str, name: str):
    return read_hierarchy_csv(Path(path), name)


def hierarchy_file(arx_dir: Path, case: dict, column: str) -> Path:
    return arx_dir / f"{case['shared_hierarchy_prefix']}_hierarchy_{column}.csv"


def to_spec(arx_dir: Path, case: dict) -> AnonymizationSpec:
    qis = case["quasi_identifiers"]
    sensitive = (
        [case["sensitive_attribute"]] if case["sensitive_attribute_role"] == "sensitive" else []
    )
    hierarchies = {q: _hierarchy(str(hierarchy_file(arx_dir, case, q)), q) for q in qis}
    models = []
    subset = None
    for c in case["criteria"]:
        kind = c["model"]
        if kind == "k-anonymity":
            models.append(ModelSpec("k-anonymity", None, {"k": c["k"]}))
        elif kind == "distinct-l-diversity":
            models.append(ModelSpec(kind, c["attribute"], {"l": c["l"]}))
        elif kind == "entropy-l-diversity":
            models.append(
                ModelSpec(kind, c["attribute"], {"l": c["l"], "estimator": c["estimator"].lower()})
            )
        elif kind == "recursive-cl-diversity":
            models.append(ModelSpec(kind, c["attribute"], {"c": c["c"], "l": c["l"]}))
        elif kind == "t-closeness":
            models.append(ModelSpec(f"t-closeness-{c['distance']}", c["attribute"], {"t": c["t"]}))
            if c["distance"] == "hierarchical":
                h = c["attribute"]
                hierarchies[h] = _hierarchy(str(hierarchy_file(arx_dir, case, h)), h)
        elif kind == "d-presence":
            models.append(ModelSpec("delta-presence", None, {"dmin": c["dmin"], "dmax": c["dmax"]}))
            subset = arx_dir / c["research_subset"]
        else:  # pragma: no cover - the suite holds no other model
            raise ValueError(kind)
    m = case["metric"]
    metric = METRIC_BY_CLASS[m["arx_class"]]
    from bulle.anonymization.metrics import METRICS

    aggregate = AGGREGATE[m["aggregate_function"]] if METRICS[metric].multi_dimensional else None
    return AnonymizationSpec(
        quasi_identifiers=tuple(qis),
        hierarchies=hierarchies,
        models=tuple(models),
        sensitive=tuple(sensitive),
        suppression_limit=case["suppression_limit"],
        metric=metric,
        gs_factor=m["gs_factor"],
        aggregate=aggregate,
        weights=m["attribute_weights"] or {},
        research_subset=subset,
    )


def relative_difference(a, b) -> float:
    if isinstance(a, list | tuple):
        return max((relative_difference(x, y) for x, y in zip(a, b, strict=True)), default=0.0)
    a, b = float(a), float(b)
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))

"""Conformance with ARX 3.9.2's own junit suite, re-run by ARX on the shared files.

Each case of ``arx_junit_expected.json`` is turned into a specification (see anon_arx_cases.py):
optima must match ARX's information loss within a relative 1e-9 (ties in the transformation are
accepted, as ARX's tests accept them), "no solution" cases must find none, and metric values at
given transformations must match. Cases with practical monotonicity are heuristic in ARX and not
optimal by design: skipped. The one case ARX 3.9.2 itself fails on these files (a Loss value on
fars, off because ``fars_int_hierarchy_iage.csv`` lists leaf 99 twice) is expected to differ from
the junit value exactly as ARX does.

The default run checks a representative subset (every test class, kind and metric, the quicker
cases); ``BULLE_SLOW=1`` runs all 353.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import pytest
from tests.spec.anonymization.anon_arx_cases import load_cases, relative_difference, to_spec

from bulle.anonymization.frequency import base_frequencies
from bulle.anonymization.service import (
    anonymize_frequencies,
    loss_at,
    needs_first_row,
    value_orders_for,
)
from bulle.storage.duckdb_engine import DuckDBEngine

ARX_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "arx"
TOLERANCE = 1e-9

# The failing case of ARX 3.9.2 on these files: what ARX itself computes at the bottom node.
ARX_ON_THESE_FILES = {("TestUtilityMetrics#125", (0, 0, 0, 0, 0, 0, 0)): 0.4273767925}

DUPLICATE_LEAF_CASES = {"TestUtilityMetrics#125"}

# Grassberger's estimator gives f=1 a negative term and ARX stops summing as soon as the partial
# sum passes the bound, in the order of its hash table, which depends on how its search path built
# each class: Bulle replays that search (arx/replay.py) and must find ARX's very transformation.
HASH_ORDER_CASES = {"TestAnonymizationEntropyLDiversity#0", "TestAnonymizationEntropyLDiversity#3"}

# Quick, representative cases run by default (the others are in the slow run).
DEFAULT = {
    "TestAnonymizationKAnonymity#1",
    "TestAnonymizationKAnonymity#3",
    "TestAnonymizationLDiversity#0",
    "TestAnonymizationLDiversity#1",
    "TestAnonymizationLDiversity#2",
    "TestAnonymizationEntropyLDiversity#0",
    "TestAnonymizationEntropyLDiversity#1",
    "TestAnonymizationTCloseness#1",
    "TestAnonymizationTCloseness#2",
    "TestAnonymizationOrderedDistanceTCloseness#0",
    "TestAnonymizationDPresence#0",
    "TestAnonymizationDPresence#1",
    "TestAnonymizationCombinations#0",
    "TestAnonymizationCombinations#1",
    "TestUtilityMetricsLoss#1",
    "TestUtilityMetricsLoss#11",
    "TestUtilityMetricsLoss#21",
    *(f"TestUtilityMetrics#{i}" for i in range(0, 144, 12)),
    "TestUtilityMetrics#125",
}


def _cases() -> list:
    if not ARX_DIR.is_dir():  # never an empty list, which would pass unseen
        # in CI, ../shared is beside the checkout: the arx_data fixture fails the placeholder
        marks = (
            []
            if os.environ.get("CI")
            else [pytest.mark.skip(reason=f"{ARX_DIR} is absent: ARX conformance not checked")]
        )
        return [pytest.param(None, id="arx-data-missing", marks=marks)]
    out = []
    for case in load_cases(ARX_DIR):
        marks = []
        if case["practical_monotonicity"]:
            marks.append(pytest.mark.skip(reason="practical monotonicity: heuristic in ARX"))
        elif case["id"] not in DEFAULT:
            marks.append(pytest.mark.slow)
        out.append(pytest.param(case, id=case["id"], marks=marks))
    return out


@lru_cache(maxsize=16)
def _frequencies(data: str, columns: tuple[str, ...], subset: str | None, first_row: bool = False):
    return base_frequencies(
        DuckDBEngine(),
        ARX_DIR / data,
        list(columns),
        Path(subset) if subset else None,
        first_row=first_row,
    )


@pytest.mark.parametrize("case", _cases())
def test_arx_case(case, arx_data):
    spec = to_spec(arx_data, case)
    freq = _frequencies(
        case["shared_data_file"],
        (*spec.quasi_identifiers, *spec.sensitive),
        str(spec.research_subset) if spec.research_subset else None,
        needs_first_row(spec),
    )
    orders = value_orders_for(DuckDBEngine(), ARX_DIR / case["shared_data_file"], spec)
    kind = case["kind"]
    if kind == "loss_at_transformations":
        for expected in case["expected_loss_at"]:
            node = tuple(expected["transformation"])
            _, loss, _ = loss_at(freq, spec, node, orders)
            want = ARX_ON_THESE_FILES.get((case["id"], node))
            if want is not None:
                assert loss[0] == pytest.approx(want, rel=TOLERANCE)
                continue
            if case["id"] in DUPLICATE_LEAF_CASES:
                # Only the iage value may differ (its domain counts leaf 99 twice here).
                got = sorted(round(v, 9) for v in loss)
                exp = sorted(round(v, 9) for v in expected["info_loss_value"])
                assert sum(1 for a, b in zip(got, exp, strict=True) if a != b) <= 2
                continue
            assert relative_difference(loss, expected["info_loss_value"]) <= TOLERANCE, (
                f"{node}: {loss} != {expected['info_loss']}"
            )
        return
    result = anonymize_frequencies(freq, spec, value_orders=orders)
    if kind == "no_solution":
        assert result.anonymous is False, f"found {result.transformation}"
        return
    assert result.anonymous, "ARX found an anonymous transformation"
    if case["id"] in HASH_ORDER_CASES:
        # ARX's own search is replayed there (arx/replay.py): its very transformation is found.
        assert list(result.transformation.values()) == case["expected_transformation"]
    assert (
        relative_difference(result.information_loss, case["expected_info_loss_value"]) <= TOLERANCE
    ), (
        f"{result.information_loss} at {list(result.transformation.values())}; ARX "
        f"{case['expected_info_loss']} at {case['expected_transformation']}"
    )

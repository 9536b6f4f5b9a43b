"""ARX's search replayed for Grassberger's entropy l-diversity: hash-table layouts, first rows,
when the replay applies, and that it finds the optimum where the order cannot matter."""

from __future__ import annotations

import itertools

import pytest

from bulle.anonymization.arx.checker import Layout, _capacity
from bulle.anonymization.arx.replay import FlashReplay, replays
from bulle.anonymization.encoding import FIRST_ROW
from bulle.anonymization.frequency import base_frequencies
from bulle.anonymization.hierarchy import Hierarchy
from bulle.anonymization.search import Search
from bulle.anonymization.service import anonymize_table, needs_first_row, prepare
from bulle.anonymization.spec import AnonymizationSpec, ModelSpec
from bulle.storage.duckdb_engine import DuckDBEngine


def test_capacity_is_the_next_power_of_two():
    assert [_capacity(n) for n in (0, 1, 2, 3, 5, 8, 9)] == [16, 1, 2, 4, 8, 8, 16]


def test_values_probe_linearly_from_their_home_bucket():
    t = Layout()
    t.add_all([9, 1, 3, 9])  # 9 and 1 share bucket 1; 9 again changes nothing
    assert t.slots == [-1, 9, 1, 3, -1, -1, -1, -1]
    assert t.packed() == [9, 1, 3]


def test_table_doubles_past_three_quarters_and_reinserts_in_bucket_order():
    t = Layout()
    t.add_all([9, 1, 2, 3, 4, 5])  # 6 values: still 8 buckets (threshold 6)
    assert len(t.slots) == 8
    t.add(6)  # 7 > 6: 16 buckets, 9 and 1 no longer collide
    assert len(t.slots) == 16
    assert t.packed() == [1, 2, 3, 4, 5, 6, 9]


def test_roll_up_reuses_the_table_a_snapshot_rebuilds_it():
    grown = Layout()
    grown.add_all([9, 1, 2, 3, 4, 5, 6])
    grown_order = [v for v in grown.packed() if v in (1, 9)]
    reused = grown.copy()
    rebuilt = Layout.from_packed([1, 9])  # sized for two values: 1 and 9 collide again
    assert grown_order == [1, 9]
    assert reused.packed() == grown.packed()
    assert rebuilt.packed() == [9, 1]
    assert len(Layout.from_packed([5]).slots) == 2  # capacity 1, doubled by its first value


@pytest.fixture
def csv_table(tmp_path):
    rows = ["g;h;s", "a;x;p", "b;x;q", "a;x;p", "a;y;q", "b;x;q", "a;x;r"]
    path = tmp_path / "t.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_first_row_column_only_when_asked(csv_table):
    engine = DuckDBEngine()
    plain = base_frequencies(engine, csv_table, ["g", "h", "s"])
    assert FIRST_ROW not in plain.column_names
    freq = base_frequencies(engine, csv_table, ["g", "h", "s"], first_row=True)
    got = {(r["g"], r["h"], r["s"]): r[FIRST_ROW] for r in freq.to_pylist()}
    assert got == {("a", "x", "p"): 0, ("b", "x", "q"): 1, ("a", "y", "q"): 3, ("a", "x", "r"): 5}


H_G = Hierarchy.from_rows([["g1", "*"], ["g2", "*"], ["g3", "*"]], name="g")
H_H = Hierarchy.from_rows(
    [["h1", "h12", "*"], ["h2", "h12", "*"], ["h3", "h34", "*"], ["h4", "h34", "*"]], name="h"
)


def _spec(suppression=0.1, estimator="grassberger", metric="entropy-nonmonotonic", l=2):  # noqa: E741
    return AnonymizationSpec(
        quasi_identifiers=("g", "h"),
        hierarchies={"g": H_G, "h": H_H},
        models=(ModelSpec("entropy-l-diversity", "s", {"l": l, "estimator": estimator}),),
        sensitive=("s",),
        suppression_limit=suppression,
        metric=metric,
    )


def _doubled_csv(path):
    """Every combination twice: no class ever holds a value once, so the order cannot matter."""
    lines = ["g;h;s"]
    values = "pqrst"
    for n, (g, h) in enumerate(itertools.product(("g1", "g2", "g3"), ("h1", "h2", "h3", "h4"))):
        for j in range(1 + n % 3):
            lines += [f"{g};{h};{values[(n + j) % 5]}"] * 2
    path.write_text("\n".join(lines) + "\n")
    return path


def test_replay_applies_only_to_its_configuration(tmp_path):
    data = _doubled_csv(tmp_path / "d.csv")
    engine = DuckDBEngine()

    def applies(spec, first_row=True):
        freq = base_frequencies(engine, data, ["g", "h", "s"], first_row=first_row)
        _, evaluator, metric, _ = prepare(freq, spec)
        return replays(evaluator, metric)

    assert needs_first_row(_spec()) and applies(_spec())
    assert not applies(_spec(), first_row=False)
    assert not needs_first_row(_spec(suppression=0.0)) and not applies(_spec(suppression=0.0))
    assert not needs_first_row(_spec(estimator="shannon")) and not applies(
        _spec(estimator="shannon")
    )
    assert not applies(_spec(metric="entropy"))  # monotonic: ARX runs another FLASH
    assert applies(_spec(metric="loss"))  # replayed without level bounds
    assert applies(_spec(metric="dm"))  # bounded by DM* once checked
    assert not applies(_spec(metric="aecs"))  # ARX's AECS bound not replayed
    assert not applies(_spec(l=1))  # no minimal class size


@pytest.mark.parametrize("l", [2, 3])
def test_replay_finds_the_optimum_when_order_cannot_matter(tmp_path, l):  # noqa: E741
    data = _doubled_csv(tmp_path / "d.csv")
    freq = base_frequencies(DuckDBEngine(), data, ["g", "h", "s"], first_row=True)
    enc, evaluator, metric, aggregate = prepare(freq, _spec(suppression=0.3, l=l))
    replayed = FlashReplay(evaluator, metric, aggregate).run()
    _, evaluator, metric, aggregate = prepare(freq, _spec(suppression=0.3, l=l))
    searched = Search(evaluator, metric, aggregate).run()
    assert (replayed.node is None) == (searched.node is None)
    if searched.node is not None:
        assert replayed.score[0] == pytest.approx(searched.score[0], rel=1e-12)
        assert replayed.result.suppressed == int(enc.count[replayed.result.row_suppressed()].sum())


def test_anonymize_table_replays_and_releases(tmp_path):
    data = _doubled_csv(tmp_path / "d.csv")
    result = anonymize_table(DuckDBEngine(), data, _spec(suppression=0.3))
    assert result.anonymous and result.transformation != {"g": 1, "h": 2}
    out = tmp_path / "out.csv"
    assert result.write(DuckDBEngine(), data, out) == len(data.read_text().splitlines()) - 1
    starred = [line for line in out.read_text().splitlines()[1:] if line.startswith("*;*;")]
    assert len(starred) == result.suppressed_records

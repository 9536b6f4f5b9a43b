"""Wide tables: batched profiling gives the per-column statistics, and the Arrow CSV path types
columns as DuckDB's whole-file inference does."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bulle.services.vault import import_table
from bulle.storage.sqltext import ident


def _reference_profile(con, path, schema, top=5):
    """Per column, one query at a time: the plain definition the batched profiler must match."""
    out = []
    src = f"read_parquet('{path}')"
    n = con.execute(f"SELECT count(*) FROM {src}").fetchone()[0]
    for col in schema:
        c = ident(col["name"])
        nn, d, mn, mx, avg, mxl = con.execute(
            f"SELECT count({c}), count(DISTINCT {c}), min({c})::VARCHAR, max({c})::VARCHAR, "
            f"avg(length({c}::VARCHAR)), max(length({c}::VARCHAR)) FROM {src}"
        ).fetchone()
        tops = con.execute(
            f"SELECT {c}::VARCHAR, count(*) FROM {src} WHERE {c} IS NOT NULL "
            f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {top}"
        ).fetchall()
        values = {
            r[0]
            for r in con.execute(f"SELECT {c}::VARCHAR FROM {src} WHERE {c} IS NOT NULL").fetchall()
        }
        out.append(
            {
                "name": col["name"],
                "rows": n,
                "non_null": nn,
                "distinct": d,
                "min": mn,
                "max": mx,
                "mean_length": avg,
                "max_length": mxl,
                "top_values": [{"value": v, "count": k} for v, k in tops],
                "values": values,
            }
        )
    return out


@pytest.mark.parametrize("cells", [4_000_000, 7, 1])
def test_batched_profile_equals_the_per_column_definition(ws, tmp_path, monkeypatch, cells):
    from bulle.storage import profiling_sql

    monkeypatch.setattr(
        profiling_sql, "CELLS_PER_BATCH", cells
    )  # 1 column per batch, a few, or all
    table = pa.table(
        {
            "id": list(range(12)),
            "nom": ["a", "b", "b", None, "c", "c", "c", "a", None, "d", "e", "b"],
            "montant": [1.5, None, 2.0, 2.0, 3.25, None, 1.5, 1.5, 0.0, -1.0, 2.0, 2.0],
            "vide": pa.array([None] * 12, pa.string()),
            "quand": [dt.date(2020, 1, i + 1) for i in range(12)],
            "code": ["x"] * 12,
        }
    )
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    engine = ws.engine
    got = engine.profile(path)
    con = engine.connect()
    try:
        want = _reference_profile(con, path, engine._schema(con, path))
    finally:
        con.close()
    for g, w in zip(got, want, strict=True):
        for key in (
            "name",
            "rows",
            "non_null",
            "distinct",
            "min",
            "max",
            "max_length",
            "top_values",
        ):
            assert g[key] == w[key], (g["name"], key)
        assert (
            g["mean_length"] == pytest.approx(w["mean_length"])
            if w["mean_length"] is not None
            else g["mean_length"] is None
        )
        assert set(g["sample"]) == w["values"]  # fewer than SAMPLE_ROWS values: all of them


def test_profile_batches_hold_one_type_and_shrink_with_rows():
    from bulle.storage import profiling_sql

    schema = [{"name": f"c{i}", "type": "BIGINT" if i % 3 else "VARCHAR"} for i in range(2500)]
    short = profiling_sql.batches(schema, rows=3)
    assert sorted(i for b in short for i in b) == list(range(2500))
    assert all(len({schema[i]["type"] for i in b}) == 1 for b in short)
    assert max(len(b) for b in short) <= profiling_sql.MAX_BATCH
    long = profiling_sql.batches(schema, rows=profiling_sql.CELLS_PER_BATCH)
    assert all(len(b) == 1 for b in long)


def _wide_csv(path, rows: list[list[str]], extra: int) -> None:
    head = ["entier", "reel", "jour", "horodatage", "booleen", "texte", "vide", "tardif"]
    with open(path, "w") as f:
        f.write(",".join(head + [f"x{i}" for i in range(extra)]) + "\n")
        for r in rows:
            f.write(",".join(r + ["1"] * extra) + "\n")


def test_wide_csv_types_match_duckdb_inference(ws, tmp_path, monkeypatch):
    from bulle.storage import csv_arrow

    monkeypatch.setattr(csv_arrow, "BLOCK_BYTES", 1 << 13)  # ten blocks: inference spans them
    rows = [
        [
            str(i),
            f"{i}.5" if i else "2",
            f"2024-01-{i % 28 + 1:02d}",
            f"2024-01-02 03:04:{i % 60:02d}",
            "true" if i % 2 else "false",
            f"t{i}",
            "",
            str(i),
        ]
        for i in range(40)
    ]
    rows[-1][-1] = "pas un nombre"  # a column numeric in the first blocks, text in the last
    narrow, wide = tmp_path / "narrow.csv", tmp_path / "wide.csv"
    _wide_csv(narrow, rows, 0)
    _wide_csv(wide, rows, csv_arrow.WIDE_COLUMNS)
    by_duckdb = import_table(ws, narrow, "narrow")
    by_arrow = import_table(ws, wide, "wide")
    assert by_arrow.schema[:8] == by_duckdb.schema
    assert [c["type"] for c in by_duckdb.schema] == [
        "BIGINT",
        "DOUBLE",
        "DATE",
        "TIMESTAMP",
        "BOOLEAN",
        "VARCHAR",
        "VARCHAR",
        "VARCHAR",
    ]
    a = ws.engine.read_table(ws.path_of(by_arrow), [c["name"] for c in by_duckdb.schema])
    b = ws.engine.read_table(ws.path_of(by_duckdb))
    assert a.equals(b)


def test_wide_csv_ragged_row_gives_the_line(ws, tmp_path, snapshot):
    from bulle.errors import InputError

    src = tmp_path / "wide.csv"
    n = 1001  # read by Arrow (csv_arrow.WIDE_COLUMNS is 1000)
    src.write_text(
        ",".join(f"c{i}" for i in range(n))
        + "\n"
        + ",".join("1" * n)
        + "\n"
        + ",".join("1" * (n - 1))
        + "\n"
    )
    before = snapshot(ws)
    with pytest.raises(InputError) as err:
        import_table(ws, src, "t")
    assert f"expected {n} fields, found {n - 1}" in str(err.value)
    assert err.value.where.line == 3
    assert snapshot(ws) == before


def test_wide_table_roles_are_audited_by_digest(ws):
    """An audit event holds at most 64 KiB: a wide table's role map is bound by its SHA-256."""
    from bulle.audit.format import canonical_json, sha256_hex
    from bulle.services.vault import set_roles

    names = [f"mesure_biologique_{i:05d}" for i in range(3000)]
    v = import_table(ws, pa.table({n: [1, 2] for n in names}), "large")
    set_roles(ws, v.ref, confirm_all=True)
    events = {e.event["kind"]: e.event["details"] for e in ws.audit_log.read()}
    roles = {r.column: r.role.value for r in ws.catalog.roles(v.dataset, v.number)}
    profiled, confirmed = events["dataset.profile"], events["dataset.roles"]
    assert profiled["suggested_roles_count"] == 3000
    assert profiled["suggested_roles_sha256"] == sha256_hex(canonical_json(roles))
    assert sum(profiled["suggested_roles_by_role"].values()) == 3000
    assert confirmed["roles_sha256"] == sha256_hex(canonical_json(roles))
    assert confirmed["confirmed_sha256"] == sha256_hex(canonical_json(names))


def test_narrow_table_roles_are_listed_in_the_audit_event(ws):
    v = import_table(ws, pa.table({"age": [1, 2], "ville": ["a", "b"]}), "small")
    details = [
        e.event["details"] for e in ws.audit_log.read() if e.event["kind"] == "dataset.profile"
    ][-1]
    assert details["suggested_roles"] == {
        r.column: r.role.value for r in ws.catalog.roles(v.dataset, v.number)
    }


def test_wide_csv_row_longer_than_a_block_is_refused_clearly(ws, tmp_path, monkeypatch, snapshot):
    from bulle.errors import InputError
    from bulle.storage import csv_arrow

    monkeypatch.setattr(csv_arrow, "BLOCK_BYTES", 1 << 13)
    n = csv_arrow.WIDE_COLUMNS + 1
    src = tmp_path / "wide.csv"
    src.write_text(
        ",".join(f"c{i}" for i in range(n))
        + "\n"
        + ",".join(["x" * 20_000] + ["1"] * (n - 1))
        + "\n"
    )
    before = snapshot(ws)
    with pytest.raises(InputError, match="a row is longer than"):
        import_table(ws, src, "t")
    assert snapshot(ws) == before

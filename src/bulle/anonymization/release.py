"""Writing the released table through the engine: generalized values, suppressed records handled.

The release keeps every column and the original row order. Each quasi-identifier is replaced by
its value at the chosen level; records of a suppressed class have all their quasi-identifiers
replaced by ``*`` (ARX's output) or are removed. The work is one SQL query over the source (the
data, or the research subset for δ-presence, whose records are the ones ARX releases), joined with
small mapping tables; the file is written next to its destination and renamed into place.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from bulle.anonymization.frequency import _csv_source, _ident, _q, is_csv
from bulle.errors import InputError, Where

if TYPE_CHECKING:
    from bulle.anonymization.service import AnonymizationResult
    from bulle.storage.engine import Engine

SUPPRESSED_VALUE = "*"


def _arrow_strings(values: list[str]):
    import pyarrow as pa

    return pa.array(values, type=pa.string())


def write_release(engine: Engine, result: AnonymizationResult, source: Path, dest: Path,
                  suppressed: str = "star", *, keep_formulas: bool = False) -> int:
    """Write the release of ``source`` to ``dest`` (.csv or .parquet); return the rows written.

    In a CSV, text cells a spreadsheet would run as formulas are neutralised unless
    ``keep_formulas`` (``bulle.formulas``)."""
    import pyarrow as pa

    if not hasattr(engine, "connect"):
        raise InputError(f"the {getattr(engine, 'name', 'current')} engine cannot write releases yet")
    maps = result.generalization_maps()
    qis = list(result.encoded.qis)
    sup_rows = result.suppressed_class_values()
    relation = _csv_source(source)[0] if is_csv(source) else f"read_parquet({_q(source)})"
    con = engine.connect()
    try:
        columns = [r[0] for r in con.sql(f"DESCRIBE SELECT * FROM {relation}").fetchall()]
        for i, q in enumerate(qis):
            leaves = list(maps[q])
            con.register(f"__bulle_map{i}", pa.table({"v": _arrow_strings(leaves),
                                                      "g": _arrow_strings([maps[q][v] for v in leaves])}))
        joins = []
        for i, q in enumerate(qis):
            joins.append(f"LEFT JOIN __bulle_map{i} m{i} ON coalesce(d.{_ident(q)}, '') = m{i}.v")
        sup_join = ""
        flag = "FALSE"
        if sup_rows:
            con.register("__bulle_sup", pa.table({f"s{i}": _arrow_strings([r[i] for r in sup_rows])
                                                  for i in range(len(qis))}))
            cond = " AND ".join(f"m{i}.g = s.s{i}" for i in range(len(qis)))
            sup_join = f"LEFT JOIN (SELECT DISTINCT *, TRUE AS hit FROM __bulle_sup) s ON {cond}"
            flag = "coalesce(s.hit, FALSE)"
        select = []
        for c in columns:
            if c in qis:
                i = qis.index(c)
                select.append(f"CASE WHEN {flag} THEN {_q(SUPPRESSED_VALUE)} ELSE m{i}.g END AS {_ident(c)}")
            else:
                select.append(f"d.{_ident(c)}")
        where = f"WHERE NOT {flag}" if suppressed == "remove" else ""
        sql = (f"SELECT {', '.join(select)} FROM (SELECT *, row_number() OVER () AS __bulle_rn "
               f"FROM {relation}) d {' '.join(joins)} {sup_join} {where} ORDER BY d.__bulle_rn")
        dest = Path(dest)
        tmp = dest.with_name(f".{dest.name}.tmp")
        if dest.suffix.lower() == ".parquet":
            options = "FORMAT parquet, COMPRESSION zstd"
        else:
            delim = ";"
            if is_csv(source):
                from bulle.storage import csv_checks
                from bulle.storage.engine import CsvOptions

                delim = csv_checks.sniff(source, CsvOptions(all_varchar=True)).delimiter
            options = f"FORMAT csv, HEADER true, DELIMITER {_q(delim)}"
            if not keep_formulas:
                from bulle.formulas import sql_select

                sql = sql_select(con, sql)
        try:
            con.execute(f"COPY ({sql}) TO {_q(tmp)} ({options})")
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(tmp, dest)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise InputError(f"cannot write the release: {exc.strerror or exc}", Where(file=str(dest))) from None
        return result.records - (result.suppressed_records if suppressed == "remove" else 0)
    finally:
        con.close()

"""The runner of SQL jobs, inside the sandbox: each ``CREATE TABLE name AS ...`` is an output.

A ``.sql`` job is a list of statements run by DuckDB over the project's view (each dataset a
view named after it). Every ``CREATE TABLE name AS SELECT ...`` becomes an output of kind
``frequency`` (its last numeric column holds the counts), unless a comment line ``-- kind:
magnitude`` (or another kind) directly precedes it: a magnitude table's cells cannot be checked
without the records behind them, so it is sent to a person as a file. Other statements (``SELECT``
to look, ``CREATE VIEW``, ``SET``) run and leave nothing.

Run: ``python -m bulle.job_sql /job/main.sql``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

CREATE = re.compile(
    r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?TABLE\s+([A-Za-z_][A-Za-z0-9_]*)\s+AS\b", re.I | re.S
)
KIND = re.compile(r"^\s*--\s*kind\s*:\s*([a-z]+)\s*$", re.I | re.M)


def split_statements(text: str) -> list[tuple[str, str | None]]:
    """Statements with the kind their leading comment declares (quotes and comments respected)."""
    out, buf, quote, i = [], [], None, 0
    while i < len(text):
        ch = text[i]
        if quote:
            buf.append(ch)
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
            buf.append(ch)
        elif text.startswith("--", i):
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
            buf.append(text[i:end])
            i = end
            continue
        elif ch == ";":
            out.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    out.append("".join(buf))
    result = []
    for stmt in out:
        body = "\n".join(line for line in stmt.splitlines() if not line.strip().startswith("--"))
        if not body.strip():
            continue
        kinds = KIND.findall(stmt)
        result.append((stmt, kinds[-1].lower() if kinds else None))
    return result


def main(path: str) -> None:
    import duckdb

    from bulle import job

    con = duckdb.connect(config={"threads": 1})
    for dataset in job.datasets():
        con.execute(
            f"CREATE VIEW \"{dataset}\" AS SELECT * FROM read_parquet('{job.DATA / dataset}.parquet')"
        )
    for number, (stmt, kind) in enumerate(split_statements(Path(path).read_text()), start=1):
        try:
            con.execute(stmt)
        except duckdb.Error as exc:
            raise SystemExit(f"statement {number}: {exc}") from None
        body = "\n".join(ln for ln in stmt.splitlines() if not ln.strip().startswith("--"))
        match = CREATE.match(body)
        if match is None:
            continue
        name = match.group(1)
        df = con.execute(f'SELECT * FROM "{name}"').df()
        if kind in (None, "frequency", "histogram"):
            job.output_table(name, df, kind=kind or "frequency")
        else:
            csv = Path("/tmp") / f"{name}.csv"
            df.to_csv(csv, index=False)
            job.output_file(name, csv)


if __name__ == "__main__":
    main(sys.argv[1])

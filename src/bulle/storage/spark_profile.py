"""Column statistics in Spark, in the shape of :mod:`bulle.storage.profiling_sql`'s.

Two jobs whatever the width: one aggregate gives each column's non-null count, typed range and
lengths; the columns then go, as text, into one long ``(column, value)`` stream grouped once by
``(column, value)`` for the exact distinct count and the most frequent values, and ranked by a
hash of each row's position for the classifier's sample (a deterministic pseudo-random choice of
``sample_rows`` non-null values per column; not the same choice as DuckDB's hash makes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bulle.storage import spark_rows as rows
from bulle.storage.profiling_sql import column_profile

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def profile(
    df: DataFrame, schema: list[dict[str, str]], top: int, sample_rows: int
) -> list[dict[str, Any]]:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if not schema:
        return []
    names = [c["name"] for c in schema]
    as_text = rows.texts(df, names)
    aggs = [F.count(F.lit(1)).alias("__n")]
    for i, (name, text) in enumerate(zip(names, as_text, strict=True)):
        c = F.col(rows.q(name))
        aggs += [
            F.count(c).alias(f"c{i}"),
            F.min(c).cast("string").alias(f"lo{i}"),
            F.max(c).cast("string").alias(f"hi{i}"),
            F.avg(F.length(text)).alias(f"al{i}"),
            F.max(F.length(text)).alias(f"ml{i}"),
        ]
    wide = df.agg(*aggs).collect()[0]
    n = int(wide["__n"])
    pairs = F.array(
        *[
            F.struct(F.lit(i).alias("k"), t.alias("v"))
            for i, t in enumerate(as_text)  # positional keys: no user name in the long stream
        ]
    )
    long = (
        df.select(F.monotonically_increasing_id().alias("__row"), F.explode(pairs).alias("p"))
        .select("__row", "p.k", "p.v")
        .where(F.col("v").isNotNull())
    )
    groups = long.groupBy("k", "v").agg(F.count(F.lit(1)).alias("n"))
    by_k = Window.partitionBy("k")
    ranked = groups.withColumn(
        "i", F.row_number().over(by_k.orderBy(F.col("n").desc(), F.col("v")))
    ).withColumn("d", F.count(F.lit(1)).over(by_k))
    stats: dict[int, dict[str, Any]] = {
        i: {"distinct": 0, "top_values": []} for i in range(len(names))
    }
    for r in ranked.where(F.col("i") <= int(top)).orderBy("k", "i").collect():
        s = stats[int(r["k"])]
        s["distinct"] = int(r["d"])
        s["top_values"].append({"value": r["v"], "count": int(r["n"])})
    sampled = long.withColumn(
        "j", F.row_number().over(by_k.orderBy(F.xxhash64("__row", F.lit(42)), "__row"))
    ).where(F.col("j") <= int(sample_rows))
    samples: dict[int, list[str]] = {}
    for r in sampled.orderBy("k", "j").collect():
        samples.setdefault(int(r["k"]), []).append(r["v"])
    out = []
    for i, col in enumerate(schema):
        avg_len, max_len = wide[f"al{i}"], wide[f"ml{i}"]
        found = {
            "min": wide[f"lo{i}"],
            "max": wide[f"hi{i}"],
            "mean_length": float(avg_len) if avg_len is not None else None,
            "max_length": int(max_len) if max_len is not None else None,
            "top_values": stats[i]["top_values"],
            "sample": samples.get(i, []),
        }
        out.append(column_profile(col, n, int(wide[f"c{i}"]), stats[i]["distinct"], found))
    return out

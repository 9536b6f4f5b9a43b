"""The Spark engine's searches work as the first Spark call of a process: the CLI
runs one command per process, so an erasure's first call may be a search for token keys, which
once built a column expression before the session existed (an internal error instead of the
erasure). Each call runs in a fresh interpreter, one JVM for all of them in turn."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytestmark = pytest.mark.spark

CALLS = {  # the calls an erasure's search may make first, in a process of their own
    "token_key_ids": "e.token_key_ids(p, 'id', 'tok')",
    "count_matches": "e.count_matches(p, [ValueIn('id', frozenset({'tok_k1_a'}))])",
    "distinct_matches": "e.distinct_matches(p, [ValueIn('id', frozenset({'x'}))], [('id', None)])",
}
PROGRAM = """
import json, sys
from pathlib import Path
from bulle.storage.engine import ValueIn
from bulle.storage.spark_engine import SparkEngine
e, p = SparkEngine(master="local[1]"), Path(sys.argv[1])
out = {}
for name, call in json.loads(sys.argv[2]).items():
    out[name] = repr(eval(call))
print(json.dumps(out))
"""


def test_each_row_operation_can_be_the_first_spark_call(tmp_path):
    stored = tmp_path / "v.parquet"
    pq.write_table(pa.table({"id": ["tok_k1_a", "tok_k2_b", "x"]}), stored)
    results = {}
    for name, call in CALLS.items():  # one fresh process per call: each is the first one
        r = subprocess.run(
            [sys.executable, "-c", PROGRAM, str(stored), json.dumps({name: call})],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert r.returncode == 0, f"{name}: {r.stderr[-2000:]}"
        results.update(json.loads(r.stdout.strip().splitlines()[-1]))
    assert ast.literal_eval(results["token_key_ids"]) == {"k1", "k2"}  # a set: any order
    assert ast.literal_eval(results["count_matches"]) == (1, [1])

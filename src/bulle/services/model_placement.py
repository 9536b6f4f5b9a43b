"""Where each row's person sits in a model, computed once per person and kept with the model.

A person's manifest reference and shard are two keyed hashes of their subject id
(``learning.sharding``): about two microseconds each in C, but several seconds for 700,000 people
once Python calls them one by one, which is what made a forget read, hash and place everyone to
retrain one shard. So a model keeps, beside its shard states, the placement of every person of
its data (``models/NAME/placement.parquet``: each subject value as the version stores it, its
reference and its shard). A training, a forget, a verification or a serving check looks the rows'
values up in it, vectorised, and hashes only the values it lacks.

The file is tagged with everything a placement depends on: a fingerprint of the model key, the
shard count, the seed and the held-out share; a file with another tag is ignored and rewritten.
It is rewritten too whenever it holds a value the data no longer shows (an erased or withdrawn
person leaves it at the next forget, which always runs after an erasure). It is private (mode
0600, like the states and the data it was computed from), never exported, and rebuilt on demand.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from bulle.fsutil import PRIVATE_FILE, private_dirs
from bulle.learning.sharding import model_key, placement

if TYPE_CHECKING:
    import pyarrow as pa

    from bulle.domain.datasets import DatasetVersion
    from bulle.workspace import Workspace

CACHE_FILE = "placement.parquet"
UNPLACED = -3  # a row whose person cannot be named (no subject id, or a token nobody has)
_TAG = b"bulle.placement"


@dataclass(frozen=True)
class Placement:
    """Per row: the person's manifest reference ('' when unplaced) and shard (``UNPLACED``)."""

    refs: np.ndarray
    shards: np.ndarray

    @property
    def placed(self) -> np.ndarray:
        return self.shards != UNPLACED

    def people(self) -> tuple[np.ndarray, np.ndarray]:
        """The distinct placed people: (references, shards), sorted by reference."""
        keep = self.placed
        refs, first = np.unique(self.refs[keep], return_index=True)
        return refs, self.shards[keep][first]


def place_values(
    ws: Workspace,
    version: DatasetVersion,
    column: str,
    values: pa.ChunkedArray | pa.Array,
    spec: dict[str, Any],
    model: str | None,
) -> Placement:
    """Place each row of a subject column (values as ``version`` stores them: ids or tokens).

    ``spec`` holds ``shards``, ``seed`` and ``held_out_share``; ``model`` names the model whose
    cache to use and refresh (None: no cache, every value hashed)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    with ws.write_lock():
        key = model_key(ws.keys_dir)
    tag = _tag(key, spec)
    text = pc.cast(values, pa.string())
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    uniq = pc.unique(text.drop_null())
    cached = _load(ws, model, tag) if model else None
    refs_u = np.full(len(uniq), "", dtype="<U32")
    shards_u = np.full(len(uniq), UNPLACED, dtype=np.int64)
    hits = 0
    if cached is not None:
        c_values, c_refs, c_shards = cached
        at = pc.index_in(uniq, value_set=c_values)
        found = pc.is_valid(at).to_numpy(zero_copy_only=False)
        where = at.drop_null().to_numpy(zero_copy_only=False).astype(np.int64)
        refs_u[found], shards_u[found] = c_refs[where], c_shards[where]
        hits = int(found.sum())
        missing = np.flatnonzero(~found)
    else:
        missing = np.arange(len(uniq))
    if len(missing):
        raw = uniq.take(pa.array(missing)).to_pylist()
        ids = _resolve(ws, version, column, raw)
        share = float(spec["held_out_share"])
        for i, s in zip(missing.tolist(), ids, strict=True):
            if s is not None:
                refs_u[i], shards_u[i] = placement(key, s, spec["shards"], spec["seed"], share)
    if model and (len(missing) or cached is None or hits != len(cached[0])):
        ok = shards_u != UNPLACED
        _save(ws, model, tag, uniq.filter(pa.array(ok)), refs_u[ok], shards_u[ok])
    row = pc.index_in(text, value_set=uniq)
    valid = pc.is_valid(row).to_numpy(zero_copy_only=False)
    idx = row.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    if not len(uniq):
        return Placement(np.full(len(text), "", "<U32"), np.full(len(text), UNPLACED, np.int64))
    refs = np.where(valid, refs_u[idx], "")
    shards = np.where(valid, shards_u[idx], UNPLACED)
    return Placement(refs.astype("<U32"), shards.astype(np.int64))


def _resolve(ws: Workspace, v: DatasetVersion, column: str, values: list[str]) -> list:
    """Subject ids of stored values (tokens of a pseudonymized version go through the index)."""
    from bulle.services.model_data import subject_ids

    return subject_ids(ws, v, column, values)


def _tag(key: bytes, spec: dict[str, Any]) -> str:
    fingerprint = hashlib.sha256(_TAG + b"\x00" + key).hexdigest()[:32]
    return f"{fingerprint}:{spec['shards']}:{spec['seed']}:{float(spec['held_out_share'])!r}"


def _path(ws: Workspace, model: str):
    return ws.root / "models" / model / CACHE_FILE


_MEMO: dict[str, tuple[tuple[int, int, int], Any]] = {}  # path -> (file identity, loaded)


def _load(ws: Workspace, model: str, tag: str):
    """The file's (values, references, shards) when its tag is ``tag``; read once per process
    while the file stays the same (inode, size, modification time)."""
    import pyarrow.parquet as pq

    path = _path(ws, model)
    if not path.is_file() or path.is_symlink():
        return None
    st = path.stat()
    ident = (st.st_ino, st.st_size, st.st_mtime_ns)
    memo = _MEMO.get(str(path))
    if memo is not None and memo[0] == ident:
        loaded_tag, loaded = memo[1]
        return loaded if loaded_tag == tag else None
    try:
        t = pq.read_table(path)
    except (OSError, ValueError):  # damaged: rebuilt from the data
        return None
    meta = t.schema.metadata or {}
    if t.column_names != ["value", "ref", "shard"]:
        return None
    loaded = (
        t.column("value").combine_chunks(),
        t.column("ref").to_numpy().astype("<U32"),
        t.column("shard").to_numpy().astype(np.int64),
    )
    found = meta.get(b"tag", b"").decode()
    _MEMO.clear()  # one model's file at a time: a workspace may hold many
    _MEMO[str(path)] = (ident, (found, loaded))
    return loaded if found == tag else None


def _save(ws: Workspace, model: str, tag: str, values, refs: np.ndarray, shards: np.ndarray):
    import pyarrow as pa
    import pyarrow.parquet as pq

    final = _path(ws, model)
    private_dirs(final.parent, ws.root)
    table = pa.table(
        {"value": values, "ref": pa.array(refs.tolist(), pa.string()), "shard": shards},
        metadata={"tag": tag},
    )
    tmp = final.with_name(f".{os.getpid()}-{CACHE_FILE}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    os.close(fd)
    pq.write_table(table, tmp, compression="zstd")
    os.chmod(tmp, PRIVATE_FILE)
    os.replace(tmp, final)


def forget_cache(ws: Workspace, model: str) -> None:
    """Remove a model's placement file (it is rebuilt from the data on the next use)."""
    path = _path(ws, model)
    if path.exists() or path.is_symlink():
        path.unlink()

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

import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from bulle.fsutil import PRIVATE_FILE, private_dirs
from bulle.learning.sharding import key_fingerprint, model_key, placement

if TYPE_CHECKING:
    import pyarrow as pa

    from bulle.domain.datasets import DatasetVersion
    from bulle.workspace import Workspace

CACHE_FILE = "placement.parquet"
UNPLACED = -3  # a row whose person cannot be named (no subject id, or a token nobody has)


@dataclass(frozen=True)
class Placement:
    """Each row's person as an index into a table of people (-1: unplaced), and that table."""

    index: np.ndarray  # per row
    people_refs: np.ndarray  # per person: manifest reference
    people_shards: np.ndarray  # per person: shard (-1: held out)

    @property
    def placed(self) -> np.ndarray:
        return self.index >= 0

    @property
    def shards(self) -> np.ndarray:
        """Each row's shard (``UNPLACED`` when its person cannot be named)."""
        return np.where(self.placed, self.people_shards[np.maximum(self.index, 0)], UNPLACED)

    def refs(self, mask: np.ndarray) -> np.ndarray:
        """The references of the rows ``mask`` keeps (all placed)."""
        return self.people_refs[self.index[mask]]

    def people(self) -> tuple[np.ndarray, np.ndarray]:
        """The distinct people the rows hold: (references, shards)."""
        seen = np.bincount(self.index[self.placed], minlength=len(self.people_refs)) > 0
        return self.people_refs[seen], self.people_shards[seen]


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
    file to use and refresh (None: no file, every value hashed)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    with ws.write_lock():
        key = model_key(ws.keys_dir)
    tag = _tag(key, spec)
    text = _as_text(values)
    cached = _load(ws, model, tag) if model else None
    if cached is None:
        cached = (pa.array([], pa.string()), np.empty(0, "<U32"), np.empty(0, np.int64))
    c_values, refs, shards = cached
    index = pc.index_in(text, value_set=c_values).fill_null(-1).to_numpy(zero_copy_only=False)
    index = index.astype(np.int64)
    missing = (index < 0) & pc.is_valid(text).to_numpy(zero_copy_only=False)
    changed = False
    if missing.any():  # values the file lacks: hashed here, one by one, and added to it
        new = pc.unique(text.filter(pa.array(missing)))
        ids = subject_ids(ws, version, column, new.to_pylist())
        named = np.asarray([s is not None for s in ids], dtype=bool)
        share = float(spec["held_out_share"])
        placed = [
            placement(key, s, spec["shards"], spec["seed"], share) for s in ids if s is not None
        ]
        new = new.filter(pa.array(named))
        at = pc.index_in(text.filter(pa.array(missing)), value_set=new).fill_null(-1)
        at = at.to_numpy(zero_copy_only=False).astype(np.int64)
        index[missing] = np.where(at >= 0, at + len(refs), -1)
        c_values = pa.concat_arrays([c_values, new])
        refs = np.concatenate([refs, np.asarray([r for r, _ in placed], dtype="<U32")])
        shards = np.concatenate([shards, np.asarray([p for _, p in placed], dtype=np.int64)])
        changed = len(new) > 0
    if model:
        used = np.zeros(len(refs), dtype=bool)
        used[index[index >= 0]] = True
        if changed or not used.all():  # new people, or people the data no longer shows
            keep = pa.array(used)
            _save(ws, model, tag, c_values.filter(keep), refs[used], shards[used])
    return Placement(index, refs, shards)


def _as_text(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The values as the subject ids Python's ``str`` makes of them (what placed people before):
    Arrow's cast agrees for strings and integers; any other type goes through ``str``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = values.type
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_integer(t):
        text = pc.cast(values, pa.string())
    else:
        text = pa.array([None if v is None else str(v) for v in values.to_pylist()], pa.string())
    return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text


def subject_ids(ws: Workspace, v: DatasetVersion, column: str, values: list[Any]) -> list:
    """The subject id of each stored value (a pseudonymized version's tokens mapped back)."""
    from bulle.services import governance as gov

    tok = gov._tokenization(ws, v, column)
    if tok is None:
        return [None if x is None else str(x) for x in values]
    from bulle.catalog.models_store import indexed_subjects
    from bulle.vault.pseudonymize import normalize, token

    back = {
        token(tok.key, tok.key_id, normalize(s, tok.kind)): s for s in indexed_subjects(ws.catalog)
    }
    return [None if x is None else back.get(str(x)) for x in values]


def _tag(key: bytes, spec: dict[str, Any]) -> str:
    return (
        f"{key_fingerprint(key)}:{spec['shards']}:{spec['seed']}:{float(spec['held_out_share'])!r}"
    )


def _path(ws: Workspace, model: str):
    return ws.root / "models" / model / CACHE_FILE


_MEMO: dict[str, tuple[tuple[int, int, int], Any]] = {}  # path -> (file identity, loaded)


def _load(ws: Workspace, model: str, tag: str):
    """The file's (values, references, shards) when its tag is ``tag``; read once per process
    while the file stays the same (inode, size, modification time)."""
    import pyarrow as pa
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
    refs = t.column("ref").combine_chunks()
    if refs.type != pa.binary(32):
        return None
    loaded = (
        t.column("value").combine_chunks(),
        np.frombuffer(
            refs.buffers()[1], dtype="S32", count=len(refs), offset=refs.offset * 32
        ).astype("<U32"),
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
        {
            "value": values,
            "ref": pa.FixedSizeBinaryArray.from_buffers(
                pa.binary(32), len(refs), [None, pa.py_buffer(refs.astype("S32").tobytes())]
            ),
            "shard": shards,
        },
        metadata={"tag": tag},
    )
    tmp = final.with_name(f".{os.getpid()}-{threading.get_ident()}-{CACHE_FILE}.tmp")
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

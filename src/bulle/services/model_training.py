"""Training a model for a project, and storing a trained (or partly retrained) version.

``train`` reads the project's rows, places each person by the model key (``model_data``), trains
one learner per shard (``learning.sisa``) and commits the version. ``commit_version`` is shared
with forgetting: shard files first, then the catalog rows in one transaction, then the held-out
probabilities (kept per shard, so that a forget re-predicts the held-out rows with the retrained
shards only) and the deletion of the states no active version uses.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bulle.audit import events as ev
from bulle.catalog.models_store import ModelStore
from bulle.domain.datasets import validate_dataset_name
from bulle.domain.governance_fields import iso
from bulle.errors import ConflictError, InputError, IntegrityError, Where
from bulle.fsutil import PRIVATE_FILE, fsync_dir
from bulle.learning import sisa
from bulle.learning.encoding import plan
from bulle.learning.learners import learner
from bulle.learning.sharding import HELD_OUT
from bulle.services.models import SEED, models_dir, mstore, read_state, spec_digest, write_state
from bulle.services.results import Result

if TYPE_CHECKING:
    from bulle.services.model_data import ProjectRows
    from bulle.workspace import Workspace


@dataclass(frozen=True)
class Trained(Result):
    model: str
    auc: float | None
    shards: int
    subjects: int
    rows: int
    held_out: int
    model_hash: str


def train(
    ws: Workspace,
    project: str,
    dataset: str,
    target: str,
    features: list[str] | None = None,
    *,
    algorithm: str = "lightgbm",
    shards: int | None = None,
    name: str | None = None,
    seed: int = SEED,
    params: dict[str, Any] | None = None,
) -> Trained:
    """Train a SISA model on ``dataset`` for ``project`` (a new model, or a new version of it)."""
    from bulle.services.model_data import manifest_of, placed_rows, read_rows

    shards = int(ws.settings["model.shards"] if shards is None else shards)
    if not 1 <= shards <= 1024:
        raise InputError("--shards must be between 1 and 1024", Where(field="shards"))
    name = validate_dataset_name(name or f"{dataset.partition('@')[0]}-{target}")
    algo = learner(algorithm, **(params or {}))
    st = mstore(ws)
    if st.has_model(name) and st.model(name)["project"] != project:
        raise InputError(
            f"model {name!r} belongs to project {st.model(name)['project']!r}", Where(field="name")
        )
    pr = read_rows(ws, project, dataset)
    v = pr.version
    import pyarrow.compute as pc

    values = (
        pc.unique(pr.table.column(target)).to_pylist() if target in pr.table.column_names else []
    )
    enc = plan(v.schema, target, features, pr.excluded, values)
    share = float(ws.settings["model.held_out_share"])
    spec = {
        "project": project,
        "purpose": pr.project.purpose.name,
        "dataset": v.ref,
        "algorithm": algorithm,
        "params": algo.params(),
        "encoding": enc.to_dict(),
        "shards": shards,
        "seed": seed,
        "held_out_share": share,
    }
    rows, placed = placed_rows(ws, pr, enc, spec, model=name)
    manifest = manifest_of(placed)
    where = sisa.shard_of_rows(rows, manifest)
    states = sisa.train_shards(algo, rows, manifest, range(shards), seed, where)
    return commit_version(ws, name, spec, pr, rows, manifest, states, parent=None, where=where)[0]


def commit_version(
    ws: Workspace,
    name: str,
    spec: dict[str, Any],
    pr: ProjectRows,
    rows: sisa.Rows,
    manifest: dict[str, int],
    states: dict[int, bytes],
    *,
    parent: dict[str, Any] | None,
    reuse: dict[int, dict[str, Any]] | None = None,
    on_commit: Callable[[ModelStore, int, str, dict[str, Any]], None] | None = None,
    where: np.ndarray | None = None,
) -> tuple[Trained, int]:
    """Store a trained (or partly retrained) version: shard files first, then the catalog rows.

    ``rows`` holds at least the rows of the shards in ``states`` and the held-out rows (a forget
    passes only those). ``reuse`` maps the shards not retrained to their previous rows (same file,
    same hash); ``on_commit(store, number, model_hash, lineage)`` runs in the catalog transaction
    (default: a first training's manifest and event); ``where`` is ``shard_of_rows(rows,
    manifest)`` when the caller has it.
    """
    people = Counter(manifest.values())

    def _trained_event(st: ModelStore, number: int, model_hash: str, lineage: dict) -> None:
        for old in st.versions(name)[:-1]:
            if old["status"] == "active":
                st.set_status(name, old["version"], "superseded")
        st.close_all_manifest(name, number)
        st.add_manifest(name, number, manifest.items())
        ws.emit(
            ev.ModelTrained(
                actor=ws.actor,
                target=f"{name}@{number}",
                details={
                    "project": spec["project"],
                    "purpose": spec["purpose"],
                    "algorithm": spec["algorithm"],
                    "data": [v.ref],
                    "data_hashes": [v.content_hash],
                    "shards": spec["shards"],
                    "subjects": len(manifest),
                    "rows": trained_rows,
                    "model_hash": model_hash,
                    "shard_hashes": lineage["shard_hashes"],
                    "auc": lineage["auc"],
                    "consent_seq": lineage["consent"]["seq"],
                },
            )
        )

    algo = learner(spec["algorithm"], **spec["params"])
    where = sisa.shard_of_rows(rows, manifest) if where is None else where
    shard_rows = []
    for s, state in sorted(states.items()):
        shard_rows.append(
            {
                "shard": s,
                "hash": sisa.state_hash(state),
                "path": write_state(ws, name, state),
                "rows": int((where == s).sum()),
                "subjects": people[s],
            }
        )
    for s, old in sorted((reuse or {}).items()):
        shard_rows.append({**old, "subjects": people[s]})
    shard_rows.sort(key=lambda r: r["shard"])
    trained_rows = sum(r["rows"] for r in shard_rows)
    held = where == HELD_OUT
    try:
        per_shard = _held_out_probabilities(ws, name, algo, rows, held, states, shard_rows, parent)
    except IntegrityError:  # a state it needed was destroyed by a forget that ran meanwhile
        _check_parent(mstore(ws), name, parent)
        raise
    probs = per_shard.mean(axis=1) if per_shard.shape[1] else np.full(int(held.sum()), np.nan)
    auc = sisa.auc(rows.y[held], probs)
    digest = spec_digest(spec)
    hashes = {r["shard"]: r["hash"] for r in shard_rows}
    model_hash = sisa.model_hash(hashes, digest)
    v = pr.version
    seq = mstore(ws).consent_seq()
    lineage = {
        "data": [v.ref],
        "data_hashes": [v.content_hash],
        "consent": {"purpose": spec["purpose"], "seq": seq, "people": len(manifest)},
        "parameters": spec["params"],
        "shard_hashes": [hashes[s] for s in sorted(hashes)],
        "spec_digest": digest,
        "parent": parent["version"] if parent else None,
        "auc": auc,
        "model_key": _key_fingerprint(ws),
    }
    metrics = {"auc": auc, "held_out_rows": int(held.sum()), "held_out_people": people[HELD_OUT]}
    st = mstore(ws)
    with ws.write_lock(), ws.catalog.transaction():
        now = iso(_now())
        if not st.has_model(name):
            st.add_model(name, spec["project"], spec["purpose"], now, ws.actor.to_dict())
        number = _check_parent(st, name, parent) + 1
        st.add_version(name, number, spec, lineage, model_hash, metrics, now, ws.actor.to_dict())
        st.add_shards(name, number, shard_rows)
        (on_commit or _trained_event)(st, number, model_hash, lineage)
    _save_held_out(ws, name, number, rows.keys[held], per_shard)
    destroy_unused(ws, name)
    return Trained(
        f"{name}@{number}",
        auc,
        spec["shards"],
        sum(n for s, n in people.items() if s >= 0),
        trained_rows,
        people[HELD_OUT],
        model_hash,
    ), number


def _key_fingerprint(ws: Workspace) -> str:
    from bulle.learning.sharding import key_fingerprint, model_key

    with ws.write_lock():
        return key_fingerprint(model_key(ws.keys_dir))


def _now():
    from bulle.services.governance import now_utc

    return now_utc()


def _check_parent(st: ModelStore, name: str, parent: dict[str, Any] | None) -> int:
    """The newest version number; a forget whose parent is no longer the newest is refused."""
    newest = st.versions(name)[-1]["version"] if st.versions(name) else 0
    if parent is not None and newest != parent["version"]:
        raise ConflictError(
            f"{name}@{newest} was made while this forget ran from {name}@{parent['version']}: "
            "run the forget again",
            Where(field="model"),
        )
    return newest


def _held_out_probabilities(ws, name, algo, rows, held, states, shard_rows, parent) -> np.ndarray:
    """Each shard's probabilities on the held-out rows (one column per shard), for the AUC.

    After a forget only the retrained shards changed: the parent's stored columns are kept for the
    others when the parent's held-out rows, minus the people forgotten, are exactly these rows;
    only the retrained shards predict. Otherwise every shard predicts.
    """
    num, cat = rows.num[held], rows.cat[held]
    order = [r["shard"] for r in shard_rows]
    if parent is not None:
        cached = _load_held_out(ws, name, parent["version"])
        if cached is not None and cached[1].shape[1] == len(order):
            keys, matrix = cached
            import pyarrow.compute as pc

            wanted = _strings(rows.keys[held])
            keep = pc.is_in(_strings(keys), value_set=wanted)
            keep = keep.to_numpy(zero_copy_only=False)
            if np.array_equal(keys[keep], rows.keys[held]):
                out = matrix[keep].copy()
                for s, state in states.items():
                    out[:, order.index(s)] = algo.predict(state, num, cat)
                return out
    columns = [
        algo.predict(states[r["shard"]] if r["shard"] in states else read_state(ws, r), num, cat)
        for r in shard_rows
    ]
    return np.column_stack(columns) if columns else np.empty((len(num), 0))


def _strings(a: np.ndarray):
    """A NumPy text array as an Arrow string array (converted in C, not through Python)."""
    import pyarrow as pa

    return pa.array(np.asarray(a, dtype=str)) if len(a) else pa.array([], pa.string())


def _held_out_file(ws: Workspace, name: str, version: int) -> Path:
    return models_dir(ws, name) / f"held-out-v{version}.npz"


def _save_held_out(ws: Workspace, name: str, version: int, keys, per_shard) -> None:
    """The held-out rows' keyed references and each shard's probabilities (never an id or a
    value)."""
    final = _held_out_file(ws, name, version)
    tmp = final.with_name(f".{os.getpid()}-{threading.get_ident()}-{final.name}")
    with open(tmp, "wb") as f:
        np.savez(f, keys=keys.astype("<U32"), shards=np.asarray(per_shard, dtype=np.float64))
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, PRIVATE_FILE)
    os.replace(tmp, final)


def _load_held_out(ws: Workspace, name: str, version: int):
    path = _held_out_file(ws, name, version)
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as z:
        if "shards" not in z.files:  # written before per-shard columns were kept
            return None
        return z["keys"], z["shards"]


def destroy_unused(ws: Workspace, name: str) -> list[str]:
    """Delete every shard state no active version uses (a forgotten person's old shard), and the
    held-out probabilities and audit scores of versions no longer served."""
    st = mstore(ws)
    keep = st.paths_in_use(name)
    active = {v["version"] for v in st.versions(name) if v["status"] == "active"}
    for prefix in ("held-out-v", "audit-scores-v"):
        for p in models_dir(ws, name).glob(f"{prefix}*.npz"):
            if int(p.stem.removeprefix(prefix)) not in active:
                p.unlink()
    gone = []
    for p in sorted(models_dir(ws, name).glob("*.state")):
        rel = str(p.relative_to(ws.root))
        if rel not in keep:
            gone.append(p.stem)
            p.unlink()
    if gone:
        fsync_dir(models_dir(ws, name))
    return gone

"""Models trained for a project: train, list, serve, describe, export.

A model is a versioned artefact of the vault. Its shards' states live in ``models/<name>/`` named
by their hash (a version that did not retrain a shard shares the file); the catalog holds each
version's specification, lineage (data versions and their content hashes, the consent snapshot,
parameters, per-shard hashes), metrics and the manifest (``catalog/models_store.py``). Only the
newest version is served, and only while every person in its manifest is still visible to the
model's purpose: a withdrawal not yet forgotten stops the model (``WithheldError``) until
``bulle model forget`` retrains it. Forgetting itself is ``services/forgetting.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulle.audit import events as ev
from bulle.catalog.models_store import ModelStore
from bulle.domain.datasets import validate_dataset_name
from bulle.domain.governance_fields import iso
from bulle.errors import ConflictError, InputError, IntegrityError, Where, WithheldError
from bulle.fsutil import PRIVATE_FILE, fsync_dir, private_dirs
from bulle.learning import sisa
from bulle.learning.encoding import Encoding, plan
from bulle.learning.learners import learner
from bulle.learning.sharding import HELD_OUT
from bulle.services.results import Result

if TYPE_CHECKING:
    from bulle.services.model_data import ProjectRows
    from bulle.workspace import Workspace

_STATE_PATH = re.compile(r"models/[A-Za-z][A-Za-z0-9_.-]{0,127}/[0-9a-f]{64}\.state")
SEED = 20210519  # the default training seed (any fixed number: recorded in the manifest)


@dataclass(frozen=True)
class Trained(Result):
    model: str
    auc: float | None
    shards: int
    subjects: int
    rows: int
    held_out: int
    model_hash: str


@dataclass(frozen=True)
class Predictions(Result):
    model: str
    rows: int
    predictions: list[float]
    subjects: list[str | None]  # each row's subject column, as the project reads it


def model_ref(model: str) -> tuple[str, int | None]:
    """``NAME`` or ``NAME@N`` as (name, version or None); anything else is bad input."""
    name, at, number = model.partition("@")
    if not name or (at and not number.isdigit()):
        raise InputError(
            f"not a model: {model!r} (expected NAME or NAME@VERSION)", Where(field="model")
        )
    return name, int(number) if number else None


def mstore(ws: Workspace) -> ModelStore:
    return ModelStore(ws.catalog)


def models_dir(ws: Workspace, name: str) -> Path:
    return ws.root / "models" / name


def spec_digest(spec: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def write_state(ws: Workspace, name: str, state: bytes) -> str:
    """Store a shard's state under its hash (atomically); returns the workspace-relative path."""
    digest = sisa.state_hash(state)
    folder = models_dir(ws, name)
    private_dirs(folder, ws.root)
    rel = f"models/{name}/{digest}.state"
    final = ws.root / rel
    if not final.exists():
        tmp = folder / f".{os.getpid()}-{digest}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
        try:
            os.write(fd, state)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, final)
        fsync_dir(folder)
    return rel


def read_state(ws: Workspace, shard: dict[str, Any]) -> bytes:
    """A shard's state, checked against its hash; its path is only ever ``models/NAME/HASH.state``
    (a catalog imported from elsewhere cannot point a read outside the model's folder)."""
    if not _STATE_PATH.fullmatch(shard["path"]) or Path(shard["path"]).stem != shard["hash"]:
        raise IntegrityError(
            f"shard {shard['shard']}'s stored path is not a model state path", Where(field="model")
        )
    path = ws.root / shard["path"]
    if not path.exists():
        raise IntegrityError(
            f"shard {shard['shard']}'s state is missing", Where(file=str(path.relative_to(ws.root)))
        )
    data = path.read_bytes()
    if sisa.state_hash(data) != shard["hash"]:
        raise IntegrityError(
            f"shard {shard['shard']}'s state does not match its recorded hash",
            Where(file=str(path.relative_to(ws.root))),
        )
    return data


def stored_hash(ws: Workspace, shard: dict[str, Any]) -> str | None:
    """SHA-256 of a shard's stored state, or None when a later forget destroyed it."""
    try:
        return sisa.state_hash(read_state(ws, shard))
    except IntegrityError:
        path = ws.root / shard["path"]
        if _STATE_PATH.fullmatch(shard["path"]) and path.exists():
            return sisa.state_hash(path.read_bytes())  # present but not what the catalog says
        if _STATE_PATH.fullmatch(shard["path"]):
            return None
        raise


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
    from bulle.services.model_data import placed_rows, read_rows

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
    enc = plan(
        v.schema,
        target,
        features,
        pr.excluded,
        list(set(pr.table.column(target).to_pylist())) if target in pr.table.column_names else [],
    )
    share = float(ws.settings["model.held_out_share"])
    rows, manifest, _ = placed_rows(ws, pr, enc, shards, seed, share)
    states = sisa.train_shards(algo, rows, manifest, range(shards), seed)
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
    return commit_version(ws, name, spec, pr, rows, manifest, states, parent=None)[0]


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
) -> tuple[Trained, int]:
    """Store a trained (or partly retrained) version: shard files first, then the catalog rows.

    ``reuse`` maps the shards not retrained to their previous rows (same file, same hash);
    ``on_commit(store, number, model_hash, lineage)`` runs in the catalog transaction (default:
    a first training's manifest and event).
    """

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
                    "rows": len(rows.y),
                    "model_hash": model_hash,
                    "shard_hashes": lineage["shard_hashes"],
                    "auc": lineage["auc"],
                    "consent_seq": lineage["consent"]["seq"],
                },
            )
        )

    algo = learner(spec["algorithm"], **spec["params"])
    where = sisa.shard_of_rows(rows, manifest)
    shard_rows = []
    for s, state in sorted(states.items()):
        members = sum(1 for p in manifest.values() if p == s)
        shard_rows.append(
            {
                "shard": s,
                "hash": sisa.state_hash(state),
                "path": write_state(ws, name, state),
                "rows": int((where == s).sum()),
                "subjects": members,
            }
        )
    for s, old in sorted((reuse or {}).items()):
        shard_rows.append({**old, "subjects": sum(1 for p in manifest.values() if p == s)})
    shard_rows.sort(key=lambda r: r["shard"])
    held = where == HELD_OUT
    held_keys = {k for k, p in manifest.items() if p == HELD_OUT}
    try:
        probs = _held_out_probabilities(ws, name, algo, rows, held, states, shard_rows, parent)
    except IntegrityError:  # a state it needed was destroyed by a forget that ran meanwhile
        _check_parent(mstore(ws), name, parent)
        raise
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
    }
    metrics = {"auc": auc, "held_out_rows": int(held.sum()), "held_out_people": len(held_keys)}
    st = mstore(ws)
    with ws.write_lock(), ws.catalog.transaction():
        now = iso(_now())
        if not st.has_model(name):
            st.add_model(name, spec["project"], spec["purpose"], now, ws.actor.to_dict())
        number = _check_parent(st, name, parent) + 1
        st.add_version(name, number, spec, lineage, model_hash, metrics, now, ws.actor.to_dict())
        st.add_shards(name, number, shard_rows)
        (on_commit or _trained_event)(st, number, model_hash, lineage)
    _save_held_out(ws, name, number, rows.keys[held], probs)
    destroy_unused(ws, name)
    return Trained(
        f"{name}@{number}",
        auc,
        spec["shards"],
        sum(1 for p in manifest.values() if p >= 0),
        int((where >= 0).sum()),
        len(held_keys),
        model_hash,
    ), number


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


def _held_out_probabilities(ws, name, algo, rows, held, states, shard_rows, parent):
    """The model's probabilities on the held-out rows, for its AUC.

    After a forget only the retrained shards changed: the parent's stored average is updated by
    their difference (old state, still on disk, against the new one) when the parent's held-out
    rows, minus the people forgotten, are exactly these rows; otherwise every shard predicts.
    """
    import numpy as np

    num, cat = rows.num[held], rows.cat[held]
    if parent is not None:
        cached = _load_held_out(ws, name, parent["version"])
        if cached is not None:
            keys, avg = cached
            keep = np.isin(keys, np.unique(rows.keys[held]))
            if np.array_equal(keys[keep], rows.keys[held]):
                old = {r["shard"]: r for r in mstore(ws).shards(name, parent["version"])}
                out = avg[keep].copy()
                for s, state in states.items():
                    before = algo.predict(read_state(ws, old[s]), num, cat)
                    out += (algo.predict(state, num, cat) - before) / len(shard_rows)
                return out
    loaded = [states[r["shard"]] if r["shard"] in states else read_state(ws, r) for r in shard_rows]
    return sisa.predict(algo, loaded, num, cat)


def _held_out_file(ws: Workspace, name: str, version: int) -> Path:
    return models_dir(ws, name) / f"held-out-v{version}.npz"


def _save_held_out(ws: Workspace, name: str, version: int, keys, probs) -> None:
    """The held-out rows' keyed references and probabilities (never an id or a value)."""
    import numpy as np

    final = _held_out_file(ws, name, version)
    tmp = final.with_name(f".{os.getpid()}-{final.name}")
    with open(tmp, "wb") as f:
        np.savez(f, keys=keys.astype("<U32"), probs=np.asarray(probs, dtype=np.float64))
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, PRIVATE_FILE)
    os.replace(tmp, final)


def _load_held_out(ws: Workspace, name: str, version: int):
    import numpy as np

    path = _held_out_file(ws, name, version)
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as z:
        return z["keys"], z["probs"]


def destroy_unused(ws: Workspace, name: str) -> list[str]:
    """Delete every shard state no active version uses (a forgotten person's old shard), and the
    held-out probabilities of versions no longer served."""
    st = mstore(ws)
    keep = st.paths_in_use(name)
    active = {v["version"] for v in st.versions(name) if v["status"] == "active"}
    for p in models_dir(ws, name).glob("held-out-v*.npz"):
        if int(p.stem.removeprefix("held-out-v")) not in active:
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


def served(ws: Workspace, model: str) -> tuple[dict[str, Any], list[bytes]]:
    """The newest version of ``model`` and its shard states, if it may be served now."""
    st = mstore(ws)
    name, number = model_ref(model)
    v = st.version(name)
    if number is not None and number != v["version"]:
        raise WithheldError(
            f"{model} is not served: {name}@{v['version']} replaces it", Where(field="model")
        )
    from bulle.domain.datasets import VersionStatus

    if ws.catalog.resolve(v["spec"]["dataset"]).status is VersionStatus.NEEDS_RECOMPUTE:
        raise WithheldError(
            f"{name}@{v['version']} is not served: its data {v['spec']['dataset']} is withheld "
            "after an erasure; retrain it on a recomputed version",
            Where(field="model"),
        )
    lost = lost_basis(ws, v)
    if lost:
        raise WithheldError(
            f"{name}@{v['version']} is not served: {len(lost)} person(s) in its training data no "
            f"longer have a basis for purpose {v['spec']['purpose']!r}; run `bulle model forget "
            f"--model {name}` to retrain their shards",
            Where(field="model"),
        )
    return v, [read_state(ws, s) for s in st.shards(name, v["version"])]


def lost_basis(ws: Workspace, v: dict[str, Any]) -> set[str]:
    """Manifest references of the people of ``v`` its purpose can no longer see."""
    from bulle.services.model_data import visible_keys

    manifest = mstore(ws).manifest(v["model"], v["version"])
    return set(manifest) - visible_keys(ws, v["spec"]["project"], v["spec"]["dataset"])


def list_models(ws: Workspace) -> list[dict[str, Any]]:
    """Every model for a custodian or the DPO; an analyst sees those of their own projects."""
    from bulle.domain.actor import Role
    from bulle.services.governance import store as governance_store

    st = mstore(ws)
    out = []
    gov = governance_store(ws)
    for m in st.models():
        if ws.actor.role not in (Role.CUSTODIAN, Role.DPO):
            member = gov.project(m["project"]).member(ws.actor.name)
            if member is None or member.role is not ws.actor.role:
                continue
        vs = st.versions(m["name"])
        out.append(
            {
                "name": m["name"],
                "project": m["project"],
                "purpose": m["purpose"],
                "versions": [
                    {
                        "model": f"{m['name']}@{v['version']}",
                        "status": v["status"],
                        "algorithm": v["spec"]["algorithm"],
                        "shards": v["spec"]["shards"],
                        "auc": v["metrics"]["auc"],
                        "model_hash": v["model_hash"],
                        "created_at": v["created_at"],
                    }
                    for v in vs
                ],
            }
        )
    return out


def predict(ws: Workspace, model: str, dataset: str | None = None) -> Predictions:
    """Probabilities of the positive class for each visible row of ``dataset`` (default: the
    model's own dataset, as the project serves it now), for a member of the model's project."""
    from bulle.services.model_data import read_rows

    v, states = served(ws, model)
    spec = v["spec"]
    pr = read_rows(ws, spec["project"], dataset or spec["dataset"].partition("@")[0])
    enc = Encoding.from_dict(spec["encoding"])
    missing = [c for c in enc.features if c not in pr.table.column_names]
    if missing:
        raise InputError(
            f"{pr.version.ref} lacks the model's feature(s) {', '.join(missing)}",
            Where(field="dataset"),
        )
    num, cat = enc.encode(pr.table)
    p = sisa.predict(learner(spec["algorithm"], **spec["params"]), states, num, cat)
    ws.emit(
        ev.ModelUsed(
            actor=ws.actor,
            target=f"{v['model']}@{v['version']}",
            details={"action": "predict", "rows": len(p), "model_hash": v["model_hash"]},
        )
    )
    ids = pr.table.column(pr.subject_column).to_pylist()
    return Predictions(
        f"{v['model']}@{v['version']}",
        len(p),
        [float(x) for x in p],
        [None if x is None else str(x) for x in ids],
    )

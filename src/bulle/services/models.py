"""Models trained for a project: where their states live, which version is served, predictions.

A model is a versioned artefact of the vault. Its shards' states live in ``models/<name>/`` named
by their hash (a version that did not retrain a shard shares the file); the catalog holds each
version's specification, lineage (data versions and their content hashes, the consent snapshot,
parameters, per-shard hashes), metrics and the manifest (``catalog/models_store.py``). Only the
newest version is served, and only while every person in its manifest is still visible to the
model's purpose: a withdrawal not yet forgotten stops the model (``WithheldError``) until
``bulle model forget`` retrains it. Training is ``services/model_training.py``, forgetting
``services/forgetting.py``, the audit, card and export ``services/model_release.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulle.audit import events as ev
from bulle.catalog.models_store import ModelStore
from bulle.errors import ConflictError, InputError, IntegrityError, Where, WithheldError
from bulle.fsutil import PRIVATE_FILE, fsync_dir, private_dirs
from bulle.learning import sisa
from bulle.learning.encoding import Encoding
from bulle.learning.learners import learner
from bulle.services.results import Result

if TYPE_CHECKING:
    from bulle.workspace import Workspace

_STATE_PATH = re.compile(r"models/[A-Za-z][A-Za-z0-9_.-]{0,127}/[0-9a-f]{64}\.state")
SEED = 20210519  # the default training seed (any fixed number: recorded in the manifest)


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


def require_model_key(ws: Workspace, v: dict[str, Any]) -> None:
    """Refuse a version placed with another model key than this workspace's (a workspace
    imported without its keys): nobody's reference or shard could be recomputed for it."""
    from bulle.learning.sharding import key_fingerprint, model_key

    recorded = v["lineage"].get("model_key")
    if recorded is None:  # trained before versions recorded their key
        return
    with ws.write_lock():
        current = key_fingerprint(model_key(ws.keys_dir))
    if current != recorded:
        raise ConflictError(
            f"{v['model']}@{v['version']} was trained with model key {recorded}, not with this "
            f"workspace's ({current}): its people cannot be placed, served or forgotten here. "
            "Import the workspace's export made with --include-keys, or retrain the model",
            Where(field="model"),
        )


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
    require_model_key(ws, v)
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

    return absent(mstore(ws).manifest(v["model"], v["version"]), visible_keys(ws, v))


def absent(manifest: dict[str, int], present) -> set[str]:
    """The references of ``manifest`` not among ``present`` (an array), vectorised."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if not manifest:
        return set()
    if not len(present):
        return set(manifest)
    keys = pa.array(list(manifest), pa.string())
    seen = pc.is_in(keys, value_set=pa.array(np.asarray(present, dtype=str)))
    return set(keys.filter(pc.invert(seen)).to_pylist())


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

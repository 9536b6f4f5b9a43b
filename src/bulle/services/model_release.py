"""What leaves a project with a model: its card, its membership audit, its export.

A model leaves the project (``export``) only once its newest version passed the membership-
inference audit (``bulle.learning.audit``: LiRA against shadow models trained the way the model
was, next to a regularised reference), and only while it may be served (no person in it has lost
their basis). The card describes a version in JSON and HTML: data, purpose, parameters, metrics,
audit results and the forget history (receipts, without any subject id).
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulle.audit import events as ev
from bulle.domain.governance_fields import iso
from bulle.errors import ConflictError, InputError, PluginError, Where, WithheldError
from bulle.governance import access
from bulle.learning import sisa
from bulle.learning.encoding import Encoding
from bulle.learning.learners import learner
from bulle.services.model_subject import save_record_scores
from bulle.services.models import model_ref, mstore, served
from bulle.services.results import Result

if TYPE_CHECKING:
    from bulle.workspace import Workspace


@dataclass(frozen=True)
class AuditResult(Result):
    model: str
    auc: float | None
    tpr_at_0_1pct_fpr: float | None
    tpr_at_1pct_fpr: float | None
    reference: dict[str, Any]
    released: bool
    reasons: list[str]


def card(ws: Workspace, model: str) -> dict[str, Any]:
    """The model card of the newest version (or ``NAME@N``)."""
    access.can_administer(ws.actor, "describe a model").require()
    st = mstore(ws)
    name, number = model_ref(model)
    v = st.version(name, number)
    audit = st.audit(name, v["version"])
    out = {
        "model": f"{name}@{v['version']}",
        "status": v["status"],
        "project": v["spec"]["project"],
        "purpose": v["spec"]["purpose"],
        "data": v["lineage"]["data"],
        "data_hashes": v["lineage"]["data_hashes"],
        "consent_snapshot": v["lineage"]["consent"],
        "algorithm": v["spec"]["algorithm"],
        "parameters": v["spec"]["params"],
        "encoding": v["spec"]["encoding"],
        "shards": v["spec"]["shards"],
        "seed": v["spec"]["seed"],
        "held_out_share": v["spec"]["held_out_share"],
        "metrics": v["metrics"],
        "model_hash": v["model_hash"],
        "shard_hashes": v["lineage"]["shard_hashes"],
        "audit": audit,
        "forget_history": [
            {
                k: r[k]
                for k in ("id", "old_version", "new_version", "at", "full_retrain", "lost_basis")
            }
            | {"shards": [s["shard"] for s in r["shards"]], "people": len(r["subjects"])}
            for r in st.receipts(name)
            if r["new_version"] <= v["version"]
        ],
        "created_at": v["created_at"],
    }
    ws.emit(
        ev.ModelUsed(
            actor=ws.actor,
            target=out["model"],
            details={"action": "card", "rows": 0, "model_hash": v["model_hash"]},
        )
    )
    return out


def card_html(c: dict[str, Any]) -> str:
    def row(k: str, v: Any) -> str:
        text = v if isinstance(v, str) else json.dumps(v, indent=1, sort_keys=True)
        return f"<tr><th>{html.escape(k)}</th><td><pre>{html.escape(text)}</pre></td></tr>"

    rows = "\n".join(row(k, v) for k, v in c.items())
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Model card {html.escape(c['model'])}</title>"
        "<style>body{font-family:sans-serif}th{text-align:left;vertical-align:top;padding-right:1em}"
        "pre{margin:0;white-space:pre-wrap}</style></head><body>"
        f"<h1>Model card: {html.escape(c['model'])}</h1><table>{rows}</table></body></html>\n"
    )


def audit(
    ws: Workspace, model: str, *, shadows: int = 16, seed: int = 0, shadow_shards: int | None = 1
) -> AuditResult:
    """Run the membership-inference audit of the served version and store its report.

    Shadows (and the audit's own target) are single models with the model's learner and
    hyper-parameters (``shadow_shards`` = 1): a record's influence is then undiluted by the
    average over shards, so the audit measures at least the leak of the sharded model
    (docs/models.md, "Why single-model shadows"). ``shadow_shards=None`` trains them sharded as the
    model was (16 times slower with 16 shards; kept to measure the difference)."""
    import numpy as np
    import pandas as pd

    from bulle.services.model_data import placed_rows, read_rows

    access.can_administer(ws.actor, "audit a model").require()
    try:
        from bulle.learning.audit import membership_audit, release_decision
    except ImportError as exc:  # pragma: no cover - the audit package ships with Bulle
        raise PluginError(f"the membership audit is not available: {exc}") from None
    v, _ = served(ws, model)
    spec = v["spec"]
    enc = Encoding.from_dict(spec["encoding"])
    pr = read_rows(ws, spec["project"], spec["dataset"])
    rows, _ = placed_rows(ws, pr, enc, spec, model=v["model"])
    k = rows.num.shape[1]
    X = pd.DataFrame(np.hstack([rows.num, rows.cat.astype(np.float64)]))
    algo = learner(spec["algorithm"], **spec["params"])

    def split(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        a = frame.to_numpy(dtype=np.float64)
        return a[:, :k], np.nan_to_num(a[:, k:], nan=-1).astype(np.int64)

    n_shards = spec["shards"] if shadow_shards is None else shadow_shards

    def fit(Xs: pd.DataFrame, ys: np.ndarray, s: int):
        """A shadow: the model's learner and hyper-parameters over ``n_shards`` shard(s)."""
        num, cat = split(Xs)
        place = np.random.default_rng(s).integers(0, n_shards, len(ys))
        states = [
            algo.fit(num[place == j], cat[place == j], ys[place == j], sisa.shard_seed(s, j))
            for j in range(n_shards)
        ]
        return lambda Xq: sisa.predict(algo, states, *split(Xq))

    def reference_fit(Xs: pd.DataFrame, ys: np.ndarray, s: int):
        """A regularised single model of the same data, for comparison."""
        ref = learner("logistic", C=0.1)
        num, cat = split(Xs)
        state = ref.fit(num, cat, ys, s)
        return lambda Xq: ref.predict(state, *split(Xq))

    result = membership_audit(
        X,
        rows.y.astype(np.int64),
        fit=fit,
        reference_fit=reference_fit,
        n_shadows=shadows,
        seed=seed,
    )
    decision = release_decision(result, ws.settings)
    report = {**_plain(result.to_dict()), "shadow_shards": n_shards}
    try:  # the page with the ROC curve, stored beside the model's states
        from bulle.learning.audit import render_audit_html

        page = render_audit_html(result, decision, title=f"{v['model']}@{v['version']}")
        (ws.root / "models" / v["model"] / f"audit-v{v['version']}.html").write_text(page)
    except ImportError:  # pragma: no cover
        pass
    st = mstore(ws)
    with ws.write_lock(), ws.catalog.transaction():
        st.put_audit(
            v["model"],
            v["version"],
            {**report, "reasons": list(decision.reasons)},
            decision.released,
            iso(_now()),
        )
        save_record_scores(ws, v["model"], v["version"], rows.keys, result)
        ws.emit(
            ev.ModelAudited(
                actor=ws.actor,
                target=f"{v['model']}@{v['version']}",
                details={
                    "auc": report.get("auc"),
                    "tpr_at_0_1pct_fpr": report.get("tpr_at_0_1pct_fpr"),
                    "tpr_at_1pct_fpr": report.get("tpr_at_1pct_fpr"),
                    "released": bool(decision.released),
                    "shadows": shadows,
                },
            )
        )
    return AuditResult(
        f"{v['model']}@{v['version']}",
        report.get("auc"),
        report.get("tpr_at_0_1pct_fpr"),
        report.get("tpr_at_1pct_fpr"),
        report.get("reference", {}),
        bool(decision.released),
        list(decision.reasons),
    )


def export(ws: Workspace, model: str, out_dir: str | Path) -> dict[str, Any]:
    """Write the released model to ``out_dir``: each shard in its open format and ``model.json``."""
    access.can_administer(ws.actor, "export a model").require()
    out = Path(out_dir)
    if os.path.lexists(out):
        raise ConflictError("the export folder already exists", Where(file=str(out)))
    v, states = served(ws, model)
    audit_row = mstore(ws).audit(v["model"], v["version"])
    if audit_row is None or not audit_row["released"]:
        raise WithheldError(
            f"{v['model']}@{v['version']} has not passed its membership audit: run "
            f"`bulle model audit {v['model']}` (a blocked model never leaves the project)",
            Where(field="model"),
        )
    algo = learner(v["spec"]["algorithm"], **v["spec"]["params"])
    ext = {"lightgbm-text": "txt", "json": "json"}.get(algo.export_format, "bin")
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        tmp.mkdir(parents=True)
    except OSError as exc:
        raise InputError(f"cannot create the export folder: {exc}", Where(file=str(out))) from None
    files = []
    for i, state in enumerate(states):
        (tmp / f"shard-{i:03d}.{ext}").write_bytes(state)
        files.append(f"shard-{i:03d}.{ext}")
    description = {
        "model": f"{v['model']}@{v['version']}",
        "format": algo.export_format,
        "combine": "mean of the shards' probabilities of the positive class",
        "encoding": v["spec"]["encoding"],
        "shards": files,
        "model_hash": v["model_hash"],
        "audit": audit_row,
    }
    (tmp / "model.json").write_text(json.dumps(description, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, out)
    ws.emit(
        ev.ModelUsed(
            actor=ws.actor,
            target=description["model"],
            details={"action": "export", "rows": 0, "model_hash": v["model_hash"]},
        )
    )
    return {"model": description["model"], "folder": str(out), "files": [*files, "model.json"]}


def _plain(value: Any) -> Any:
    """The report as JSON values; per-record arrays (scores by row position) are not stored."""
    import numpy as np

    if isinstance(value, dict):
        return {
            str(k): _plain(v)
            for k, v in value.items()
            if not (isinstance(v, np.ndarray) and v.size > 64)
        }
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _now():
    from bulle.services.governance import now_utc

    return now_utc()

"""What the models say about one data subject, for the DPO: was their data used, how exposed is it.

For each model, its newest version: whether the person's records trained it (their keyed
reference in the manifest: a training shard, or held out for evaluation), and, when that version
was audited, each of their records' LiRA score from the audit (``learning.audit.lira``) with how
to read it: the share of the audit's members and of its non-members scoring lower, and the share
of non-members scoring as high (the false-positive rate an attacker flagging this record accepts).

The audit keeps these per-record scores beside the model (``models/NAME/audit-scores-vN.npz``:
keyed references, scores and the audit's member flags; no id, no value), private like the states,
and deleted with the version's other files once it is no longer served. Reading them is the dpo's
alone (``governance.access.can_see_membership_scores``) and is recorded (``model.subject``).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bulle.audit import events as ev
from bulle.errors import ConflictError
from bulle.fsutil import PRIVATE_FILE
from bulle.governance import access
from bulle.services.models import models_dir, mstore, require_model_key

if TYPE_CHECKING:
    from bulle.learning.audit import MembershipAudit
    from bulle.workspace import Workspace

HOW_TO_READ = (
    "score: standard deviations by which the audit's target model is more confident in the "
    "record's true label than shadow models that never saw it (higher: more exposed; around 0: "
    "nothing singles the record out). below_members / below_non_members: share of the audit's "
    "members / non-members scoring lower. flag_fpr: share of non-members scoring as high, the "
    "false-positive rate an attacker flagging this record must accept (small: the record stands "
    "out). audit_member: whether the record was in the audit's own target training set (the "
    "audit draws it, it is not the released model's)."
)


def scores_file(ws: Workspace, model: str, version: int) -> Path:
    return models_dir(ws, model) / f"audit-scores-v{version}.npz"


def save_record_scores(
    ws: Workspace, model: str, version: int, keys: np.ndarray, result: MembershipAudit
) -> None:
    """Keep the audit's per-record scores under the records' keyed references (no id)."""
    final = scores_file(ws, model, version)
    tmp = final.with_name(f".{os.getpid()}-{threading.get_ident()}-{final.name}")
    with open(tmp, "wb") as f:
        np.savez(
            f,
            keys=np.asarray(keys, dtype="<U32"),
            scores=np.asarray(result.target.scores, dtype=np.float64),
            members=np.asarray(result.members, dtype=bool),
        )
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, PRIVATE_FILE)
    os.replace(tmp, final)


def subject_models(ws: Workspace, subject_id: str) -> dict[str, Any]:
    """For each model, whether ``subject_id``'s records trained its newest version and their
    membership-audit scores (the dpo only; recorded)."""
    from bulle.services.governance import subject_ref
    from bulle.services.model_data import keys_of

    access.can_see_membership_scores(ws.actor).require()
    st = mstore(ws)
    ref = keys_of(ws, [subject_id])[subject_id]
    out = []
    for m in st.models():
        v = st.version(m["name"])
        try:
            require_model_key(ws, v)
        except ConflictError as exc:  # imported without its key: nobody can be looked up in it
            out.append({"model": f"{m['name']}@{v['version']}", "used": None, "note": exc.message})
            continue
        manifest = st.holders({m["name"]: ref})
        shard = manifest[0][1] if manifest else None
        out.append(
            {
                "model": f"{m['name']}@{v['version']}",
                "status": v["status"],
                "project": m["project"],
                "purpose": m["purpose"],
                "used": shard is not None and v["status"] == "active",
                "held_out": shard is not None and shard < 0,
                "audit": _scores(ws, m["name"], v["version"], ref),
            }
        )
    report = {
        "subject": subject_ref(ws, subject_id),
        "models": out,
        "how_to_read": HOW_TO_READ,
    }
    ws.emit(
        ev.ModelSubjectScores(
            actor=ws.actor,
            target=report["subject"],
            details={
                "models": len(out),
                "used": sum(1 for m in out if m["used"]),
                "scored": sum(1 for m in out if m.get("audit") and m["audit"]["records"]),
            },
        )
    )
    return report


def _scores(ws: Workspace, model: str, version: int, ref: str) -> dict[str, Any] | None:
    """The audit's verdict on the person's records, or None when the version was not audited."""
    from scipy import stats

    path = scores_file(ws, model, version)
    row = mstore(ws).audit(model, version)
    if row is None or not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as z:
        keys, scores, members = z["keys"], z["scores"], z["members"]
    inside, outside = np.sort(scores[members]), np.sort(scores[~members])
    records = []
    for i in np.flatnonzero(keys == ref).tolist():
        s = float(scores[i])
        records.append(
            {
                "score": s,
                "p_value": float(stats.norm.sf(s)),
                "below_members": _share_below(inside, s),
                "below_non_members": _share_below(outside, s),
                "flag_fpr": 1.0 - _share_below(outside, s),
                "audit_member": bool(members[i]),
            }
        )
    return {
        "audited_at": row["at"],
        "released": row["released"],
        "records": records,
        "audit_records": len(scores),
    }


def _share_below(sorted_scores: np.ndarray, s: float) -> float:
    if not len(sorted_scores):
        return 0.0
    return float(np.searchsorted(sorted_scores, s, side="left") / len(sorted_scores))

"""The stored reports of a release, read back for display (the custodian's, as every vault read)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bulle.errors import NotFoundError, Where
from bulle.governance import access
from bulle.services.results import Result

if TYPE_CHECKING:
    from bulle.workspace import Workspace


@dataclass(frozen=True)
class ReleaseReport(Result):
    ref: str
    source: str | None
    operation: dict[str, Any]
    risk: dict[str, Any]
    html: str


def release_report(ws: Workspace, ref: str) -> ReleaseReport:
    """The risk report stored with an anonymized version (JSON and self-contained HTML)."""
    from bulle.services.vault import resolve

    access.can_administer(ws.actor, "read a release's report", scope="vault").require()
    v = resolve(ws, ref, for_use=False)
    stored = {a["kind"]: a for a in ws.catalog.artefacts(v.dataset, v.number)}
    if "risk_report" not in stored or "risk_report_html" not in stored:
        raise NotFoundError(
            f"{v.ref} has no risk report: only an anonymized version carries one",
            Where(field="ref"),
        )
    risk = json.loads((ws.root / stored["risk_report"]["path"]).read_text(encoding="utf-8"))
    html = (ws.root / stored["risk_report_html"]["path"]).read_text(encoding="utf-8")
    return ReleaseReport(v.ref, v.parents[0] if v.parents else None, v.operation, risk, html)

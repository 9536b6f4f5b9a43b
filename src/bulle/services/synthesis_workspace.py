"""Synthesizing a workspace dataset: a version of kind ``synthetic``, its reports, its legal status.

A synthetic version is made from confirmed column roles: direct identifiers, the subject id and
free text are dropped (a synthesizer would copy them, since each is nearly unique, and no person
needs to be in a synthetic table), quasi-identifiers are what the privacy report's attacker
knows, and special-category columns are what it tries to infer unless ``sensitive`` names others.
The operation records the method, its parameters and the seed, so the version can be recomputed
from its parent after an erasure (``RECOMPUTERS["synthesize"]``), and both reports are stored as
artefacts (JSON and HTML).

**Legal status.** A synthetic version is personal data when it is made (``personal_data``): the
report measures risks, it does not decide. A custodian may mark it otherwise with
:func:`mark_anonymous`, which Bulle refuses unless the report passes the rule of
:mod:`bulle.synthesis.marking` (each risk and the upper end of its interval, and the exact-copy
excess, against the workspace's thresholds, settings ``synthesis.max_*``); the decision, allowed or refused, is an audit event with the figures and
thresholds. When an erasure recomputes a marked version whose new report exceeds a threshold,
the mark is withdrawn.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulle.audit import events as ev
from bulle.domain.datasets import ColumnRole, DatasetVersion, VersionKind
from bulle.errors import ConflictError, InputError, Where
from bulle.governance import access
from bulle.services.lineage import register
from bulle.services.results import Result
from bulle.services.synthesis import Synthesis, SynthesisRun, arrow_to_pandas, synthesize_frame
from bulle.services.vault import require_confirmed_roles, resolve

if TYPE_CHECKING:
    from bulle.workspace import Workspace

DROPPED_ROLES = (ColumnRole.DIRECT_IDENTIFIER, ColumnRole.SUBJECT_ID, ColumnRole.FREE_TEXT)
PERSONAL_NOTE = (
    "personal data until a custodian marks it otherwise: a synthetic table can still reveal the "
    "people it was made from, as much as its privacy report measures"
)


@dataclass(frozen=True)
class SyntheticVersion(Result):
    """``bulle -w DIR synthesize NAME``: the new version and the run that made it."""

    source: str
    ref: str
    dropped: list[str]
    personal_data: bool
    legal_status: str
    artefacts: list[dict[str, Any]]
    run: SynthesisRun


@dataclass(frozen=True)
class SyntheticMark(Result):
    """A custodian's mark of a synthetic version as not personal data (made, or refused)."""

    ref: str
    personal_data: bool
    risks: dict[str, float | None]
    thresholds: dict[str, float]
    exceeded: list[str]
    reason: str


def synthesize_version(
    ws: Workspace,
    ref: str,
    method: str,
    *,
    params: dict[str, Any] | None = None,
    seed: int = 0,
    target: str | None = None,
    sensitive: list[str] | None = None,
    rows: int | None = None,
) -> SyntheticVersion:
    """Synthesize ``ref`` (a bare name: its latest version that is not itself a release)."""
    access.can_administer(ws.actor, "synthesize a dataset", scope="vault").require()
    source = _source_version(ws, ref)
    require_confirmed_roles(ws, source, "synthesize")
    plan = _plan(ws, source, target, sensitive)
    done = _run(ws, source, plan, method, params, seed, target, rows)
    operation = {
        "name": "synthesize",
        "method": method,
        "params": done.run.params,
        "seed": int(seed),
        "target": target,
        "sensitive": plan["sensitive"],
        "quasi_identifiers": plan["quasi_identifiers"],
        "dropped": plan["dropped"],
        "rows": rows,
        "control_share": ws.settings["synthesis.control_share"],
        "attacks": ws.settings["synthesis.privacy_attacks"],
    }
    tmp = _write(ws, done)
    try:
        version = ws.commit_version(
            tmp,
            dataset=source.dataset,
            kind=VersionKind.SYNTHETIC,
            parents=[source.ref],
            operation=operation,
            row_count=done.run.rows,
            schema=ws.engine.schema(tmp),
            personal_data=True,
            roles=[
                r
                for r in ws.catalog.roles(source.dataset, source.number)
                if r.column in plan["columns"]
            ],
            event=lambda v: ev.DatasetSynthesized(
                actor=ws.actor,
                target=v.ref,
                details={
                    "source": source.ref,
                    "method": method,
                    "params": done.run.params,
                    "seed": int(seed),
                    "rows": done.run.rows,
                    "training_rows": done.run.training_rows,
                    "control_rows": done.run.control_rows,
                    "dropped": plan["dropped"],
                    "risks": risks_of(done.run.to_dict()),
                    "content_hash": v.content_hash,
                },
            ),
        )
    finally:
        tmp.unlink(missing_ok=True)
    artefacts = [
        ws.add_artefact(version, kind, file, name)
        for kind, file, name in _report_files(ws, version, done)
    ]
    return SyntheticVersion(
        source=source.ref,
        ref=version.ref,
        dropped=plan["dropped"],
        personal_data=True,
        legal_status=PERSONAL_NOTE,
        artefacts=artefacts,
        run=done.run,
    )


def _source_version(ws: Workspace, ref: str) -> DatasetVersion:
    if "@" in ref:
        return resolve(ws, ref)
    latest = resolve(ws, ref, for_use=False)
    made = (VersionKind.ANONYMIZE, VersionKind.SYNTHETIC)
    candidates = [v for v in ws.catalog.versions(latest.dataset) if v.kind not in made]
    return resolve(ws, candidates[-1].ref) if candidates else resolve(ws, ref)


def _plan(
    ws: Workspace,
    source: DatasetVersion,
    target: str | None,
    sensitive: list[str] | None,
    *,
    dropped: list[str] | None = None,
) -> dict[str, Any]:
    roles = {r.column: r.role for r in ws.catalog.roles(source.dataset, source.number)}
    names = [c["name"] for c in source.schema]
    if dropped is None:
        dropped = [c for c in names if roles.get(c) in DROPPED_ROLES]
    columns = [c for c in names if c not in dropped]
    for option, named in (
        ("--target", [target] if target else []),
        ("--sensitive", sensitive or []),
    ):
        for c in named:
            if c in dropped:
                raise InputError(
                    f"{option} names {c!r}, a {roles[c].value}: identifiers and free text are "
                    "never synthesized",
                    Where(column=c, field=option),
                )
    if not columns:
        raise InputError(
            f"{source.ref} has no column left to synthesize once identifiers are dropped"
        )
    qis = [c for c in columns if roles.get(c) is ColumnRole.QUASI_IDENTIFIER]
    special = [c for c in columns if roles.get(c) is ColumnRole.SPECIAL_CATEGORY]
    return {
        "columns": columns,
        "dropped": dropped,
        "quasi_identifiers": qis or None,
        "sensitive": list(sensitive) if sensitive else (special or None),
    }


def _run(ws, source, plan, method, params, seed, target, rows) -> Synthesis:
    table = ws.engine.read_table(ws.path_of(source), columns=plan["columns"])
    return synthesize_frame(
        arrow_to_pandas(table),
        method,
        params=params,
        seed=seed,
        target=target,
        sensitive=plan["sensitive"],
        quasi_identifiers=plan["quasi_identifiers"],
        rows=rows,
        control_share=ws.settings["synthesis.control_share"],
        n_attacks=ws.settings["synthesis.privacy_attacks"],
        source=source.ref,
    )


def _write(ws: Workspace, done: Synthesis) -> Path:
    import pyarrow as pa

    tmp = ws.temp_path()
    ws.engine.write_table(pa.Table.from_pandas(done.synthetic, preserve_index=False), tmp)
    return tmp


def _report_files(ws: Workspace, version: DatasetVersion, done: Synthesis) -> list[tuple]:
    from bulle.services.synthesis import render_report_html

    report = ws.temp_path(".json")
    report.write_text(json.dumps(done.run.to_dict(), ensure_ascii=False, indent=1))
    page = ws.temp_path(".html")
    page.write_text(
        render_report_html(done, title=f"Synthetic version {version.ref}"), encoding="utf-8"
    )
    return [
        ("synthesis_report", report, "synthesis.json"),
        ("synthesis_report_html", page, "synthesis.html"),
    ]


def risks_of(report: dict[str, Any]) -> dict[str, float | None]:
    """The figures the marking rule checks (:mod:`bulle.synthesis.marking`), by check name."""
    from bulle.synthesis.marking import SETTINGS, checks

    return {c.name: c.figure for c in checks(report["privacy"], dict.fromkeys(SETTINGS, 0.0))}


def _report(ws: Workspace, version: DatasetVersion) -> dict[str, Any]:
    for a in ws.catalog.artefacts(version.dataset, version.number):
        if a["kind"] == "synthesis_report":
            return json.loads((ws.root / a["path"]).read_text())
    raise InputError(f"{version.ref} has no synthesis report", Where(field="dataset"))


def _checks(ws: Workspace, report: dict[str, Any]) -> list[Any]:
    from bulle.synthesis.marking import SETTINGS, checks

    return checks(report["privacy"], {k: float(ws.settings[k]) for k in SETTINGS})


def mark_anonymous(ws: Workspace, ref: str, reason: str) -> SyntheticMark:
    """The custodian's decision that a synthetic version is not personal data, if the report
    allows it; refused (exit 4, with the figures over their thresholds) otherwise."""
    access.can_administer(
        ws.actor, "mark a synthetic version as not personal data", scope="vault"
    ).require()
    if not reason or not reason.strip():
        raise InputError(
            "say why the version is not personal data (--reason)", Where(field="--reason")
        )
    version = resolve(ws, ref)
    if version.kind is not VersionKind.SYNTHETIC:
        raise InputError(
            f"{version.ref} is a version of kind {version.kind.value}: only synthetic versions "
            "are marked this way",
            Where(field="dataset"),
        )
    done = _checks(ws, _report(ws, version))
    risks = {c.name: c.figure for c in done}
    limits = {c.name: c.limit for c in done}
    failed = [c for c in done if not c.passed]
    over = [c.name for c in failed]
    ws.emit(
        ev.SyntheticMarked(
            actor=ws.actor,
            target=version.ref,
            details={
                "allowed": not over,
                "reason": reason.strip()[:4096],
                "risks": risks,
                "thresholds": limits,
                "exceeded": over,
            },
        )
    )
    if over:
        raise ConflictError(
            f"{version.ref} stays personal data: its report exceeds the workspace's thresholds: "
            + "; ".join(c.explain() for c in failed),
            Where(field="dataset"),
        )
    with ws.write_lock(), ws.catalog.transaction():
        ws.catalog.set_personal_data(version.dataset, version.number, False)
    return SyntheticMark(version.ref, False, risks, limits, [], reason.strip())


@register("synthesize")
def recompute(
    ws: Workspace, version: DatasetVersion, parent: DatasetVersion
) -> tuple[Path, list[dict[str, Any]]]:
    """After an erasure: the same method, parameters and seed on the rewritten parent."""
    op = version.operation
    plan = _plan(ws, parent, op["target"], op["sensitive"], dropped=op["dropped"])
    plan["quasi_identifiers"] = op["quasi_identifiers"]
    done = synthesize_frame(
        arrow_to_pandas(ws.engine.read_table(ws.path_of(parent), columns=plan["columns"])),
        op["method"],
        params=op["params"],
        seed=op["seed"],
        target=op["target"],
        sensitive=plan["sensitive"],
        quasi_identifiers=plan["quasi_identifiers"],
        rows=op["rows"],
        control_share=op["control_share"],
        n_attacks=op["attacks"],
        source=parent.ref,
    )
    if not version.personal_data and not all(c.passed for c in _checks(ws, done.run.to_dict())):
        # the mark rested on the old report: a new one over the thresholds withdraws it
        with ws.write_lock(), ws.catalog.transaction():
            ws.catalog.set_personal_data(version.dataset, version.number, True)
    tmp = _write(ws, done)
    extras = [{"kind": k, "file": f} for k, f, _ in _report_files(ws, version, done)]
    return tmp, extras

"""Anonymizing a workspace dataset: a release as a new version, with its hierarchies and risk report.

The release is a version of kind ``anonymize`` whose parent is the source; the source is untouched.
It is made only from confirmed column roles, and every column is accounted for: generalized as a
quasi-identifier, protected as a sensitive attribute by a privacy model, dropped (direct
identifiers, the subject id and free text always unless kept; any other column by ``drop``), or
kept as it is by an explicit ``keep`` that the operation records and the risk report measures
with the quasi-identifiers (a kept pseudonym makes every record unique, and the report shows it).
A release that keeps a direct identifier, the subject id or free text is recorded as personal
data. The hierarchies used and the risk report (JSON and HTML) are stored as artefacts of the
release; the operation records every parameter and the hierarchies' content hashes, so the
release can be recomputed from its parent after an erasure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulle.audit import events as ev
from bulle.domain.datasets import ColumnRole, ColumnRoleAssignment, DatasetVersion, VersionKind
from bulle.errors import InputError, Problem, ValidationError, Where
from bulle.fsutil import remove_path
from bulle.governance import access
from bulle.services.lineage import register
from bulle.services.results import Result
from bulle.services.vault import require_confirmed_roles, resolve
from bulle.settings import default

if TYPE_CHECKING:
    from bulle.anonymization.service import AnonymizationResult
    from bulle.anonymization.spec import AnonymizationSpec
    from bulle.workspace import Workspace

# Free text is dropped too: a note can name anyone, and no hierarchy generalizes it.
DROPPED_ROLES = (ColumnRole.DIRECT_IDENTIFIER, ColumnRole.SUBJECT_ID, ColumnRole.FREE_TEXT)
LEGAL_NOTE = (
    "released under the declared privacy models; the risk report gives the residual risk the "
    "custodian must judge before treating the release as anonymous (GDPR recital 26)"
)
PERSONAL_NOTE = (
    "personal data: the release keeps {columns} as released, which identify people whatever "
    "the privacy models; it is not anonymous (GDPR recital 26)"
)


def anonymize_dataset(
    ws: Workspace,
    ref: str,
    spec: AnonymizationSpec,
    *,
    keep: list[str] | None = None,
    drop: list[str] | None = None,
    threshold: float | None = None,
) -> dict[str, Any]:
    """Release ``ref`` under ``spec``; returns the result, and the new version when one exists.

    ``keep`` names columns released as they are (recorded, and measured by the risk report);
    ``drop`` names columns left out of the release. Every other column must be a generalized
    quasi-identifier, a sensitive attribute under a model, or dropped by its role. ``threshold``
    (None: the workspace's ``anonymize.risk_threshold``) is the risk report's, recorded.
    """
    access.can_administer(ws.actor, "anonymize a dataset", scope="vault").require()
    if threshold is None:
        threshold = ws.settings["anonymize.risk_threshold"]
    source = _source_version(ws, ref)
    require_confirmed_roles(ws, source, "anonymize")
    if spec.needs_subset:
        raise InputError(
            "δ-presence needs a research subset: use the stand-alone form "
            "(bulle anonymize --input DATA --subset SUBSET.csv ...)",
            Where(field="--delta-presence"),
        )
    plan = _plan(ws, source, spec, keep or [], drop or [])
    result, tmp_release, risk = _release(ws, source, spec, plan, threshold)
    if result is None or not result.anonymous:
        return {
            "source": source.ref,
            "anonymous": False,
            **(result.to_dict() if result else {}),
            "message": "no transformation satisfies the privacy models within the suppression limit",
        }
    identifiers = plan["kept_identifiers"]
    personal = bool(identifiers)
    operation = {
        "name": "anonymize",
        "spec": spec_to_dict(spec),
        "dropped": plan["dropped"],
        "kept": plan["kept"],
        "kept_identifiers": identifiers,
        "subject_column": plan["subject"],
        "threshold": threshold,
        "hierarchies": {c: _rows_hash(h.to_rows()) for c, h in spec.hierarchies.items()},
        "result": {k: v for k, v in result.to_dict().items() if k != "seconds"},
        "personal_data": personal,
        "legal_status": PERSONAL_NOTE.format(columns=", ".join(identifiers))
        if personal
        else LEGAL_NOTE,
    }
    try:
        rows = ws.engine.row_count(tmp_release)
        schema = _schema(ws, tmp_release)
        roles = _release_roles(ws, source, spec, plan)
        version = ws.commit_version(
            tmp_release,
            dataset=source.dataset,
            kind=VersionKind.ANONYMIZE,
            parents=[source.ref],
            operation=operation,
            row_count=rows,
            schema=schema,
            personal_data=personal,
            roles=roles,
            event=lambda v: ev.DatasetAnonymized(
                actor=ws.actor,
                target=v.ref,
                details={
                    "source": source.ref,
                    "models": [m.to_dict() for m in spec.models],
                    "transformation": result.transformation,
                    "information_loss": result.information_loss,
                    "suppressed_records": result.suppressed_records,
                    "dropped": plan["dropped"],
                    "kept": plan["kept"],
                    "personal_data": personal,
                    "content_hash": v.content_hash,
                },
            ),
        )
    finally:
        remove_path(tmp_release)
    artefacts = _store_artefacts(ws, version, spec, result, risk)
    return {
        "source": source.ref,
        "ref": version.ref,
        "version": version.to_dict(),
        **result.to_dict(),
        "dropped": plan["dropped"],
        "kept": plan["kept"],
        "kept_identifiers": identifiers,
        "personal_data": personal,
        "legal_status": operation["legal_status"],
        "risk": _risk_summary(risk),
        "artefacts": artefacts,
    }


def _source_version(ws: Workspace, ref: str) -> DatasetVersion:
    """``NAME@N`` as given; a bare ``NAME`` is the dataset's latest version that is not itself a
    release (anonymizing the data again, not the previous release's generalized values)."""
    if "@" in ref:
        return resolve(ws, ref)
    latest = resolve(ws, ref, for_use=False)
    candidates = [
        v for v in ws.catalog.versions(latest.dataset) if v.kind is not VersionKind.ANONYMIZE
    ]
    return resolve(ws, candidates[-1].ref) if candidates else resolve(ws, ref)


def _plan(
    ws: Workspace,
    source: DatasetVersion,
    spec: AnonymizationSpec,
    keep: list[str],
    drop: list[str],
    *,
    every_column: bool = True,
) -> dict[str, Any]:
    """Which columns are generalized, protected, dropped or kept; every problem at once.

    With ``every_column`` (a new release), a column that is none of these is refused: released
    unchanged, it would be outside both the models and the risk report. Recomputing a release
    made before that rule replays its recorded decisions as they were.
    """
    roles = {r.column: r for r in ws.catalog.roles(source.dataset, source.number)}
    columns = [c["name"] for c in source.schema]
    problems = [
        Problem(f"unknown column {c!r} in --keep", Where(field="--keep"))
        for c in keep
        if c not in columns
    ]
    problems += [
        Problem(f"unknown column {c!r} in --drop", Where(field="--drop"))
        for c in drop
        if c not in columns
    ]
    problems += [
        Problem(f"column {c!r} is both kept and dropped", Where(field="--keep", column=c))
        for c in dict.fromkeys(keep)
        if c in drop
    ]
    used = set(spec.quasi_identifiers) | set(spec.sensitive)
    subject = next((c for c, r in roles.items() if r.role is ColumnRole.SUBJECT_ID), None)
    dropped = [
        c
        for c in columns
        if c not in keep and (c in drop or (c in roles and roles[c].role in DROPPED_ROLES))
    ]
    for c in dropped:
        if c in used:
            what = (
                "named by --drop"
                if c in drop
                else (f"a {roles[c].role.value}: it is dropped from a release")
            )
            hint = "" if c in drop else " (keep it with --keep, or change its role)"
            problems.append(
                Problem(
                    f"column {c!r} is {what}, so it cannot be a quasi-identifier or sensitive "
                    f"attribute{hint}",
                    Where(column=c),
                )
            )
    protected = {m.attribute for m in spec.models if m.attribute is not None}
    for c in columns:
        if c in dropped or c in keep or c in spec.quasi_identifiers:
            continue
        r = roles.get(c)
        if r is not None and r.role is ColumnRole.QUASI_IDENTIFIER and c not in used:
            # Released unchanged beside the generalized ones, the release's guarantee would not
            # cover it: it must be generalized, or kept as it is on purpose.
            problems.append(
                Problem(
                    f"column {c!r} is a quasi-identifier without a hierarchy: it would be "
                    "released unchanged and the privacy models would not cover it (give it "
                    f"--hierarchy {c}=FILE, --keep {c} to release it as it is, or --drop {c})",
                    Where(column=c),
                )
            )
        elif every_column and c not in protected:
            role = r.role.value if r is not None else "no role"
            why = (
                "a sensitive attribute no privacy model protects"
                if c in spec.sensitive
                else f"a column ({role}) neither generalized nor protected by a privacy model"
            )
            problems.append(
                Problem(
                    f"column {c!r} is {why}: say what the release does with it (--drop {c}, "
                    f"or --keep {c} to release it as it is, measured by the risk report)",
                    Where(column=c),
                )
            )
    if problems:
        raise ValidationError.from_problems(f"cannot anonymize {source.ref}", problems)
    kept = [c for c in dict.fromkeys(keep) if c in columns]
    identifiers = [c for c in kept if c in roles and roles[c].role in DROPPED_ROLES]
    return {
        "columns": columns,
        "dropped": dropped,
        "kept": kept,
        "kept_identifiers": identifiers,
        "subject": subject,
    }


def _release(
    ws: Workspace,
    source: DatasetVersion,
    spec: AnonymizationSpec,
    plan: dict[str, Any],
    threshold: float,
) -> tuple[AnonymizationResult | None, Path, Any]:
    """Anonymize a text projection of the source; measure the release's risk (per subject too)."""
    from bulle.anonymization.risk import measure_risk
    from bulle.anonymization.service import anonymize_table

    subject = plan["subject"]
    visible = [c for c in plan["columns"] if c not in plan["dropped"] or c == subject]
    projected = ws.temp_path()
    released = ws.temp_path()
    final = ws.temp_path()
    try:
        ws.engine.write_projection(ws.path_of(source), projected, text=visible)
        result = anonymize_table(ws.engine, projected, spec, name=str(source.ref))
        if not result.anonymous:
            return result, final, None
        result.write(ws.engine, projected, released)
        # Columns kept on purpose (an identifier, a pseudonym, an ungeneralized quasi-identifier)
        # identify as much as the quasi-identifiers: the risk is measured with them.
        kept = [c for c in plan["kept"] if c in visible and c not in spec.quasi_identifiers]
        # A kept subject id is then a quasi-identifier itself: every subject is singled out.
        risk_subject = None if subject in kept else subject
        risk = measure_risk(
            released,
            [*spec.quasi_identifiers, *kept],
            subject_id=risk_subject,
            threshold=threshold,
            engine=ws.engine,
        )
        if kept:
            risk.notes.append(
                f"kept as released: {', '.join(kept)}; measured with the quasi-identifiers, "
                "since a kept identifier or pseudonym singles records out"
            )
        drop = [c for c in (subject,) if c is not None and c in plan["dropped"]]
        ws.engine.write_projection(released, final, drop=drop)
        return result, final, risk
    finally:
        remove_path(projected)
        remove_path(released)


def _schema(ws: Workspace, path: Path) -> list[dict[str, str]]:
    return ws.engine.schema(path)


def _release_roles(
    ws: Workspace, source: DatasetVersion, spec: AnonymizationSpec, plan: dict[str, Any]
) -> list[ColumnRoleAssignment]:
    from dataclasses import replace

    roles = {r.column: r for r in ws.catalog.roles(source.dataset, source.number)}
    out = []
    for c in plan["columns"]:
        if c in plan["dropped"] or c not in roles:
            continue
        r = roles[c]
        if c in spec.quasi_identifiers:
            out.append(
                replace(r, role=ColumnRole.QUASI_IDENTIFIER, reason="generalized quasi-identifier")
            )
        else:
            out.append(r)
    return out


def _rows_hash(rows: list[list[str]]) -> str:
    import hashlib

    return "sha256:" + hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()


def _store_artefacts(
    ws: Workspace,
    version: DatasetVersion,
    spec: AnonymizationSpec,
    result: AnonymizationResult,
    risk: Any,
) -> list[dict[str, Any]]:
    from bulle.anonymization.hierarchy import write_hierarchy_csv
    from bulle.anonymization.report_html import render_html

    stored = []
    for column, h in spec.hierarchies.items():
        tmp = ws.temp_path(".csv")
        write_hierarchy_csv(h, tmp)
        stored.append(
            ws.add_artefact(version, f"hierarchy:{column}", tmp, f"hierarchy-{_safe(column)}.csv")
        )
    report = risk.to_dict()
    tmp = ws.temp_path(".json")
    tmp.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    stored.append(ws.add_artefact(version, "risk_report", tmp, "risk.json"))
    info = release_info(spec, result).to_dict()
    tmp = ws.temp_path(".html")
    tmp.write_text(
        render_html(
            risk,
            info,
            title=f"Release {version.ref}: re-identification risk",
            source=f"{version.parents[0]} → {version.ref}",
        ),
        encoding="utf-8",
    )
    stored.append(ws.add_artefact(version, "risk_report_html", tmp, "risk.html"))
    return stored


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


@dataclass(frozen=True)
class ReleaseInfo(Result):
    """What a release did, for its risk page: the levels chosen, the hierarchies, the models."""

    transformation: dict[str, int]
    heights: dict[str, int]
    hierarchies: dict[str, list[list[str]]]
    suppressed_records: int
    records: int
    privacy_models: list[str]
    metric: str
    information_loss: float | list[float] | None
    anonymous: bool


def release_info(spec: AnonymizationSpec, result: AnonymizationResult) -> ReleaseInfo:
    return ReleaseInfo(
        transformation=dict(result.transformation or {}),
        heights={q: spec.hierarchies[q].height for q in spec.quasi_identifiers},
        hierarchies={q: spec.hierarchies[q].to_rows() for q in spec.quasi_identifiers},
        suppressed_records=int(result.suppressed_records),
        records=int(result.records),
        privacy_models=[json.dumps(m.to_dict(), ensure_ascii=False) for m in spec.models],
        metric=spec.metric,
        information_loss=result.information_loss,
        anonymous=bool(result.anonymous),
    )


def _risk_summary(risk: Any) -> dict[str, Any]:
    d = risk.to_dict()
    return {
        k: d[k]
        for k in ("records", "prosecutor", "sample_uniqueness", "subjects", "notes")
        if k in d
    }


def spec_to_dict(spec: AnonymizationSpec) -> dict[str, Any]:
    return {
        "quasi_identifiers": list(spec.quasi_identifiers),
        "sensitive": list(spec.sensitive),
        "models": [
            {"kind": m.kind, "attribute": m.attribute, "params": dict(m.params)}
            for m in spec.models
        ],
        "suppression_limit": spec.suppression_limit,
        "metric": spec.metric,
        "gs_factor": spec.gs_factor,
        "aggregate": spec.aggregate,
        "weights": dict(spec.weights),
        "suppressed_output": spec.suppressed_output,
    }


def spec_from_operation(ws: Workspace, version: DatasetVersion) -> AnonymizationSpec:
    """Rebuild a release's spec from its operation and its stored hierarchy artefacts."""
    from bulle.anonymization.hierarchy import read_hierarchy_csv
    from bulle.anonymization.spec import AnonymizationSpec, ModelSpec

    d = version.operation["spec"]
    hierarchies = {}
    for a in ws.catalog.artefacts(version.dataset, version.number):
        if a["kind"].startswith("hierarchy:"):
            column = a["kind"].split(":", 1)[1]
            hierarchies[column] = read_hierarchy_csv(ws.root / a["path"], column)
    return AnonymizationSpec(
        quasi_identifiers=tuple(d["quasi_identifiers"]),
        hierarchies=hierarchies,
        models=tuple(ModelSpec(m["kind"], m["attribute"], m["params"]) for m in d["models"]),
        sensitive=tuple(d["sensitive"]),
        suppression_limit=d["suppression_limit"],
        metric=d["metric"],
        gs_factor=d["gs_factor"],
        aggregate=d["aggregate"],
        weights=d["weights"],
        suppressed_output=d["suppressed_output"],
    )


@register("anonymize")
def recompute(
    ws: Workspace, version: DatasetVersion, parent: DatasetVersion
) -> tuple[Path, list[dict[str, Any]]]:
    """After an erasure: the same spec and hierarchies on the rewritten parent; a new risk report."""
    spec = spec_from_operation(ws, version)
    op = version.operation
    plan = _plan(ws, parent, spec, op["kept"], op["dropped"], every_column="kept_identifiers" in op)
    result, tmp, risk = _release(
        ws, parent, spec, plan, op.get("threshold", default("anonymize.risk_threshold"))
    )
    if result is None or not result.anonymous:
        remove_path(tmp)
        raise InputError(f"{version.ref} cannot be recomputed: no anonymous transformation remains")
    extras = []
    report = ws.temp_path(".json")
    report.write_text(json.dumps(risk.to_dict(), ensure_ascii=False, indent=1))
    extras.append({"kind": "risk_report", "file": report})
    from bulle.anonymization.report_html import render_html

    page = ws.temp_path(".html")
    page.write_text(
        render_html(
            risk,
            release_info(spec, result).to_dict(),
            title=f"Release {version.ref}: re-identification risk (recomputed after an erasure)",
        ),
        encoding="utf-8",
    )
    extras.append({"kind": "risk_report_html", "file": page})
    return tmp, extras


def release_report(ws: Workspace, ref: str, kind: str = "risk_report_html") -> str:
    """The risk report (``risk_report_html`` or ``risk_report``) stored with a released version."""
    from bulle.errors import NotFoundError, Where
    from bulle.services.vault import resolve

    access.can_administer(ws.actor, "read a release's risk report", scope="vault").require()
    v = resolve(ws, ref, for_use=False)
    found = [a for a in ws.catalog.artefacts(v.dataset, v.number) if a["kind"] == kind]
    if not found:
        raise NotFoundError(
            f"no {kind.replace('_', ' ')} is stored with {v.ref}", Where(field="ref")
        )
    return (ws.root / found[-1]["path"]).read_text(encoding="utf-8")

"""Every access rule of Bulle's governance, as pure functions over domain objects.

One module so that a reviewer (or a DPO) can read all the rules in one sitting, and so that every
interface (Python API, CLI, SQL for analysts, later HTTP) asks the same questions. Nothing here
reads files or rows: callers pass the project, the dataset's governance facts, the consent ledger
and the instant of the read; services then apply the answer (the columns, the subject filter) to
the data and record the decision in the audit log.

A refusal lists *every* rule that failed, so an analyst learns at once that the project is both
unapproved and missing a column, instead of discovering it one request at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import pyarrow as pa

from bulle.domain.actor import Actor, Role
from bulle.domain.consents import Consent, Objection
from bulle.domain.governance import GovernedDataset
from bulle.domain.governance_fields import Checker
from bulle.domain.projects import DatasetUse, Project
from bulle.errors import AccessDenied, Problem, Where
from bulle.governance.consent_ledger import ConsentLedger, SubjectIndex
from bulle.governance.subject_filter import FilterMode, SubjectFilter

READER_ROLES = frozenset({Role.ANALYST, Role.CUSTODIAN})
ROLE_LIMITS = {
    Role.DPO: "the dpo (auditor) role reads the audit log and reviews projects; it does not read data",
    Role.CHECKER: "an output checker reviews the outputs of a project's jobs; it does not read data",
    Role.SUBJECT: "a data subject reads only their own access report, not datasets",
    Role.SYSTEM: "Bulle's own operations (recomputation after erasure) follow lineage, not projects",
}


class Rule(StrEnum):
    """The name of each rule, stable for scripts reading ``--json`` refusals."""

    ROLE = "role"
    MEMBERSHIP = "membership"
    APPROVAL = "approval"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    DATASET = "dataset"
    VERSION = "version"
    RAW = "raw"
    COLUMN = "column"
    PURPOSE = "purpose"
    SPECIAL_CATEGORY = "special_category"
    SUBJECT_COLUMN = "subject_column"
    SUBJECT = "subject"
    ROW_ACCESS = "row_access"


@dataclass(frozen=True)
class Denial:
    rule: Rule
    message: str


@dataclass(frozen=True)
class Decision:
    """An answer with its reason; ``columns`` is what an allowed read may return."""

    allowed: bool
    reason: str
    denials: tuple[Denial, ...] = ()
    columns: tuple[str, ...] = ()

    @classmethod
    def allow(cls, reason: str, columns: Sequence[str] = ()) -> Decision:
        return cls(True, reason, (), tuple(columns))

    @classmethod
    def deny(cls, denials: Sequence[Denial]) -> Decision:
        return cls(False, "; ".join(d.message for d in denials), tuple(denials))

    def require(self) -> Decision:
        """Raise AccessDenied with every failed rule, or return self."""
        if not self.allowed:
            raise AccessDenied(
                f"refused: {self.reason}",
                problems=[Problem(d.message, Where(field=d.rule.value)) for d in self.denials],
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "reason": self.reason,
            "denials": [{"rule": d.rule.value, "message": d.message} for d in self.denials],
            "columns": list(self.columns),
        }


def can_read(
    actor: Actor,
    project: Project,
    dataset: GovernedDataset,
    columns: Iterable[str] | None = None,
    *,
    at: dt.datetime,
    latest_of_kind: int | None = None,
) -> Decision:
    """May ``actor`` read ``columns`` (default: all the project declared) of ``dataset`` at ``at``?

    ``dataset`` names the version read. ``latest_of_kind`` is the number of the newest version of
    the kind the project's use of this dataset is bound to (found by the caller in the catalog;
    None when there is none): a kind binding serves that version and no other.
    """
    at = _instant(at)
    denials: list[Denial] = []
    purpose = project.purpose

    if actor.role not in READER_ROLES:
        denials.append(Denial(Rule.ROLE, ROLE_LIMITS[actor.role]))
    else:
        member = project.member(actor.name)
        if member is None:
            denials.append(
                Denial(
                    Rule.MEMBERSHIP, f"{actor.name!r} is not a member of project {project.name!r}"
                )
            )
        elif member.role is not actor.role:
            denials.append(
                Denial(
                    Rule.MEMBERSHIP,
                    f"{actor.name!r} is a member of project {project.name!r} "
                    f"as {member.role.value}, not as {actor.role.value}",
                )
            )

    denials += _approval_and_window(project, at)

    granted: tuple[str, ...] = ()
    use = project.use_of(dataset.name)
    if use is None:
        denials.append(
            Denial(
                Rule.DATASET,
                f"dataset {dataset.name!r} is not one of project {project.name!r}'s datasets",
            )
        )
    else:
        wanted = tuple(use.columns) if columns is None else tuple(dict.fromkeys(columns))
        undeclared = [c for c in wanted if c not in use.columns]
        if undeclared:
            denials.append(
                Denial(
                    Rule.COLUMN,
                    f"project {project.name!r} did not declare column(s) "
                    f"{_names(undeclared)} of {dataset.name!r}",
                )
            )
        missing = [c for c in wanted if c in use.columns and c not in dataset.columns]
        if missing:
            denials.append(
                Denial(Rule.COLUMN, f"dataset {dataset.name!r} has no column(s) {_names(missing)}")
            )
        if not wanted:
            denials.append(Denial(Rule.COLUMN, "no column requested"))
        special = [c for c in wanted if c in dataset.special_category_columns]
        if special and purpose.art9_condition is None:
            denials.append(
                Denial(
                    Rule.SPECIAL_CATEGORY,
                    f"column(s) {_names(special)} of {dataset.name!r} are "
                    f"special categories and purpose {purpose.name!r} has no art. 9(2) condition",
                )
            )
        granted = wanted
        denials += _version_denials(project, use, dataset, latest_of_kind)

    if not dataset.collection_purpose.allows_reuse_for(purpose.name):
        denials.append(
            Denial(
                Rule.PURPOSE,
                f"dataset {dataset.name!r} was collected for purpose "
                f"{dataset.collection_purpose.name!r}, which does not declare "
                f"{purpose.name!r} compatible",
            )
        )
    if (
        dataset.personal
        and dataset.subject_column is None
        and (purpose.needs_consent or purpose.objection_applies)
    ):
        denials.append(
            Denial(
                Rule.SUBJECT_COLUMN,
                f"dataset {dataset.name!r} declares no subject-id column, so "
                f"consents and objections for {purpose.name!r} cannot be honoured",
            )
        )

    if denials:
        return Decision.deny(denials)
    return Decision.allow(
        f"{actor.role.value} {actor.name!r} may read {_names(granted)} of {dataset.name!r} for project "
        f"{project.name!r} (purpose {purpose.name!r}, {purpose.legal_basis.article})",
        granted,
    )


def _version_denials(
    project: Project, use: DatasetUse, dataset: GovernedDataset, latest_of_kind: int | None
) -> list[Denial]:
    """The version read must be the one the use is bound to, and raw only if the approval says so."""
    out: list[Denial] = []
    ref = dataset.ref
    if dataset.version is None:
        out.append(
            Denial(
                Rule.VERSION,
                f"the version of {dataset.name!r} read for project {project.name!r} is unknown",
            )
        )
    elif use.version is not None:
        if dataset.version != use.version:
            out.append(
                Denial(
                    Rule.VERSION,
                    f"{ref} is outside project {project.name!r}, which is bound to {use.binding}",
                )
            )
    elif dataset.kind is not use.kind or latest_of_kind != dataset.version:
        now = (
            f" ({dataset.name}@{latest_of_kind})"
            if latest_of_kind is not None
            else " (there is none)"
        )
        kind = dataset.kind.value if dataset.kind else "unknown kind"
        out.append(
            Denial(
                Rule.VERSION,
                f"{ref} ({kind}) is outside project {project.name!r}, which is bound to "
                f"{use.binding}{now}",
            )
        )
    if dataset.raw and not project.allows_raw:
        out.append(
            Denial(
                Rule.RAW,
                f"{ref} is raw data (no pseudonymization or anonymization in its lineage) "
                f"and the approval of project {project.name!r} does not allow raw data",
            )
        )
    return out


def subject_filter(
    project: Project,
    consents: ConsentLedger | Iterable[Consent],
    objections: Iterable[Objection] | None = None,
    *,
    at: dt.datetime,
    subjects: SubjectIndex | pa.Array | pa.ChunkedArray | Iterable[str] | None = None,
) -> SubjectFilter:
    """Which people a read for ``project`` at ``at`` may see.

    Consent-based purposes see only people whose last consent event at or before ``at`` is a
    consent given; purposes open to objection see everyone but those who objected by then; other
    bases see everyone. Under a public task with explicit consent (art. 9(2)(a)) both apply.

    ``subjects``, when given, must be *every* subject id present in the data the filter will be
    applied to (the subject index of the versions read): the shorter of the allow- and deny-list
    is then returned, which is only exact for people in that set. An Arrow array is taken as
    distinct ids; any other collection is deduplicated. Pass ``ledger.index_subjects(ids)`` kept
    from one read to the next to avoid looking a million ids up again on every read.
    """
    at = _instant(at)
    purpose = project.purpose
    basis = purpose.legal_basis.article
    if not purpose.needs_consent and not purpose.objection_applies:
        return SubjectFilter(
            FilterMode.ALL,
            (),
            purpose.name,
            at,
            f"{basis}: no consent needed and no right to object",
        )
    ledger = ConsentLedger.of(consents, objections)
    if purpose.objection_applies:
        objected = ledger.objection_mask(purpose.name, at)
    else:
        objected = np.zeros(ledger.subject_count, dtype=bool)
    if purpose.needs_consent:
        shown_known = ledger.consent_mask(purpose.name, at) & ~objected
        mode, listed = FilterMode.ALLOW, ledger.ids(shown_known)
        reason = f"{basis}: only people whose consent is given and not withdrawn at the read"
    else:
        shown_known = ~objected
        mode, listed = FilterMode.DENY, ledger.ids(objected)
        reason = f"{basis}: everyone except people who objected (art. 21)"
    universe_size = None
    if subjects is not None:
        index = subjects if isinstance(subjects, SubjectIndex) else ledger.index_subjects(subjects)
        if index.ledger is not ledger:  # built for another state of the consents: codes differ
            index = ledger.index_subjects(index.subjects)
        universe, codes = index.subjects, index.codes
        universe_size = len(universe)
        known = codes >= 0
        # people without any event: never shown under a consent basis, always under the others
        shown = np.full(universe_size, not purpose.needs_consent, dtype=bool)
        shown[known] = shown_known[codes[known]]
        if int(shown.sum()) <= universe_size - int(shown.sum()):
            mode, listed = FilterMode.ALLOW, universe.filter(pa.array(shown))
        else:
            mode, listed = FilterMode.DENY, universe.filter(pa.array(~shown))
    return SubjectFilter(mode, listed, purpose.name, at, reason, universe_size)


# Custodian-only operations: every one of them is named here, so a reviewer sees the whole list of
# what only the custodian does, and a role added later is refused until a rule here lets it in.
CUSTODIAN_NOTES = {
    "vault": " (analysts read data through a project: `bulle read NAME --project P`)",
    "workspace": ": it carries every dataset of the workspace",
}


def can_administer(actor: Actor, what: str, *, scope: str | None = None) -> Decision:
    """May ``actor`` do ``what``, an operation on the workspace that only a custodian does?

    Deny by default: every role but the custodian's is refused, including any role added later.
    ``scope`` ("vault", "workspace") adds why the operation is the custodian's to the refusal.
    """
    if actor.role is Role.CUSTODIAN:
        return Decision.allow(f"custodian {actor.name!r} may {what}")
    note = CUSTODIAN_NOTES.get(scope or "", "")
    if scope == "workspace":
        message = f"only a custodian may {what}{note} ({actor.name!r} acts as {actor.role.value})"
    else:
        message = f"only a custodian may {what}; {actor.name!r} acts as {actor.role.value}{note}"
    return Decision.deny([Denial(Rule.ROLE, message)])


def can_record_choices(actor: Actor, subject_ids: Iterable[str]) -> Decision:
    """Consents, withdrawals and objections: a custodian, or the data subject for themself only."""
    if actor.role is Role.CUSTODIAN:
        return Decision.allow(f"custodian {actor.name!r} may record subjects' choices")
    if actor.role is Role.SUBJECT:
        if all(s == actor.name for s in subject_ids):
            return Decision.allow("a data subject may record their own choices")
        return Decision.deny(
            [Denial(Rule.SUBJECT, "a data subject records only their own choices")]
        )
    return Decision.deny(
        [
            Denial(
                Rule.ROLE, "consents are recorded by a custodian, or by the data subject themselves"
            )
        ]
    )


def can_view_audit_log(actor: Actor) -> Decision:
    if actor.role in (Role.DPO, Role.CUSTODIAN):
        return Decision.allow(f"{actor.role.value} {actor.name!r} may read the audit log")
    return Decision.deny(
        [
            Denial(
                Rule.ROLE,
                f"the audit log is read by the dpo and custodians, not by a {actor.role.value}",
            )
        ]
    )


def can_view_access_report(actor: Actor, subject_id: str) -> Decision:
    """A person sees their own report (a subject actor is named by their pseudonymous id)."""
    if actor.role in (Role.DPO, Role.CUSTODIAN):
        return Decision.allow(
            f"{actor.role.value} {actor.name!r} may answer the access request of a subject"
        )
    if actor.role is Role.SUBJECT:
        if actor.name == subject_id:
            return Decision.allow("a data subject may read their own access report")
        return Decision.deny(
            [Denial(Rule.SUBJECT, "a data subject reads only their own access report")]
        )
    return Decision.deny([Denial(Rule.ROLE, f"an access report is not for a {actor.role.value}")])


def can_see_membership_scores(actor: Actor) -> Decision:
    """A person's membership-audit scores tell how exposed their records are in a model: the
    dpo answers that question for the person; custodians train and forget, they do not read it."""
    if actor.role is Role.DPO:
        return Decision.allow(f"dpo {actor.name!r} may read a subject's membership-audit scores")
    return Decision.deny(
        [
            Denial(
                Rule.ROLE,
                f"a subject's membership-audit scores are read by the dpo, not by a "
                f"{actor.role.value}",
            )
        ]
    )


def can_act_for_subject(actor: Actor, subject_id: str) -> Decision:
    """Withdrawal, objection and erasure: the person themself, or a custodian or dpo on their request."""
    if actor.role in (Role.DPO, Role.CUSTODIAN):
        return Decision.allow(f"{actor.role.value} {actor.name!r} may act on a subject's request")
    if actor.role is Role.SUBJECT and actor.name == subject_id:
        return Decision.allow("a data subject may exercise their own rights")
    rule = Rule.SUBJECT if actor.role is Role.SUBJECT else Rule.ROLE
    return Decision.deny(
        [Denial(rule, f"a {actor.role.value} may not exercise another person's rights")]
    )


def can_receive_rows(actor: Actor, project: Project, version: Any, delivery: str) -> Decision:
    """May rows of ``version`` leave ``project`` as ``delivery`` (``show`` or ``file``)?

    The project's approval decided its row access: ``none`` lets no rows out, ``view`` shows them
    (no file), ``export`` also gives files, and only of anonymized versions (checked again here:
    a binding to the newest anonymized version could one day serve another kind).
    """
    from bulle.domain.datasets import VersionKind

    access = project.row_access
    denials = []
    if not access.allows(delivery):
        how = "downloaded as a file" if delivery == "file" else "shown"
        denials.append(
            Denial(
                Rule.ROW_ACCESS,
                f"project {project.name!r} was approved with row access {access.value!r}: its rows "
                f"cannot be {how}"
                + (
                    "; aggregates go through analyst SQL within the bubble"
                    if delivery != "file"
                    else ""
                ),
            )
        )
    elif delivery == "file" and version.kind is not VersionKind.ANONYMIZE:
        denials.append(
            Denial(
                Rule.ROW_ACCESS,
                f"{version.ref} is not anonymized: only anonymized versions leave as files",
            )
        )
    if denials:
        return Decision.deny(denials)
    return Decision.allow(f"row access {access.value} allows this delivery ({delivery})")


def can_approve(actor: Actor, project: Project) -> Decision:
    if actor.role is not Role.CUSTODIAN:
        return Decision.deny(
            [
                Denial(
                    Rule.ROLE,
                    f"only a custodian approves a project; {actor.name!r} is a {actor.role.value}",
                )
            ]
        )
    return Decision.allow(f"custodian {actor.name!r} may approve project {project.name!r}")


def can_change_setting(actor: Actor, name: str, changed_by: Role) -> Decision:
    """A workspace setting (a threshold of :mod:`bulle.settings`) is changed by its declared role."""
    if actor.role is not changed_by:
        return Decision.deny(
            [
                Denial(
                    Rule.ROLE,
                    f"only a {changed_by.value} changes setting {name!r}; "
                    f"{actor.name!r} acts as {actor.role.value}",
                )
            ]
        )
    return Decision.allow(f"{actor.role.value} {actor.name!r} may change setting {name!r}")


def can_manage_tokens(actor: Actor, owner: str) -> Decision:
    """API tokens: a custodian for any account, anyone else for their own account only."""
    if actor.role is Role.CUSTODIAN:
        return Decision.allow(f"custodian {actor.name!r} may manage the tokens of {owner!r}")
    if actor.name == owner and actor.role not in (Role.SUBJECT, Role.SYSTEM):
        return Decision.allow(f"{actor.name!r} may manage their own tokens")
    return Decision.deny(
        [
            Denial(
                Rule.ROLE,
                f"only a custodian manages the tokens of another account ({actor.name!r} acts "
                f"as {actor.role.value}, the tokens are {owner!r}'s)",
            )
        ]
    )


def can_change_own_password(actor: Actor, account: str) -> Decision:
    """A person changes only their own password (a custodian resets others': ``can_administer``)."""
    if actor.name == account and actor.role not in (Role.SUBJECT, Role.SYSTEM):
        return Decision.allow(f"{actor.name!r} may change their own password")
    return Decision.deny(
        [Denial(Rule.ROLE, f"{actor.name!r} may not change the password of {account!r}")]
    )


# -- the analysis bubble ------------------------------------------------------------------------
def can_submit_job(actor: Actor, project: Project, *, at: dt.datetime) -> Decision:
    """A job runs for an analyst member of an approved project, within its validity."""
    at = _instant(at)
    denials: list[Denial] = []
    if actor.role is not Role.ANALYST:
        denials.append(
            Denial(
                Rule.ROLE,
                f"jobs are submitted by analysts; {actor.name!r} acts as {actor.role.value}",
            )
        )
    else:
        member = project.member(actor.name)
        if member is None or member.role is not Role.ANALYST:
            denials.append(
                Denial(
                    Rule.MEMBERSHIP,
                    f"{actor.name!r} is not an analyst member of project {project.name!r}",
                )
            )
    denials += _approval_and_window(project, at)
    if denials:
        return Decision.deny(denials)
    return Decision.allow(f"analyst {actor.name!r} may run jobs in project {project.name!r}")


def can_see_job(actor: Actor, analyst: str) -> Decision:
    """A job, its code, logs and outputs: its analyst, the checkers who review it, custodians."""
    if actor.role in (Role.CUSTODIAN, Role.CHECKER):
        return Decision.allow(f"{actor.role.value} {actor.name!r} may see jobs")
    if actor.role is Role.ANALYST and actor.name == analyst:
        return Decision.allow("an analyst sees their own jobs")
    return Decision.deny(
        [
            Denial(
                Rule.ROLE,
                f"a job is seen by its analyst, checkers and custodians, not {actor.name!r}",
            )
        ]
    )


def can_read_job_logs(actor: Actor, analyst: str, *, dummy: bool) -> Decision:
    """A job's printed output: unchecked, so it stays with checkers and custodians when the job ran
    on real data; the analyst reads the logs of their own dummy-data runs."""
    if actor.role in (Role.CUSTODIAN, Role.CHECKER):
        return Decision.allow(f"{actor.role.value} {actor.name!r} may read jobs' logs")
    if actor.role is Role.ANALYST and actor.name == analyst and dummy:
        return Decision.allow("an analyst reads the logs of their own dummy-data runs")
    return Decision.deny(
        [
            Denial(
                Rule.ROLE,
                "the logs of a job run on real data stay in the bubble (they are unchecked "
                "output): run it with --dummy to debug, or ask a checker",
            )
        ]
    )


def can_inspect_output(actor: Actor, analyst: str, *, dummy: bool) -> Decision:
    """An output's content before its release (the table or figure the checks judged): what its
    reviewers read; like the logs, its analyst sees it at once only for a dummy-data run."""
    if actor.role in (Role.CUSTODIAN, Role.CHECKER):
        return Decision.allow(f"{actor.role.value} {actor.name!r} reviews outputs")
    if actor.role is Role.ANALYST and actor.name == analyst and dummy:
        return Decision.allow("an analyst reads the outputs of their own dummy-data runs")
    return Decision.deny(
        [
            Denial(
                Rule.ROLE,
                "an output of a job run on real data is read by its checkers until it is "
                "released; then its analyst downloads it",
            )
        ]
    )


def can_change_output(actor: Actor, analyst: str) -> Decision:
    """Mitigations and exception requests: the output's own analyst only."""
    if actor.role is Role.ANALYST and actor.name == analyst:
        return Decision.allow("an analyst mitigates their own outputs")
    return Decision.deny(
        [
            Denial(
                Rule.ROLE,
                f"only the job's analyst ({analyst!r}) mitigates or justifies its outputs",
            )
        ]
    )


def can_review_output(actor: Actor, analyst: str, reviewers: Iterable[str]) -> Decision:
    """Two different checkers, neither of them the output's analyst, each once per revision."""
    if actor.role is not Role.CHECKER:
        return Decision.deny(
            [
                Denial(
                    Rule.ROLE,
                    f"outputs are reviewed by checkers; {actor.name!r} acts as {actor.role.value}",
                )
            ]
        )
    if actor.name == analyst:
        return Decision.deny([Denial(Rule.ROLE, "a checker never reviews their own outputs")])
    if actor.name in set(reviewers):
        return Decision.deny(
            [
                Denial(
                    Rule.ROLE,
                    f"{actor.name!r} already reviewed this revision: a second checker must",
                )
            ]
        )
    return Decision.allow(f"checker {actor.name!r} may review this output")


def can_download_output(actor: Actor, analyst: str, *, released: bool, dummy: bool) -> Decision:
    """Only released outputs leave, to their analyst; outputs of dummy-data jobs at once."""
    if actor.role is not Role.ANALYST or actor.name != analyst:
        return Decision.deny(
            [Denial(Rule.ROLE, f"an output is downloaded by its analyst ({analyst!r}) only")]
        )
    if not (released or dummy):
        return Decision.deny(
            [Denial(Rule.APPROVAL, "this output has not been released (checks and two approvals)")]
        )
    return Decision.allow("the analyst downloads a released output")


def _approval_and_window(project: Project, at: dt.datetime) -> list[Denial]:
    """A project acts only once approved by a custodian and within its validity period."""
    denials = []
    if project.approval is None:
        denials.append(
            Denial(Rule.APPROVAL, f"project {project.name!r} has not been approved by a custodian")
        )
    elif not project.is_approved_at(at):
        denials.append(
            Denial(
                Rule.APPROVAL,
                f"project {project.name!r} was approved only at "
                f"{project.approval.at.isoformat()}, after this read",
            )
        )
    if at < project.valid_from:
        denials.append(
            Denial(
                Rule.NOT_YET_VALID,
                f"project {project.name!r} is valid only from {project.valid_from.isoformat()}",
            )
        )
    elif at >= project.valid_until:
        denials.append(
            Denial(
                Rule.EXPIRED,
                f"project {project.name!r} expired at {project.valid_until.isoformat()}",
            )
        )
    return denials


def _instant(at: dt.datetime) -> dt.datetime:
    c = Checker("instant of the access")
    value = c.instant(at, "at")
    c.done()
    assert value is not None
    return value


def _names(names: Iterable[str]) -> str:
    return ", ".join(repr(n) for n in names)

"""Finding one person in every dataset of a workspace, whatever identifier each dataset holds.

A person may appear under their subject id in one dataset, under their NIR, e-mail or telephone
number (direct identifiers) in another, and under a keyed pseudonym of any of those in a third.
``search`` links them all: starting from the subject id, it scans every version for rows holding
one of the person's identifiers, takes the other identifiers found in those rows, and scans again
until nothing new turns up (a closure over the rows the person is in). Pseudonyms are computed
from the workspace's pseudonym keys (every key still in the key folder), so a pseudonymized copy
is found even when it was imported on its own, without lineage.

Linking identifiers are those that designate one person: the subject id, and direct identifiers
of kind ``nir``, ``email`` or ``phone``. The closure runs over the latter only: those are national
or global, whereas subject-id namespaces differ between sources (stay number 12 in one dataset is
not patient 12 in another), so a subject id read in a linked row never widens the search. Names and addresses are not unique (homonyms): rows are
never matched on them alone; a version where only those identify people is reported as not
searched, so the custodian can review it by hand. Values are compared after the normalization of
their kind (NIR digits, lower-cased e-mail, national telephone digits); values too short to
designate anyone (an empty cell, three digits) never link.

The identifiers found are row values: they stay in memory and, for an erasure in progress, in the
catalog's erasure journal (deleted when the erasure completes). Results name versions, columns
and counts only, so they can go to receipts and the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bulle.domain.datasets import ColumnRole, DatasetVersion, VersionKind, VersionStatus
from bulle.storage.engine import ValueIn
from bulle.vault.pseudonymize import NORMALIZERS, TOKEN_PREFIX, normalize, token

if TYPE_CHECKING:
    from bulle.workspace import Workspace

LINK_KINDS = ("nir", "email", "phone")  # direct identifiers that designate one person
PSEUDONYM = "pseudonym"
SUBJECT_ID = "subject_id"
MAX_ROUNDS = 8  # a person's identifiers are few: the closure ends in two or three rounds


def _usable(kind: str, value: str | None) -> bool:
    """A value that can designate one person (garbage and blanks link nobody)."""
    if value is None:
        return False
    if kind == SUBJECT_ID:
        return bool(value.strip())
    if kind == "nir":
        return len(value) >= 13
    if kind == "email":
        return "@" in value and len(value) >= 5
    return len(value) >= 9  # phone


@dataclass
class Identifiers:
    """What locates the person: per kind, the normalized values; the raw values of each kind give
    the pseudonyms (a pseudonymized column was normalized by its own kind, or as plain text)."""

    values: dict[str, set[str]] = field(
        default_factory=lambda: {k: set() for k in (SUBJECT_ID, *LINK_KINDS)}
    )
    raw: dict[str, set[str]] = field(
        default_factory=lambda: {k: set() for k in (SUBJECT_ID, *LINK_KINDS)}
    )
    tokens: set[str] = field(default_factory=set)

    def add(self, kind: str, raw: str | None, normalized: str | None) -> bool:
        if raw is None or raw.startswith(TOKEN_PREFIX + "_"):  # a pseudonym is matched as one
            return False
        if not _usable(kind, normalized) or raw in self.raw[kind]:
            return False
        self.values[kind].add(normalized)  # type: ignore[arg-type]
        self.raw[kind].add(
            raw
        )  # another spelling: a copy pseudonymized as plain text has its own token
        return True

    def compute_tokens(self, keys: dict[str, bytes]) -> None:
        out = set()
        for kind, raws in self.raw.items():
            kinds = {kind if kind in NORMALIZERS else "text", "text"}
            for key_id, key in keys.items():
                for r in raws:
                    out |= {token(key, key_id, normalize(r, k)) for k in kinds}
        self.tokens = out

    def counts(self) -> dict[str, int]:
        return {**{k: len(v) for k, v in self.values.items()}, PSEUDONYM: len(self.tokens)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "values": {k: sorted(v) for k, v in self.values.items()},
            "raw": {k: sorted(v) for k, v in self.raw.items()},
            "tokens": sorted(self.tokens),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Identifiers:
        return cls(
            {k: set(v) for k, v in d["values"].items()},
            {k: set(v) for k, v in d["raw"].items()},
            set(d["tokens"]),
        )


@dataclass(frozen=True)
class Link:
    column: str
    kind: str  # subject_id, nir, email, phone or pseudonym

    def to_dict(self) -> dict[str, str]:
        return {"column": self.column, "link": self.kind}


def matches(links: list[Link], ids: Identifiers) -> list[ValueIn]:
    """What the engine matches: the rows holding one of the person's identifiers, one predicate
    per link (compared after the normalization of the link's kind)."""
    return [
        ValueIn(
            link.column,
            frozenset(ids.tokens if link.kind == PSEUDONYM else ids.values[link.kind]),
            link.kind if link.kind in LINK_KINDS else None,
        )
        for link in links
    ]


@dataclass
class VersionSearch:
    version: DatasetVersion
    links: list[Link]
    rows: int = 0
    matched: set[str] = field(default_factory=set)  # the columns that held one of the identifiers
    unsearchable: list[dict[str, str]] = field(default_factory=list)  # columns under a missing key


@dataclass
class SearchResult:
    identifiers: Identifiers
    searched: dict[str, VersionSearch]
    not_searched: dict[str, str]  # ref -> why

    @property
    def holders(self) -> list[VersionSearch]:
        return [s for s in self.searched.values() if s.rows]

    def searched_list(self) -> list[dict[str, Any]]:
        return [
            {
                "ref": s.version.ref,
                "columns": [x.to_dict() for x in s.links],
                "rows_matched": s.rows,
                "linked_by": sorted(s.matched),
                **({"columns_not_searched": s.unsearchable} if s.unsearchable else {}),
            }
            for s in self.searched.values()
        ]

    def not_searched_list(self) -> list[dict[str, str]]:
        return [{"ref": ref, "reason": why} for ref, why in self.not_searched.items()]


def pseudonym_keys(ws: Workspace) -> dict[str, bytes]:
    """Every pseudonym key still in the key folder, by id (old keys stay after a rotation)."""
    out = {}
    for p in sorted(ws.keys.dir.glob("pseudonym-*.key")):
        key_id = p.name[len("pseudonym-") : -len(".key")]
        out[key_id] = ws.keys.pseudonym_key(key_id)[1]
    return out


def links_of(ws: Workspace, v: DatasetVersion) -> tuple[list[Link], str | None]:
    """The columns of ``v`` that may link a row to a person, or why there are none."""
    names = {c["name"] for c in v.schema}
    links: list[Link] = []
    weak = []
    for r in ws.catalog.roles(v.dataset, v.number):
        if r.column not in names:
            continue
        if r.role is ColumnRole.SUBJECT_ID:
            links += [Link(r.column, SUBJECT_ID), Link(r.column, PSEUDONYM)]
        elif r.role is ColumnRole.DIRECT_IDENTIFIER:
            if r.identifier_kind in LINK_KINDS:
                links += [Link(r.column, r.identifier_kind), Link(r.column, PSEUDONYM)]
            else:  # a name's pseudonym is as ambiguous as the name
                weak.append(r.column)
    if links:
        return links, None
    if v.kind is VersionKind.ANONYMIZE or not v.personal_data:
        return [], "anonymized release: the person cannot be located in it (no identifying column)"
    if weak:
        return [], (
            f"only names, addresses or other non-unique identifiers ({', '.join(weak)}) identify "
            "people here: rows are never matched on them alone; review by hand"
        )
    return (
        [],
        "no column links rows to a person (no subject id, NIR, e-mail, telephone or pseudonym)",
    )


def search(ws: Workspace, subject_id: str) -> SearchResult:
    """Every version holding the person, with the columns that linked them and the row counts."""
    ids = Identifiers()
    ids.add(SUBJECT_ID, subject_id, subject_id)
    keys = pseudonym_keys(ws)
    searched: dict[str, VersionSearch] = {}
    not_searched: dict[str, str] = {}
    for v in ws.catalog.versions():
        if v.status is VersionStatus.NEEDS_RECOMPUTE:
            not_searched[v.ref] = (
                "withheld (needs recomputation): its file was removed by an earlier erasure"
            )
            continue
        links, why = links_of(ws, v)
        if why:
            not_searched[v.ref] = why
        else:
            searched[v.ref] = VersionSearch(v, links)
    _missing_keys(ws, searched, set(keys))
    for ref, s in list(searched.items()):
        if s.unsearchable and {x.column for x in s.links} <= {u["column"] for u in s.unsearchable}:
            not_searched[ref] = s.unsearchable[0]["reason"]
            del searched[ref]
    for _ in range(MAX_ROUNDS):
        ids.compute_tokens(keys)
        grew = False
        for s in searched.values():
            match = matches(s.links, ids)
            path = ws.path_of(s.version)
            s.rows, per_link = ws.engine.count_matches(path, match)
            s.matched = {x.column for x, n in zip(s.links, per_link, strict=True) if n}
            if not s.rows:
                continue
            raw_links = [x for x in s.links if x.kind in LINK_KINDS]  # see "namespaces" above
            if not raw_links:
                continue
            found = ws.engine.distinct_matches(path, match, [(x.column, x.kind) for x in raw_links])
            for row in sorted(found, key=repr):
                for i, x in enumerate(raw_links):
                    grew |= ids.add(x.kind, row[2 * i], row[2 * i + 1])
        if not grew:
            break
    return SearchResult(ids, searched, not_searched)


def _missing_keys(ws: Workspace, searched: dict[str, VersionSearch], known: set[str]) -> None:
    """Pseudonyms made under a key that is gone cannot be recomputed: say which columns hold them."""
    for s in searched.values():
        for col in [x.column for x in s.links if x.kind == PSEUDONYM]:
            gone = sorted(ws.engine.token_key_ids(ws.path_of(s.version), col, TOKEN_PREFIX) - known)
            if gone:
                s.unsearchable.append(
                    {
                        "column": col,
                        "reason": (
                            f"pseudonyms under key {', '.join(gone)}, which is no longer in the key folder: "
                            "the person's pseudonym cannot be computed"
                        ),
                    }
                )

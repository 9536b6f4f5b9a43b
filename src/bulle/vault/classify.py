"""Suggest a role for each column from its name, its values and its statistics, with the reason.

French-aware: column names are compared after folding accents and case and splitting on
separators (``Date_de_Naissance`` -> ``date de naissance``). Names can be opaque (``c1``), so the
values are read too: patterns with checksums on the profile's sample (e-mails, French phone
numbers, NIR with a valid key, IBAN, ICD-10 codes), then the French text recognizers on a bounded
sample of distinct values (names, first names, addresses, e-mails, phones, dates, postcodes,
places: :mod:`bulle.vault.value_kinds`). Every date column is a candidate quasi-identifier, by its
type or its values, whatever its name says, unless its name makes it an identifier.
A suggestion is only a suggestion: the custodian confirms or overrides it, and a release or a
pseudonymization needs every role confirmed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bulle.domain.datasets import ColumnRole, ColumnRoleAssignment
from bulle.settings import default
from bulle.vault import value_kinds
from bulle.vault.patterns import is_email, is_french_phone, is_iban, is_icd10, is_nir


def fold(name: str) -> str:
    """``Prénom_Patient`` -> ``prenom patient``."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text).lower()
    return " ".join(re.split(r"[^a-z0-9]+", text)).strip()


@dataclass(frozen=True)
class NameRule:
    role: ColumnRole
    pattern: re.Pattern[str]
    what: str
    identifier_kind: str | None = None


def _r(role: ColumnRole, regex: str, what: str, kind: str | None = None) -> NameRule:
    return NameRule(role, re.compile(regex), what, kind)


S, D, Q, SC, FT = (
    ColumnRole.SUBJECT_ID,
    ColumnRole.DIRECT_IDENTIFIER,
    ColumnRole.QUASI_IDENTIFIER,
    ColumnRole.SPECIAL_CATEGORY,
    ColumnRole.FREE_TEXT,
)

# Order matters: the first matching rule wins.
NAME_RULES: list[NameRule] = [
    _r(
        D,
        r"\b(nir|nss|insee|secu|securite sociale|social security|ssn|num(ero)? secu)\b",
        "a social security number (NIR)",
        "nir",
    ),
    _r(
        S,
        r"^(id|ipp|nip|ident|identifiant|subject|sujet|person|personne|patient|individu|pseudo)( ?(id|num|numero|number|identifiant|patient|sujet|personne))?$|^(id|num|numero|identifiant) (patient|personne|sujet|individu|usager|client|beneficiaire)$|^(patient|subject|person|client|user) ?id$",
        "an identifier that links rows to a person",
    ),
    _r(
        D,
        r"\b(e ?mail|courriel|mail|adresse electronique|email address)\b",
        "an e-mail address",
        "email",
    ),
    _r(D, r"\b(tel|telephone|phone|portable|mobile|gsm|fax)\b", "a telephone number", "phone"),
    _r(
        D,
        r"\b(iban|rib|bic|numero de compte|account number|carte bancaire|card number)\b",
        "a bank identifier",
        "text",
    ),
    _r(
        D,
        r"^(nom|name|surname|lastname|last name|family name|nom de famille|nom naissance|nom de naissance|nom usage|nom d usage|patronyme)\b|\b(nom|name) (patient|personne|client|usager|medecin|beneficiaire)\b",
        "a person's name",
        "name",
    ),
    _r(
        D,
        r"^(prenom|prenoms|firstname|first name|given name|forename)s?\b|\bprenom\b",
        "a first name",
        "name",
    ),
    _r(D, r"\b(adresse|address|rue|street|voie|domicile)\b", "a postal address", "text"),
    _r(
        D,
        r"\b(passeport|passport|permis|driving licence|carte d identite|cni|immatriculation|plaque)\b",
        "an identity document number",
        "text",
    ),
    _r(D, r"\b(ip|adresse ip|ip address|mac address)\b", "a network identifier", "text"),
    _r(
        Q,
        r"\b(date (de )?naissance|ddn|naissance|birth ?date|date of birth|dob|birthday|ne le|annee (de )?naissance|year of birth)\b",
        "a birth date",
        None,
    ),
    _r(
        Q,
        r"\b(code postal|cp|postcode|postal code|zip|zip code|code commune|insee commune)\b",
        "a postcode",
        None,
    ),
    _r(
        Q,
        r"\b(commune|ville|city|town|localite|lieu (de )?naissance|lieu de residence|departement|dept|region|pays|country|native country|nationalite|nationality)\b",
        "a place",
        None,
    ),
    _r(
        SC,
        r"\b(diagnostic|diagnosis|diag|cim ?10|icd ?10|icd|pathologie|maladie|disease|affection|traitement|treatment|medicament|medication|drug|ordonnance|prescription|symptome|handicap|disability|sante|health|hiv|vih|grossesse|pregnan|allergie|antecedents?|acte medical|ccam|ghm|gir)\b",
        "health data (GDPR art. 9)",
    ),
    _r(
        SC,
        r"\b(race|ethnie|ethnic|ethnicity|origine ethnique|origine raciale)\b",
        "ethnic or racial origin (GDPR art. 9)",
    ),
    _r(SC, r"\b(religion|confession|culte|croyance|belief)\b", "religious belief (GDPR art. 9)"),
    _r(
        SC,
        r"\b(orientation sexuelle|sexual orientation|vie sexuelle|sex life)\b",
        "sex life or sexual orientation (GDPR art. 9)",
    ),
    _r(
        SC,
        r"\b(opinion politique|political|parti|party affiliation|vote)\b",
        "political opinion (GDPR art. 9)",
    ),
    _r(
        SC,
        r"\b(syndicat|syndical|union membership|trade union)\b",
        "trade-union membership (GDPR art. 9)",
    ),
    _r(
        SC,
        r"\b(genetique|genetic|genome|adn|dna|biometri|empreinte|fingerprint)\b",
        "genetic or biometric data (GDPR art. 9)",
    ),
    _r(Q, r"^(age|ages|tranche d age|age group)$|\bage\b", "an age", None),
    _r(Q, r"^(sexe|sex|genre|gender|civilite|titre)$", "sex or gender", None),
    _r(
        Q,
        r"\b(profession|occupation|metier|emploi|job|employeur|employer|workclass|csp|categorie socio|education|diplome|niveau d etudes|situation familiale|marital|statut marital|etat civil)\b",
        "a socio-demographic attribute",
    ),
    _r(
        Q,
        r"\b(date (d )?(entree|admission|sortie|deces|hospitalisation|consultation|sejour)|admission date|discharge date|date of death)\b",
        "an event date tied to the person",
        None,
    ),
    _r(
        FT,
        r"\b(commentaire|comment|comments|remarque|note|notes|observation|observations|texte|text|compte rendu|cr|description|motif|resume|narrative|libelle libre|free text)\b",
        "free text",
        None,
    ),
]

VALUE_CHECKS = [
    (is_nir, D, "values are NIR numbers with a valid key", "nir"),
    (is_email, D, "values are e-mail addresses", "email"),
    (is_iban, D, "values are IBANs with a valid checksum", "text"),
    (is_french_phone, D, "values are French telephone numbers", "phone"),
    (is_icd10, SC, "values are ICD-10 diagnosis codes (health data, GDPR art. 9)", None),
]
VALUE_SHARE: float = default(
    "profile.value_share"
)  # share of sampled values that must match a pattern


@dataclass(frozen=True)
class Thresholds:
    """The classifier's tunable thresholds: a workspace's ``profile.*`` settings."""

    value_share: float = VALUE_SHARE
    kind_values: int = value_kinds.MAX_VALUES

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Thresholds:
        return cls(settings["profile.value_share"], settings["profile.kind_values"])


def suggest_roles(
    profile: list[dict[str, Any]], thresholds: Thresholds | None = None
) -> list[ColumnRoleAssignment]:
    t = thresholds or Thresholds()
    suggestions = [_suggest(col, t) for col in profile]
    return _one_subject_id(suggestions, profile)


# What the recognizers' kinds make of a column: role and identifier kind (for pseudonymization).
VALUE_KIND_ROLES = {
    "email": (D, "email"),
    "phone": (D, "phone"),
    "address": (D, "text"),
    "name": (D, "name"),
    "date": (Q, None),
    "postcode": (Q, None),
    "place": (Q, None),
}
DATE_TYPES = ("DATE", "TIMESTAMP")
CODE_MIN_ROWS, CODE_UNIQUENESS, CODE_MAX_LENGTH = 20, 0.99, 32
INTEGER_TYPES = ("BIGINT", "INTEGER", "HUGEINT", "SMALLINT", "UBIGINT", "UINTEGER")


def _suggest(col: dict[str, Any], t: Thresholds) -> ColumnRoleAssignment:
    name = col["name"]
    by_name = _by_name(col)
    if by_name is not None and by_name.role in (S, D, Q):
        return by_name
    memo: dict[str, Any] = {}
    date = _date_reason(col, memo, t)
    if date is not None:
        also = f"; {by_name.reason}" if by_name is not None else ""
        return ColumnRoleAssignment(name, Q, f"{date}: a candidate quasi-identifier{also}")
    if by_name is not None:
        return by_name
    by_value = _by_value(col, memo, t)
    if by_value is not None:
        return by_value
    is_text = col["type"].upper().startswith("VARCHAR")
    if is_text and (col.get("mean_length") or 0) >= 40 and col.get("uniqueness", 0) > 0.5:
        return ColumnRoleAssignment(
            name, FT, f"long, mostly distinct text (mean length {col['mean_length']:.0f})"
        )
    if is_text and _distinct_codes(col, t):
        return ColumnRoleAssignment(
            name,
            D,
            f"distinct short codes with digits ({col['uniqueness']:.0%} of values "
            "distinct): a record or person identifier",
            identifier_kind="text",
        )
    return ColumnRoleAssignment(
        name, ColumnRole.OTHER, "no identifying pattern in its name or values"
    )


def _distinct_codes(col: dict[str, Any], t: Thresholds) -> bool:
    """``P100000``, ``IPP-2024-0042``: one distinct code per row singles every row out."""
    sample = _sample(col)
    if (
        col.get("non_null", col.get("rows", 0)) < CODE_MIN_ROWS
        or col.get("uniqueness", 0) < CODE_UNIQUENESS
    ):
        return False
    if not sample or (col.get("mean_length") or 0) > CODE_MAX_LENGTH:
        return False
    return sum(any(ch.isdigit() for ch in v) for v in sample) / len(sample) >= t.value_share


def _by_name(col: dict[str, Any]) -> ColumnRoleAssignment | None:
    name, folded = col["name"], fold(col["name"])
    for rule in NAME_RULES:
        if rule.pattern.search(folded):
            if (
                rule.role is ColumnRole.SUBJECT_ID
                and col.get("uniqueness", 0) < 0.05
                and col["rows"] > 100
            ):
                continue  # an 'id' column with few distinct values is a code, not a person's id
            return ColumnRoleAssignment(
                name,
                rule.role,
                f"column name {name!r} suggests {rule.what}",
                identifier_kind=rule.identifier_kind,
            )
    return None


def _sample(col: dict[str, Any]) -> list[str]:
    values = [str(s).strip() for s in col.get("sample", []) if s is not None and str(s).strip()]
    if col["type"].upper() in INTEGER_TYPES:
        # A postcode read as a number lost its leading zero (01000 -> 1000).
        values = [v.zfill(5) if len(v) == 4 and v.isdigit() else v for v in values]
    return values


def _date_reason(col: dict[str, Any], memo: dict[str, Any], t: Thresholds) -> str | None:
    kind = col["type"].upper()
    if kind.startswith(DATE_TYPES):
        return f"a date column ({col['type']})"
    if kind.startswith("VARCHAR"):
        found = _value_kind(col, memo, t)
        if found is not None and found[0].name == "date":
            return f"values are dates ({found[1]}/{found[2]} sampled distinct values)"
    return None


_MISSING = object()


def _value_kind(
    col: dict[str, Any], memo: dict[str, Any], t: Thresholds
) -> tuple[value_kinds.ValueKind, int, int] | None:
    """The recognizers' verdict on the column's values, computed at most once per suggestion."""
    if memo.get("kind", _MISSING) is _MISSING:
        memo["kind"] = value_kinds.detect(_sample(col), t.kind_values)
    return memo["kind"]


def _by_value(
    col: dict[str, Any], memo: dict[str, Any], t: Thresholds
) -> ColumnRoleAssignment | None:
    name = col["name"]
    sample = _sample(col)
    if not sample:
        return None
    for check, role, what, kind in VALUE_CHECKS:
        hits = sum(1 for v in sample if check(v))
        if hits / len(sample) >= t.value_share:
            return ColumnRoleAssignment(
                name, role, f"{what} ({hits}/{len(sample)} sampled values)", identifier_kind=kind
            )
    found = _value_kind(col, memo, t)
    if found is None:
        return None
    kind, hits, n = found
    role, identifier_kind = VALUE_KIND_ROLES[kind.name]
    return ColumnRoleAssignment(
        name,
        role,
        f"values are {kind.what} ({hits}/{n} sampled distinct values)",
        identifier_kind=identifier_kind,
    )


def _one_subject_id(
    suggestions: list[ColumnRoleAssignment], profile: list[dict[str, Any]]
) -> list[ColumnRoleAssignment]:
    """Keep at most one subject id: the most distinct candidate; others become direct identifiers."""
    candidates = [i for i, s in enumerate(suggestions) if s.role is ColumnRole.SUBJECT_ID]
    if len(candidates) <= 1:
        return suggestions
    best = max(candidates, key=lambda i: profile[i].get("uniqueness", 0))
    out = list(suggestions)
    for i in candidates:
        if i != best:
            s = out[i]
            out[i] = ColumnRoleAssignment(
                s.column, D, s.reason + f"; {suggestions[best].column!r} is the subject id"
            )
    return out

"""Purposes and their legal grounds under the GDPR.

Every use of personal data in Bulle is tied to a declared purpose (art. 5(1)(b), purpose
limitation). The legal basis decides how people's choices are honoured: a consent basis needs a
consent that has not been withdrawn (art. 7(3)); public-task and legitimate-interests bases let a
person object (art. 21); the others (contract, legal obligation, vital interests) need neither.
Data revealing special categories (health, ethnic origin, beliefs...) additionally needs one of
the art. 9(2) conditions, and condition (a), explicit consent, again requires a live consent.

Reuse for another purpose is allowed only if the purpose the data was collected for declares it
compatible (art. 6(4)): compatibility is declared by the collecting side, never claimed by the
reusing project.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bulle.domain.governance_fields import Checker, set_fields


class LegalBasis(StrEnum):
    """GDPR art. 6(1) (a)-(f)."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTERESTS = "legitimate_interests"

    @property
    def article(self) -> str:
        letter = "abcdef"[list(LegalBasis).index(self)]
        return f"GDPR art. 6(1)({letter})"


class SpecialCategoryCondition(StrEnum):
    """GDPR art. 9(2) (a)-(j): the exception that lifts the ban on special categories."""

    EXPLICIT_CONSENT = "explicit_consent"
    EMPLOYMENT = "employment"
    VITAL_INTERESTS = "vital_interests"
    NONPROFIT_BODY = "nonprofit_body"
    MADE_PUBLIC = "made_public"
    LEGAL_CLAIMS = "legal_claims"
    SUBSTANTIAL_PUBLIC_INTEREST = "substantial_public_interest"
    HEALTH_CARE = "health_care"
    PUBLIC_HEALTH = "public_health"
    RESEARCH_STATISTICS = "research_statistics"

    @property
    def article(self) -> str:
        letter = "abcdefghij"[list(SpecialCategoryCondition).index(self)]
        return f"GDPR art. 9(2)({letter})"


OBJECTION_BASES = frozenset({LegalBasis.PUBLIC_TASK, LegalBasis.LEGITIMATE_INTERESTS})


@dataclass(frozen=True)
class Purpose:
    """A declared purpose: why data is processed, on which legal ground, and what may reuse it.

    ``special_categories`` says the processing touches art. 9 data; it then needs
    ``art9_condition``. ``compatible_with`` names the purposes that may reuse data collected for
    this one.
    """

    name: str
    description: str
    legal_basis: LegalBasis
    special_categories: bool = False
    art9_condition: SpecialCategoryCondition | None = None
    compatible_with: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        c = Checker(f"purpose {self.name!r}")
        c.name(self.name, "name")
        c.text(self.description, "description")
        basis = c.enum(LegalBasis, self.legal_basis, "legal_basis")
        condition = c.enum(
            SpecialCategoryCondition, self.art9_condition, "art9_condition", required=False
        )
        if not isinstance(self.special_categories, bool):
            c.add("expected true or false", "special_categories")
        elif self.special_categories and condition is None and self.art9_condition is None:
            c.add(
                "a purpose processing special categories needs an art. 9(2) condition "
                f"(one of: {', '.join(m.value for m in SpecialCategoryCondition)})",
                "art9_condition",
            )
        elif not self.special_categories and self.art9_condition is not None:
            c.add(
                "an art. 9(2) condition is only declared for a purpose processing special categories "
                "(set special_categories)",
                "art9_condition",
            )
        compatible = c.names(
            sorted(self.compatible_with, key=str)
            if isinstance(self.compatible_with, (set, frozenset))
            else self.compatible_with,
            "compatible_with",
        )
        c.done()
        set_fields(
            self, legal_basis=basis, art9_condition=condition, compatible_with=frozenset(compatible)
        )

    @property
    def needs_consent(self) -> bool:
        """Only people with a live consent may be processed (art. 6(1)(a) or art. 9(2)(a))."""
        return (
            self.legal_basis is LegalBasis.CONSENT
            or self.art9_condition is SpecialCategoryCondition.EXPLICIT_CONSENT
        )

    @property
    def objection_applies(self) -> bool:
        """People may object and must then be left out (art. 21(1))."""
        return self.legal_basis in OBJECTION_BASES

    def allows_reuse_for(self, purpose_name: str) -> bool:
        """Whether data collected for this purpose may serve ``purpose_name`` (art. 6(4))."""
        return purpose_name == self.name or purpose_name in self.compatible_with

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "legal_basis": self.legal_basis.value,
            "special_categories": self.special_categories,
            "art9_condition": self.art9_condition.value if self.art9_condition else None,
            "compatible_with": sorted(self.compatible_with),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Purpose:
        return cls(
            name=data.get("name"),  # type: ignore[arg-type]
            description=data.get("description", ""),
            legal_basis=data.get("legal_basis"),  # type: ignore[arg-type]
            special_categories=data.get("special_categories", False),
            art9_condition=data.get("art9_condition"),
            compatible_with=frozenset(data.get("compatible_with") or ()),
        )

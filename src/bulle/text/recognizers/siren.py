"""SIREN: the 9-digit French company number, Luhn-checked.

One random 9-digit number in ten passes Luhn, so a bare match scores low and needs a context
word (SIREN, RCS, société...) to be kept; a grouped "123 456 789" after such a word is certain.
"""

from __future__ import annotations

from bulle.text.checksums import siren_valid
from bulle.text.recognizers.base import RegexRecognizer, Rule
from bulle.text.registry import register

CONTEXT = [
    "siren",
    "rcs",
    "société",
    "sociétés",
    "entreprise",
    "immatriculée",
    "immatriculé",
    "immatriculation",
    "sas",
    "sarl",
    "sa",
    "employeur",
    "raison",
    "sociale",
    "greffe",
    "registre",
    "commerce",
]

RULES = [
    Rule(
        "siren_keyword",
        r"\b(?:SIREN|RCS(?:\s+[A-Z][\w-]+)?)\s*(?:n°|no|:)?\s*:?\s*"
        r"(?P<e>\d{3}[ \u00a0.]?\d{3}[ \u00a0.]?\d{3})(?![\d ]?\d)",
        0.6,
    ),
    Rule("siren_grouped", r"(?<![\d.,])\d{3}[ \u00a0]\d{3}[ \u00a0]\d{3}(?![\d]|[ \u00a0]\d)", 0.3),
    Rule("siren_plain", r"(?<![\d.,])\d{9}(?![\d])", 0.3),
]


@register("siren")
def build(config):
    def check(span: str) -> bool | None:
        return None if siren_valid(span) else False

    return RegexRecognizer("bulle_siren", "SIREN", RULES, CONTEXT, check=check)

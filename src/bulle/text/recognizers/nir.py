"""NIR: the French social security number, 13 digits and a 2-digit key (97 - n mod 97).

Corsica's departments 2A and 2B count as 19 and 18 in the key. A number whose key is right is
certain (score 1.0). A number of the NIR's exact shape (sex digit, month, department, 15 digits
standing alone) whose key is wrong is still kept, with a lower score: a mistyped NIR identifies its
holder as well as a correct one, and the shape alone is specific enough that few other numbers fit
(a SIRET has 14 digits, a phone 10).
"""

from __future__ import annotations

from bulle.text.checksums import nir_valid
from bulle.text.recognizers.base import RegexRecognizer, Rule
from bulle.text.registry import register

CONTEXT = [
    "sécurité",
    "sociale",
    "nir",
    "insee",
    "vitale",
    "sécu",
    "immatriculation",
    "assuré",
    "numéro",
    "ss",
]

S = r"[ .\u00a0]?"
RULES = [
    Rule(
        "nir",
        rf"(?<![\dA-Za-z])[1-478]{S}\d\d{S}(?:0[1-9]|1[0-2]|[2-9]\d){S}(?:\d\d|2[AaBb]){S}"
        rf"\d{{3}}{S}\d{{3}}{S}\d\d(?![\dA-Za-z])",
        0.5,
    ),
]


#: the score of a NIR-shaped number whose key is wrong: above the default threshold (0.4) alone
WRONG_KEY_SCORE = 0.45


def nir_check(value: str) -> bool | float:
    return True if nir_valid(value) else WRONG_KEY_SCORE


@register("nir")
def build(config):
    return RegexRecognizer("bulle_nir", "NIR", RULES, CONTEXT, check=nir_check)

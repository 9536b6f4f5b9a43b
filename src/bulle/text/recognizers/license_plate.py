"""LICENSE_PLATE: French plates, current SIV "AB-123-CD" and the older FNI "1234 AB 56".

SIV letters exclude I, O and U; an SIV plate with dashes is unambiguous. The old format looks
like many other things (addresses, references), so it needs a context word to be kept.
"""

from __future__ import annotations

from bulle.text.recognizers.base import RegexRecognizer, Rule
from bulle.text.registry import register

CONTEXT = [
    "immatriculation",
    "immatriculé",
    "immatriculée",
    "plaque",
    "véhicule",
    "voiture",
    "auto",
    "moto",
    "scooter",
    "camion",
    "fourgon",
    "carte",
    "grise",
    "stationné",
]

L = "[A-HJ-NP-TV-Z]"
RULES = [
    Rule("siv_dashed", rf"(?<![\w-]){L}{{2}}-\d{{3}}-{L}{{2}}(?![\w-])", 0.8),
    Rule("siv_spaced", rf"(?<![\w-]){L}{{2}}[ ]?\d{{3}}[ ]?{L}{{2}}(?![\w-])", 0.35),
    Rule(
        "fni",
        r"(?<![\w-])\d{1,4}[ -]?[A-Z]{1,3}[ -]?(?:0[1-9]|[1-8]\d|9[0-5]|2[AB]|97[1-6])(?![\w-])",
        0.3,
    ),
]


@register("license_plate")
def build(config):
    return RegexRecognizer("bulle_license_plate", "LICENSE_PLATE", RULES, CONTEXT)

"""SIRET: the 14-digit establishment number (SIREN + NIC), Luhn-checked.

La Poste's establishments share one SIREN and follow their own rule (digit sum divisible by 5),
which ``checksums.siret_valid`` applies.
"""

from __future__ import annotations

from bulle.text.checksums import siret_valid
from bulle.text.recognizers.base import RegexRecognizer, Rule
from bulle.text.registry import register

CONTEXT = ["siret", "établissement", "société", "entreprise", "employeur", "nic", "urssaf"]

SEP = r"[ \u00a0.]?"
RULES = [
    Rule("siret", rf"(?<![\d.,])\d{{3}}{SEP}\d{{3}}{SEP}\d{{3}}{SEP}\d{{5}}(?!\d)", 0.6),
]


@register("siret")
def build(config):
    def check(span: str) -> bool | None:
        return siret_valid(span)

    return RegexRecognizer("bulle_siret", "SIRET", RULES, CONTEXT, check=check)

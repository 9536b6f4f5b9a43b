"""NIR: the French social security number, 13 digits and a 2-digit key (97 - n mod 97).

Corsica's departments 2A and 2B count as 19 and 18 in the key. A number whose key is wrong is
dropped: a 15-digit string with a wrong key is almost never a NIR typed with a typo, and keeping
it would cost precision on long numbers (invoices, SIRET with extra digits).
"""

from __future__ import annotations

from bulle.text.checksums import nir_valid
from bulle.text.recognizers.base import RegexRecognizer, Rule
from bulle.text.registry import register

CONTEXT = ["sécurité", "sociale", "nir", "insee", "vitale", "sécu", "immatriculation",
           "assuré", "numéro", "ss"]

S = r"[ .\u00a0]?"
RULES = [
    Rule("nir", rf"(?<![\dA-Za-z])[1-478]{S}\d\d{S}(?:0[1-9]|1[0-2]|[2-9]\d){S}(?:\d\d|2[AaBb]){S}"
                rf"\d{{3}}{S}\d{{3}}{S}\d\d(?![\dA-Za-z])", 0.5),
]


@register("nir")
def build(config):
    return RegexRecognizer("bulle_nir", "NIR", RULES, CONTEXT, check=nir_valid)

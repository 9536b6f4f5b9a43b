"""PHONE: Presidio's phonenumbers-based recognizer for France, plus the spoken French layouts.

Why both: ``phonenumbers`` validates numbers (no "06 00" fragments) and knows +33 and overseas
ranges; the extra rule catches layouts it leaves out, such as "06.12.34.56.78" glued to
punctuation or "+33 (0)6 12 34 56 78".
"""

from __future__ import annotations

import regex

from bulle.text.recognizers.base import RegexRecognizer, Rule
from bulle.text.recognizers.windows import run_windowed
from bulle.text.registry import register

CONTEXT = [
    "téléphone",
    "tél",
    "tel",
    "portable",
    "mobile",
    "fixe",
    "numéro",
    "appeler",
    "joindre",
    "contacter",
    "fax",
    "standard",
    "joignable",
]

SEP = r"[ .\-\u00a0]?"
# Lines worth handing to phonenumbers: a run of 8+ digits in a phone-like layout.
PHONE_LIKE = regex.compile(r"(?<!\w)(?:\+|00|0)\(?\d(?:[ .\-()\u00a0]{0,2}\d){7,14}(?!\d)")
RULES = [
    Rule("fr_national", rf"(?<![\d+])0[1-9](?:{SEP}\d\d){{4}}(?!\d)", 0.6),
    Rule(
        "fr_international",
        rf"(?<![\d+])(?:\+|00){SEP}33{SEP}(?:\(0\){SEP})?[1-9](?:{SEP}\d\d){{4}}(?!\d)",
        0.7,
    ),
]


@register("phone")
def build(config):
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    class WindowedPhoneRecognizer(PhoneRecognizer):
        """Presidio's recognizer, run only where a match is possible (see ``windows``)."""

        def analyze(self, text, entities, nlp_artifacts=None):
            return run_windowed(
                super().analyze,
                text,
                entities,
                nlp_artifacts,
                lambda line: PHONE_LIKE.search(line) is not None,
                by_line=True,
                quick=r"\d\D{0,3}\d\D{0,3}\d\D{0,3}\d\D{0,3}\d\D{0,3}\d",
            )

    return [
        WindowedPhoneRecognizer(
            supported_language="fr",
            supported_entity="PHONE",
            context=CONTEXT,
            supported_regions=("FR",),
            name="bulle_phone",
        ),
        RegexRecognizer("bulle_phone_fr", "PHONE", RULES, CONTEXT),
    ]

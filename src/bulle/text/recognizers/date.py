"""DATE: French dates, numeric (27/03/2025, 2025-03-27) and written out ("27 mars 2025",
"1er janvier", "lundi 3 février", "mars 2025"), birth dates included.

Why not Presidio's date recognizer: it knows English month names only (French recall is zero).
"""

from __future__ import annotations

import regex

from bulle.text.recognizers.base import RegexRecognizer, Rule
from bulle.text.registry import register

CONTEXT = [
    "né",
    "née",
    "naissance",
    "date",
    "depuis",
    "jusqu'au",
    "décédé",
    "en",
    "année",
    "décédée",
    "hospitalisé",
    "hospitalisée",
    "admis",
    "admise",
    "audience",
    "rendez-vous",
    "consultation",
    "entrée",
    "sortie",
    "opéré",
    "opérée",
    "survenu",
    "jugement",
    "arrêt",
]

MONTHS = (
    r"(?:janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[ûu]t|septembre|octobre|"
    r"novembre|d[ée]cembre|janv\.|f[ée]vr?\.|avr\.|juil\.|sept\.|oct\.|nov\.|d[ée]c\.)"
)
DAYS = r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)"
DAY_NUM = r"(?:1er|1\s?er|premier|[12]\d|3[01]|0?[1-9])"
YEAR = r"(?:1[89]\d\d|20\d\d)"
CI = regex.IGNORECASE | regex.MULTILINE
DAYS_ABBR = r"(?:lun|mar|mer|jeu|ven|sam|dim)\."
UNITS = (
    r"(?:un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|"
    r"quinze|seize|dix-sept|dix-huit|dix-neuf)"
)
TENS = r"(?:vingt|trente|quarante|cinquante|soixante|soixante-dix|quatre-vingts?|quatre-vingt-dix)"
NUM_WORDS = rf"(?:{TENS}(?:[ -]et[ -]un|[ -]{UNITS})?|{UNITS})"
DAY_WORDS = rf"(?:premier|{NUM_WORDS})"
YEAR_WORDS = rf"(?:deux[ -]mille(?:[ -](?:{NUM_WORDS}))?|mil(?:le)?[ -]neuf[ -]cents?(?:[ -](?:{NUM_WORDS}))?)"
NOT_AFTER_YEAR = r"(?!\d|[,.]\d|[ \u00a0]?(?:€|euros?|EUR|habitants|personnes|salariés|km|kg|mg|ml|m²|m2|h\b|heures|places|lits|morts|victimes|agents|emplois|postes|mètres|ans\b))"

RULES = [
    Rule(
        "written_full",
        rf"(?<!\w)(?:{DAYS}\s+)?{DAY_NUM}\s+{MONTHS}(?:\s+{YEAR}|\s+\d\d(?!\d))?(?![\w])",
        0.75,
        CI,
    ),
    Rule("abbr_day", rf"(?<!\w){DAYS_ABBR}\s+{DAY_NUM}\s+{MONTHS}(?:\s+{YEAR})?(?![\w])", 0.75, CI),
    Rule(
        "range",
        rf"(?<!\w)(?:{DAY_NUM})\s+(?:au|-|–)\s+{DAY_NUM}\s+{MONTHS}(?:\s+{YEAR})?(?![\w])",
        0.75,
        CI,
    ),
    Rule(
        "words",
        rf"(?<!\w)(?:{DAYS}\s+)?{DAY_WORDS}\s+{MONTHS}(?:\s+{YEAR_WORDS}|\s+{YEAR})?(?![\w-])",
        0.7,
        CI,
    ),
    Rule("year_words", rf"(?<=\b(?:an|en|depuis|année)\s){YEAR_WORDS}(?![\w-])", 0.6, CI),
    Rule("year_range", rf"(?<![\d/.-]){YEAR}[-–/]{YEAR}(?![\d/])", 0.6),
    Rule("year", rf"(?<![\d/.,\-]|n°\s?|n°|\d\s){YEAR}{NOT_AFTER_YEAR}", 0.45),
    Rule(
        "month_alone",
        rf"(?<=\b(?:en|d[ée]but|fin|mi-|depuis|d[èe]s|courant|mois\sde|mois\sd'|jusqu'en|avant|apr[èe]s)\s?){MONTHS}(?![\w])(?!\s+{YEAR})",
        0.5,
        CI,
    ),
    Rule("month_year", rf"(?<!\w){MONTHS}\s+(?:de\s+l'ann[ée]e\s+)?{YEAR}(?!\d)", 0.6, CI),
    Rule(
        "numeric_dmy",
        r"(?<![\d/.\-])(?:0?[1-9]|[12]\d|3[01])([/.\-])(?:0?[1-9]|1[0-2])\1(?:1[89]|20)\d\d(?![\d/])",
        0.7,
    ),
    Rule(
        "numeric_dmy_short",
        r"(?<![\d/.\-])(?:0?[1-9]|[12]\d|3[01])/(?:0?[1-9]|1[0-2])/\d\d(?![\d/])",
        0.5,
    ),
    Rule(
        "iso", r"(?<![\d\-])(?:1[89]|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?![\d])", 0.7
    ),
    Rule(
        "card_expiry",
        r"(?<=\b(?:expiration|exp\.|expire|validité|valable jusqu'(?:au|à|en))\s?:?\s?)(?:0[1-9]|1[0-2])/\d\d(?![\d/])",
        0.7,
        CI,
    ),
    Rule("month_slash_year", r"(?<![\d/])(?:0[1-9]|1[0-2])/(?:1[89]|20)\d\d(?![\d/])", 0.45),
]


@register("date")
def build(config):
    return RegexRecognizer("bulle_date", "DATE", RULES, CONTEXT)

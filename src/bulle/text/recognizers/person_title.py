"""PERSON after a title: "M. Dupont", "Mme Claire Lefèvre", "Dr Martin", "Maître Durand",
and after an office in running text: "le président Macron", "la ministre Borne".

The title stays outside the span (it is not personal data and keeps the text readable); a role
noun after the title ("Monsieur le Président") is not a name and is never matched.
"""

from __future__ import annotations

import regex

from bulle.text.gazetteers import fold
from bulle.text.patterns import NAME_CHAIN, NAME_WORD, ROLE, ROLE_WORDS, TITLE
from bulle.text.recognizers.base import RegexRecognizer, Rule
from bulle.text.registry import register

OFFICE = (
    r"(?:[Pp]résident(?:e)?|[Mm]inistre|[Dd]éputé(?:e)?|[Ss]énat(?:eur|rice)|[Mm]aire|"
    r"[Cc]andidat(?:e)?|[Gg]énéral|[Cc]hancelier|[Cc]hancelière|[Pp]remier ministre|"
    r"[Pp]remière ministre|[Pp]orte-parole|[Jj]ournaliste|[Pp]atient(?:e)?|[Cc]onfrère|"
    r"[Cc]onsœur|[Ss]ecrétaire d'[ÉE]tat|[Dd]irect(?:eur|rice)|[Jj]uge|[Pp]rocureur)"
)

ROLE_LOWER = (
    r"(?:président|présidente|ministre|maire|député|députée|sénateur|sénatrice|préfet|juge|"
    r"procureur|rapporteur|rapporteure|directeur|directrice|docteur|professeur|"
    r"conseiller|conseillère|vice-président|vice-présidente)"
)
LOWER_WORD = r"\p{Ll}[\p{Ll}\p{M}'’-]+"
LOWER_PARTICLE = r"(?:de[ ]la|de|du|des|d['’]|van|von|der|ben|el|al|le|la)"
STOPS = (
    r"(?:et|ou|mais|donc|car|ni|que|qui|quoi|je|tu|il|elle|on|nous|vous|ils|elles|a|ai|as|"
    r"avez|avons|ont|est|sont|était|euh|ben|bon|hein|alors|oui|non|merci|la|le|les|un|une|des|"
    r"pour|par|sur|dans|avec|sans|pas|ne|ce|cette|ces|se|sa|son|ses|y|en|au|aux|du|de|"
    r"vos|votre|notre|nos|leur|leurs|qu|c|j|n|s|l|d|m|t|parole|question|réponse|ici|là)"
)
LOWER_CHAIN = (
    rf"(?:{LOWER_PARTICLE}[ ]?)?(?!{STOPS}\b){LOWER_WORD}(?:[ ](?:{LOWER_PARTICLE}[ ]?)?"
    rf"(?!{STOPS}\b){LOWER_WORD}){{0,2}}"
)

RULES = [
    Rule("title_name", rf"(?<![\w.])(?:{TITLE})[ \u00a0]+(?!{ROLE})(?P<e>{NAME_CHAIN})", 0.85),
    Rule(
        "lower_title",
        rf"(?<![\w.])(?:monsieur|madame|mademoiselle|docteur|maître)[ \u00a0]+"
        rf"(?!(?:le|la|les|l'|vous|je|tu|il|elle|on|nous|ils|elles|et|ou|mais|donc|"
        rf"bonjour|bonsoir|merci|oui|non|euh|{ROLE_LOWER})\b)"
        rf"(?P<e>{LOWER_CHAIN})",
        0.7,
    ),
    Rule(
        "birth_name",
        rf"(?<=\b(?:née|né|épouse|veuve|ép\.|dite|dit|alias)[ \u00a0])(?P<e>{NAME_CHAIN})",
        0.75,
    ),
    Rule(
        "initials",
        rf"(?<![\w.])(?!M\.[ ])(?P<e>\p{{Lu}}\.(?:[ -]?-?\p{{Lu}}\.)?[ \u00a0]?{NAME_WORD}(?:[ \u00a0]{NAME_WORD})?)",
        0.6,
    ),
    Rule(
        "greeting",
        rf"(?<=(?:^|\n)[ \t]*(?:Bonjour|Bonsoir|Salut|Coucou|Cher|Chère|Merci)[ \u00a0])(?P<e>{NAME_WORD})(?=[ \t]*[,!\n])",
        0.6,
    ),
    Rule(
        "office_name",
        rf"(?<=\b(?:le|la|l'|du|au|de la|les)\s){OFFICE}[ \u00a0]+(?!{ROLE})(?P<e>{NAME_CHAIN})",
        0.7,
    ),
]


@register("person_title")
def build(config):
    return RegexRecognizer(
        "bulle_person_title",
        "PERSON",
        RULES,
        ["monsieur", "madame", "docteur", "maître"],
        check=_not_acronym,
    )


def _not_acronym(span: str) -> bool | None:
    # "Pr SNCF" would be noise: an all-capital word of 2-3 letters after a title is an
    # abbreviation, not a surname; "M. LE MAIRE" is an office.
    if regex.fullmatch(r"\p{Lu}{1,3}", span):
        return False
    words = [fold(w) for w in span.split()]
    if all(w in ROLE_WORDS or w in ("le", "la", "les", "l'") for w in words):
        return False
    return None

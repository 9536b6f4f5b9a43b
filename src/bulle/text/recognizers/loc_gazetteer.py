"""LOCATION from the list of countries, continents, French regions, departments and cities.

Only capitalized matches count. A place whose name is also a common word ("Cher", "Tours",
"Somme", "Lot") needs a word that announces a place just before it ("à Tours", "dans le Lot").
"""

from __future__ import annotations

from functools import cache

from presidio_analyzer import LocalRecognizer, RecognizerResult

from bulle.text.matcher import PhraseTable, lowercase_text, tokens
from bulle.text.recognizers.base import make_result
from bulle.text.registry import register

COMMON_WORD_PLACES = frozenset(
    {
        "cher",
        "lot",
        "var",
        "nord",
        "manche",
        "tours",
        "vienne",
        "somme",
        "orange",
        "nice",
        "ain",
        "gard",
        "marne",
        "seine",
        "loire",
        "aude",
        "orne",
        "eure",
        "indre",
        "jura",
        "creuse",
        "charente",
        "dordogne",
        "garonne",
        "rhone",
        "saone",
        "meuse",
        "oise",
        "vosges",
        "landes",
        "gers",
        "tarn",
        "doubs",
        "drome",
        "isere",
        "allier",
        "cantal",
        "correze",
        "lozere",
        "sarthe",
        "yonne",
        "valence",
        "lens",
        "sete",
        "pau",
        "agen",
        "gap",
        "foix",
        "auch",
        "laval",
        "niort",
        "vannes",
        "nancy",
        "florence",
        "lorraine",
        "moulins",
        "vichy",
        "alpes",
        "pyrenees",
        "atlantique",
        "pacifique",
        "reunion",
        "paris",
        "saint-paul",
        "saint-pierre",
        "saint-denis",
        "saint-martin",
        "bercy",
        "matignon",
        "elysee",
        "provence",
        "champagne",
        "savoie",
        "bourgogne",
        "la reunion",
        "europe",
        "france",
        "est",
        "ouest",
        "sud",
        "centre",
        "marche",
        "mans",
        "le mans",
    }
)
ANNOUNCE = frozenset(
    {
        "a",
        "à",
        "en",
        "de",
        "d'",
        "du",
        "dans",
        "la",
        "le",
        "au",
        "aux",
        "vers",
        "sur",
        "pres",
        "depuis",
        "pour",
        "habite",
        "l'",
        "entre",
        "et",
        "par",
    }
)
LOWER_ANNOUNCE = frozenset(
    {
        "a",
        "à",
        "en",
        "de",
        "d'",
        "du",
        "depuis",
        "vers",
        "l'",
        "region",
        "ville",
        "departement",
        "commune",
        "pays",
    }
)
ALWAYS_OK = frozenset(
    {
        "paris",
        "saint-denis",
        "saint-pierre",
        "saint-paul",
        "saint-martin",
        "provence",
        "champagne",
        "savoie",
        "bourgogne",
        "lorraine",
        "bercy",
        "matignon",
        "elysee",
    }
)


@cache
def _table() -> PhraseTable:
    from bulle.text.gazetteers import places

    return PhraseTable(places())


class PlaceGazetteerRecognizer(LocalRecognizer):
    def __init__(self):
        super().__init__(
            supported_entities=["LOCATION"],
            supported_language="fr",
            name="bulle_loc_gazetteer",
            context=["ville", "pays", "région", "habite"],
        )

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities, nlp_artifacts=None) -> list[RecognizerResult]:
        toks = tokens(text)
        lower = lowercase_text(text)
        out = []
        for i, j in _table().find(toks):
            first = toks[i]
            if not first.text[:1].isupper():
                # automatic transcripts lose capitals: "à lyon", "dans la creuse"
                prev = toks[i - 1].key if i else ""
                prev2 = toks[i - 2].key if i > 1 else ""
                announced = prev in LOWER_ANNOUNCE or (
                    prev in ("la", "le", "l'") and prev2 in ("de", "dans", "a", "à", "vers", "sur")
                )
                if first.key in COMMON_WORD_PLACES or (j - i == 1 and len(first.key) < 4):
                    if not (announced and lower):
                        continue
                elif not (announced or lower):
                    continue
            if j - i == 1 and first.key in COMMON_WORD_PLACES and first.key not in ALWAYS_OK:
                prev = toks[i - 1].key if i else ""
                if prev not in ANNOUNCE:
                    continue
            out.append(make_result(self, "LOCATION", first.start, toks[j - 1].end, 0.75))
        return out


@register("loc_gazetteer")
def build(config):
    return PlaceGazetteerRecognizer()

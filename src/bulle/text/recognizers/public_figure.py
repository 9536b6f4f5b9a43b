"""PERSON from the list of French public figures: full names in any case ("marine le pen" in
an automatic transcript), and surnames alone when capitalized ("Macron a dit").

Public debates name the same few hundred people over and over, often by surname alone and
often in transcripts that lost their capitals; spaCy's model misses many of those mentions.
"""

from __future__ import annotations

from functools import cache

from presidio_analyzer import LocalRecognizer, RecognizerResult

from bulle.text.gazetteers import fold, not_names, public_figures
from bulle.text.matcher import PhraseTable, lowercase_text, tokens
from bulle.text.recognizers.base import make_result
from bulle.text.registry import register

# Surnames that are also places or common words: alone, they need a capital and must not follow
# a word that announces a place or a thing ("la Hollande", "en Hollande", "une borne").
PLACE_LIKE = frozenset(
    {
        "hollande",
        "borne",
        "royal",
        "breton",
        "poutine",
        "faure",
        "hue",
        "joly",
        "philippe",
        "bertrand",
        "ferrand",
        "castex",
        "larcher",
        "lagarde",
        "delors",
        "veil",
        "hamon",
        "aubry",
        "glucksmann",
        "mamere",
        "placé",
    }
)
# Surnames that are also an office or a common phrase: only the full name is taken.
ROLE_LIKE = frozenset({"le maire", "maire", "le roux"})
BEFORE_THING = frozenset(
    {
        "la",
        "en",
        "une",
        "un",
        "les",
        "des",
        "aux",
        "de",
        "l'",
        "d'",
        "du",
        "au",
        "cette",
        "sa",
        "son",
        "ma",
        "ta",
    }
)


@cache
def _tables() -> tuple[PhraseTable, PhraseTable]:
    full = PhraseTable(public_figures())
    surnames = []
    for name in public_figures():
        words = name.split()
        if len(words) >= 2:
            surnames.append(" ".join(words[1:]))
    return full, PhraseTable(surnames)


def surname_lower(i: int, j: int, toks) -> str:
    """The listed spelling (accents kept) of the surname found at tokens i..j, in lower case."""
    key = tuple(t.key for t in toks[i:j])
    return _spellings().get(key, "")


@cache
def _spellings() -> dict[tuple[str, ...], str]:
    from bulle.text.matcher import tokenize_once

    out = {}
    for name in public_figures():
        words = name.split()
        if len(words) >= 2:
            surname = " ".join(words[1:])
            out[tuple(t.key for t in tokenize_once(surname))] = surname.lower()
    return out


class PublicFigureRecognizer(LocalRecognizer):
    def __init__(self):
        super().__init__(
            supported_entities=["PERSON"], supported_language="fr", name="bulle_public_figure"
        )

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities, nlp_artifacts=None) -> list[RecognizerResult]:
        toks = tokens(text)
        lower = lowercase_text(text)
        full, surnames = _tables()
        out: list[RecognizerResult] = []
        taken: set[int] = set()
        for i, j in full.find(toks):
            out.append(make_result(self, "PERSON", toks[i].start, toks[j - 1].end, 0.9))
            taken.update(range(i, j))
        for i, j in surnames.find(toks):
            if any(k in taken for k in range(i, j)):
                continue
            first = toks[i]
            key = fold(text[first.start : toks[j - 1].end])
            capital = first.text[:1].isupper() or toks[j - 1].text[:1].isupper()
            prev = toks[i - 1].key if i else ""
            if key in ROLE_LIKE:
                continue
            if key in PLACE_LIKE:
                if not capital or prev in BEFORE_THING:
                    continue
            elif not capital:
                exact = text[first.start : toks[j - 1].end].lower() == surname_lower(i, j, toks)
                if key in not_names() or not (
                    (exact and len(key) >= 5) or len(key) >= 6 or (lower and len(key) >= 4)
                ):
                    continue
            out.append(
                make_result(self, "PERSON", first.start, toks[j - 1].end, 0.8 if capital else 0.55)
            )
        return out


@register("public_figure")
def build(config):
    return PublicFigureRecognizer()

"""PERSON from the first-name list: "Claire", "Jean-Luc Mélenchon", "Fatima BENALI".

A known first name followed by capitalized words is a full name; alone it is a name unless it
is also a common word or a place ("Pierre", "France", "Florence": see
``data/ambiguous_first_names.txt``). Lower-case names (automatic transcripts) are taken only when
the first name is unambiguous, with a lower score.
"""

from __future__ import annotations

from presidio_analyzer import LocalRecognizer, RecognizerResult

from bulle.text.gazetteers import ambiguous_first_names, first_names, folded_surnames, not_names
from bulle.text.matcher import Token, tokens
from bulle.text.recognizers.base import make_result
from bulle.text.registry import register

PARTICLES = frozenset(
    {"de", "du", "des", "le", "la", "van", "von", "der", "d'", "ben", "el", "al", "di", "da", "dos"}
)
STOP = frozenset(
    {
        "le",
        "la",
        "les",
        "un",
        "une",
        "des",
        "du",
        "de",
        "et",
        "ou",
        "en",
        "a",
        "au",
        "ce",
        "se",
        "sa",
        "son",
        "mais",
        "donc",
        "car",
        "ni",
        "or",
        "que",
        "qui",
        "il",
        "elle",
        "on",
        "je",
        "tu",
        "nous",
        "vous",
        "ils",
        "elles",
    }
)


def is_first_name(tok: Token) -> bool:
    key = tok.key
    if key in first_names():
        return True
    parts = key.split("-")
    return len(parts) == 2 and all(p in first_names() for p in parts)


def name_word(tok: Token) -> bool:
    t = tok.text
    return t[:1].isupper() and t[0].isalpha() and tok.key not in not_names() and len(t) > 1


def extend_surname(toks: list[Token], j: int, n: int) -> int:
    """Index just after the surname words that follow token ``j - 1`` (``j`` if none)."""
    end = j
    k = j
    words = 0
    while k < n and words < 3 and toks[k].start - toks[k - 1].end <= 1 and "\n" not in toks[k].text:
        if name_word(toks[k]):
            k += 1
            end = k
            words += 1
        elif (
            toks[k].key in PARTICLES
            and k + 1 < n
            and name_word(toks[k + 1])
            and toks[k + 1].start - toks[k].end <= 1
        ):
            k += 2
            end = k
            words += 1
        else:
            break
    return end


class FirstNameRecognizer(LocalRecognizer):
    def __init__(self):
        super().__init__(
            supported_entities=["PERSON"],
            supported_language="fr",
            name="bulle_first_name",
            context=["prénom", "prénommé", "prénommée"],
        )

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities, nlp_artifacts=None) -> list[RecognizerResult]:
        toks = tokens(text)
        out: list[RecognizerResult] = []
        ambiguous = ambiguous_first_names()
        surnames = folded_surnames()
        i, n = 0, len(toks)
        while i < n:
            tok = toks[i]
            if not is_first_name(tok) or tok.key in STOP:
                i += 1
                continue
            if tok.text[:1].isupper():
                end = extend_surname(toks, i + 1, n)
                if end > i + 1:
                    score = 0.8
                elif tok.key in ambiguous:
                    i += 1
                    continue
                else:
                    score = 0.6
            elif tok.text.islower() and tok.key not in ambiguous and len(tok.key) > 3:
                end = i + 1
                if i + 1 < n and toks[i + 1].key in surnames and toks[i + 1].start - tok.end == 1:
                    end = i + 2
                score = 0.5
            else:
                i += 1
                continue
            out.append(make_result(self, "PERSON", tok.start, toks[end - 1].end, score))
            i = end
        return out


@register("first_name")
def build(config):
    return FirstNameRecognizer()

"""ORGANIZATION from lists: French institutions, parties, unions, media and companies
("Assemblée nationale", "La France insoumise", "Medef"), known acronyms ("SNCF", "CNIL",
"AP-HP") and, with a low score, other all-capital words of three to five letters.

Unknown acronyms are often organizations in French administrative and political text, but
also diseases or measures ("HTA", "SMIC"): ``data/not_org_acronyms.txt`` lists those, and the
low score lets any other label win.
"""

from __future__ import annotations

from functools import cache

import regex
from presidio_analyzer import LocalRecognizer, RecognizerResult

from bulle.text.gazetteers import (
    first_names,
    fold,
    folded_surnames,
    not_names,
    not_org_acronyms,
    org_acronyms,
    organizations,
)
from bulle.text.matcher import PhraseTable, lowercase_text, tokens
from bulle.text.recognizers.base import make_result
from bulle.text.registry import register

ACRONYM = regex.compile(r"(?<![\w-])\p{Lu}[\p{Lu}\d&]*(?:-\p{Lu}[\p{Lu}\d]*)?(?![\w-])")
ROMAN = regex.compile(r"[IVXLCDM]+")


@cache
def _lower_acronyms() -> frozenset[str]:
    from bulle.text.postprocess import STOP_WORDS

    return frozenset(
        a.lower()
        for a in org_acronyms()
        if len(a) >= 3 and a.lower() not in STOP_WORDS and a.lower() not in not_names()
    )


@cache
def _table() -> PhraseTable:
    return PhraseTable(organizations())


class OrgGazetteerRecognizer(LocalRecognizer):
    def __init__(self):
        super().__init__(
            supported_entities=["ORGANIZATION"], supported_language="fr", name="bulle_org_gazetteer"
        )

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities, nlp_artifacts=None) -> list[RecognizerResult]:
        toks = tokens(text)
        out = []
        lower = lowercase_text(text)
        known, not_org = org_acronyms(), not_org_acronyms()
        lower_known = _lower_acronyms()
        for i, j in _table().find(toks):
            if not any(t.text[:1].isupper() for t in toks[i:j]) and not (
                lower and (j - i >= 2 or len(toks[i].key) >= 4)
            ):
                continue
            out.append(make_result(self, "ORGANIZATION", toks[i].start, toks[j - 1].end, 0.8))
        if lower:  # "la sncf", "le giec" in automatic transcripts
            for t in toks:
                if t.text.islower() and t.key in lower_known:
                    out.append(make_result(self, "ORGANIZATION", t.start, t.end, 0.7))
        for m in ACRONYM.finditer(text):
            word = m.group()
            if word in known:
                out.append(make_result(self, "ORGANIZATION", m.start(), m.end(), 0.8))
                continue
            letters = word.replace("-", "")
            if not (3 <= len(letters) <= 5) or word in not_org or ROMAN.fullmatch(word):
                continue
            key = fold(word)
            if key in first_names() or key in folded_surnames() or key in not_names():
                continue
            if _all_caps_line(text, m.start(), m.end()):
                continue
            out.append(make_result(self, "ORGANIZATION", m.start(), m.end(), 0.42))
        return out


def _all_caps_line(text: str, start: int, end: int) -> bool:
    # In a heading or a shouted line every word is in capitals: not an acronym.
    ls = text.rfind("\n", 0, start) + 1
    le = text.find("\n", end)
    line = text[ls : le if le >= 0 else len(text)]
    letters = [c for c in line if c.isalpha()]
    return len(letters) > 12 and sum(c.isupper() for c in letters) / len(letters) > 0.8


@register("org_gazetteer")
def build(config):
    return OrgGazetteerRecognizer()

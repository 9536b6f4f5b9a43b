"""PERSON from the list of common French surnames, capitalized, alone ("Durand a signé").

Low score on purpose: a surname alone is often a name, but the list holds words like "Blanc" or
"Rivière"; the conflict policy lets any better-supported label win.
"""

from __future__ import annotations

from presidio_analyzer import LocalRecognizer, RecognizerResult

from bulle.text.gazetteers import folded_surnames, not_names
from bulle.text.matcher import tokens
from bulle.text.recognizers.base import make_result
from bulle.text.registry import register

SENTENCE_END = frozenset({".", "!", "?", ":", "\n", "«", '"', "-", "—", "–", "(", "["})


class SurnameRecognizer(LocalRecognizer):
    def __init__(self):
        super().__init__(
            supported_entities=["PERSON"],
            supported_language="fr",
            name="bulle_surname",
            context=["nom", "famille", "épouse", "époux"],
        )

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities, nlp_artifacts=None) -> list[RecognizerResult]:
        toks = tokens(text)
        names = folded_surnames()
        stop = not_names()
        out = []
        for i, tok in enumerate(toks):
            if tok.key not in names or not tok.text[:1].isupper() or tok.key in stop:
                continue
            if (
                i == 0
                or toks[i - 1].text in SENTENCE_END
                or "\n" in text[toks[i - 1].end : tok.start]
            ):
                continue
            out.append(make_result(self, "PERSON", tok.start, tok.end, 0.45))
        return out


@register("surname")
def build(config):
    return SurnameRecognizer()

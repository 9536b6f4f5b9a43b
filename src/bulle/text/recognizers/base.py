"""A regex recognizer for Presidio whose span can be a named group of the match.

Why not Presidio's ``PatternRecognizer``: French rules often need the match to include a title or
a keyword ("M. Dupont", "IPP 12345") while the entity is only part of it, and they must be
case-sensitive (a capital is what tells "Pierre" from "pierre"). Results still go through
Presidio's context enhancement (``context``) and thresholds like any other recognizer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import regex
from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult

SPAN_GROUP = "e"


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: str
    score: float
    flags: int = regex.MULTILINE


def make_result(
    recognizer: LocalRecognizer, entity: str, start: int, end: int, score: float
) -> RecognizerResult:
    """A result carrying what Presidio's context enhancer needs (explanation, recognizer id)."""
    return RecognizerResult(
        entity,
        start,
        end,
        score,
        analysis_explanation=AnalysisExplanation(recognizer=recognizer.name, original_score=score),
        recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: recognizer.name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id,
        },
    )


class RegexRecognizer(LocalRecognizer):
    """Matches each rule; keeps group ``e`` (or ``id``) when present; validates with ``check``.

    ``check(span_text)`` returns True (certain: score 1.0), False (drop), None (keep the rule's
    score) or a score of its own (a number that has the shape but fails its checksum).
    """

    def __init__(
        self,
        name: str,
        entity: str,
        rules: Sequence[Rule],
        context: Sequence[str] = (),
        check: Callable[[str], bool | float | None] | None = None,
    ):
        self._rules = [(r, regex.compile(r.pattern, r.flags)) for r in rules]
        self._check = check
        super().__init__(
            supported_entities=[entity], supported_language="fr", name=name, context=list(context)
        )

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None) -> list[RecognizerResult]:
        entity = self.supported_entities[0]
        if entities and entity not in entities:
            return []
        out: list[RecognizerResult] = []
        seen: set[tuple[int, int]] = set()
        for rule, rx in self._rules:
            for m in rx.finditer(text):
                group = (
                    SPAN_GROUP
                    if SPAN_GROUP in rx.groupindex
                    else ("id" if "id" in rx.groupindex else 0)
                )
                start, end = m.span(group)
                if start < 0 or end <= start or (start, end) in seen:
                    continue
                score = rule.score
                if self._check is not None:
                    verdict = self._check(text[start:end])
                    if verdict is False:
                        continue
                    if verdict is True:
                        score = 1.0
                    elif isinstance(verdict, float):
                        score = verdict
                seen.add((start, end))
                out.append(make_result(self, entity, start, end, score))
        return out

"""What every operator shares: the per-document context and the call to Presidio's anonymizer."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from bulle.text.entities import Entity
from bulle.text.gazetteers import fold
from bulle.text.surrogates import Keyed


@dataclass
class DocumentContext:
    """One document being de-identified: its text, entities, the key and whose dates they are."""

    text: str
    entities: list[Entity]
    keyed: Keyed
    subject: str | None = None
    memo: dict = field(default_factory=dict)
    all_entities: list[Entity] = field(default_factory=list)

    def surface(self, e: Entity) -> str:
        return self.text[e.start : e.end]

    def person_subject(self) -> str:
        """Whose dates these are: the given subject, else the most mentioned surname."""
        if self.subject:
            return self.subject
        names = Counter(
            fold(self.surface(e).split()[-1])
            for e in self.all_entities or self.entities
            if e.label == "PERSON" and self.surface(e).split()
        )
        if names:
            return max(sorted(names), key=lambda n: names[n])
        return "document:" + fold(self.text[:200])


@cache
def _engine():
    from presidio_anonymizer import AnonymizerEngine

    return AnonymizerEngine()


class Operator:
    """Replaces each entity by ``replacement(ctx, entity)``; subclasses may use Presidio's own
    operators instead (``presidio_operator``)."""

    name = "?"
    labels: frozenset[str] | None = None  # None: every label

    def replacement(self, ctx: DocumentContext, e: Entity) -> str:
        raise NotImplementedError

    def presidio_operator(self, label: str):
        return None

    def apply(
        self,
        text: str,
        entities: list[Entity],
        key: bytes | None = None,
        subject: str | None = None,
        keyed: Keyed | None = None,
    ) -> str:
        todo = _non_overlapping(
            e for e in entities if self.labels is None or e.label in self.labels
        )
        if not todo:
            return text
        native = {label: self.presidio_operator(label) for label in {e.label for e in todo}}
        if all(op is not None for op in native.values()):
            return _presidio(text, todo, native)
        ctx = DocumentContext(text, todo, keyed or Keyed(key), subject, all_entities=list(entities))
        table: dict[tuple[str, str], str] = {}
        for e in todo:  # in reading order: numbering and first mentions decide
            k = (e.label, ctx.surface(e))
            if k not in table:
                table[k] = self.replacement(ctx, e)
        return splice(
            text,
            [(e.start, e.end, table[(e.label, ctx.surface(e))]) for e in todo],
            elide=self.writes_words,
        )

    #: True when replacements are words of running French text (pseudonyms), so articles and
    #: prepositions before them are elided or expanded again ("d'Orléans" -> "de Colmar").
    writes_words = False


def _non_overlapping(entities) -> list[Entity]:
    """Entities in reading order; of two that overlap, the first (then the longer) is kept.

    Touching entities of the same label stay separate: each is replaced on its own.
    """
    out: list[Entity] = []
    for e in sorted(entities, key=lambda e: (e.start, -(e.end - e.start))):
        if out and e.start < out[-1].end:
            continue
        out.append(e)
    return out


def splice(text: str, replacements: list[tuple[int, int, str]], elide: bool = False) -> str:
    """``text`` with each ``(start, end)`` span (sorted, disjoint) replaced by its new value."""
    from bulle.text.elision import reelide

    parts: list[str] = []
    pos = 0
    for start, end, new in replacements:
        before = text[pos:start]
        parts.append(reelide(before, new) if elide else before)
        parts.append(new)
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


def _presidio(text: str, todo: list[Entity], operators: dict) -> str:
    """Presidio's own operators (replace, mask): it merges touching spans of one label, which
    suits operators whose output does not depend on the span's text."""
    from presidio_anonymizer.entities import RecognizerResult

    results = [RecognizerResult(e.label, e.start, e.end, e.score) for e in todo]
    return _engine().anonymize(text=text, analyzer_results=results, operators=operators).text

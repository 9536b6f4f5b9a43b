"""EMAIL: Presidio's e-mail recognizer, with Bulle's label and French context words."""

from __future__ import annotations

from bulle.text.recognizers.windows import run_windowed
from bulle.text.registry import register

CONTEXT = ["mail", "email", "e-mail", "courriel", "adresse", "électronique", "écrire", "contact"]


@register("email")
def build(config):
    from presidio_analyzer.predefined_recognizers import EmailRecognizer

    class WindowedEmailRecognizer(EmailRecognizer):
        """Presidio's recognizer, run only where a match is possible (see ``windows``)."""

        def analyze(self, text, entities, nlp_artifacts=None):
            return run_windowed(
                super().analyze,
                text,
                entities,
                nlp_artifacts,
                lambda w: "@" in w,
                by_line=False,
                quick="@",
            )

    return WindowedEmailRecognizer(
        supported_language="fr", supported_entity="EMAIL", context=CONTEXT, name="bulle_email"
    )

"""IP_ADDRESS: Presidio's IPv4/IPv6 recognizer, with French context words."""

from __future__ import annotations

import regex

from bulle.text.recognizers.windows import run_windowed
from bulle.text.registry import register

CONTEXT = ["ip", "adresse", "ipv4", "ipv6", "serveur", "connexion", "routeur"]


@register("ip_address")
def build(config):
    from presidio_analyzer.predefined_recognizers import IpRecognizer

    class WindowedIpRecognizer(IpRecognizer):
        """Presidio's recognizer, run only where a match is possible (see ``windows``)."""

        def analyze(self, text, entities, nlp_artifacts=None):
            found = run_windowed(
                super().analyze,
                text,
                entities,
                nlp_artifacts,
                lambda w: ("." in w and sum(c.isdigit() for c in w) >= 4) or w.count(":") >= 2,
                by_line=False,
                quick=r"\d\.\d|:\w*:",
            )
            return [r for r in found if not _version_like(text, r.start, r.end)]

    return WindowedIpRecognizer(
        supported_language="fr",
        supported_entity="IP_ADDRESS",
        context=CONTEXT,
        name="bulle_ip_address",
    )


VERSION_BEFORE = regex.compile(
    r"\b(?:version|v\.|release|build|firmware|logiciel)[^\n]{0,12}$", regex.I
)


def _version_like(text: str, start: int, end: int) -> bool:
    """A dotted number inside a longer one, or announced as a version, is not an address."""
    if regex.match(r"\.\d", text[end : end + 2]) or regex.search(
        r"\d\.$", text[max(0, start - 2) : start]
    ):
        return True
    return bool(VERSION_BEFORE.search(text[max(0, start - 30) : start]))

"""IP_ADDRESS: Presidio's IPv4/IPv6 recognizer, with French context words."""

from __future__ import annotations

from bulle.text.recognizers.windows import run_windowed
from bulle.text.registry import register

CONTEXT = ["ip", "adresse", "ipv4", "ipv6", "serveur", "connexion", "routeur"]


@register("ip_address")
def build(config):
    from presidio_analyzer.predefined_recognizers import IpRecognizer

    class WindowedIpRecognizer(IpRecognizer):
        """Presidio's recognizer, run only where a match is possible (see ``windows``)."""

        def analyze(self, text, entities, nlp_artifacts=None):
            return run_windowed(super().analyze, text, entities, nlp_artifacts,
                                lambda w: ("." in w and sum(c.isdigit() for c in w) >= 4) or w.count(":") >= 2, by_line=False)

    return WindowedIpRecognizer(supported_language="fr", supported_entity="IP_ADDRESS", context=CONTEXT,
                        name="bulle_ip_address")

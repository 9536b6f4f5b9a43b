"""Every pinned dependency is recorded in docs/licences.md with an acceptable licence."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REFUSED_PACKAGES = {"sdv", "ctgan", "rdt", "copulas", "sdmetrics"}
REFUSED_LICENCES = (
    "busl",
    "business source",
    "sspl",
    "server side public",
    "elastic license",
    "commons clause",
)


def test_every_pinned_package_is_recorded_and_acceptable():
    doc = (ROOT / "docs" / "licences.md").read_text().lower()
    rows = {line.split("|")[1].strip(): line for line in doc.splitlines() if line.startswith("| ")}
    locks = (ROOT / "requirements.lock", ROOT / "requirements-job.lock")
    for line in "\n".join(p.read_text() for p in locks).splitlines():
        if "==" not in line:
            continue
        name = line.split("==")[0].strip().lower()
        assert name not in REFUSED_PACKAGES, name
        assert name in rows, f"{name} is pinned but not recorded in docs/licences.md"
        assert not any(bad in rows[name] for bad in REFUSED_LICENCES), rows[name]
        assert "unknown" not in rows[name], rows[name]

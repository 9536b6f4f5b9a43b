"""Shared test configuration: the slow marker, paths to shared data, hypothesis profiles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
ARX_DATA = SHARED / "data" / "arx"

settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "deep", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# `bulle init` seals the custodian's private key under a passphrase; tests (and the CLI processes
# they start, which inherit it) use this one unless a test removes it.
TEST_PASSPHRASE = "passphrase of the test custodian"
os.environ.setdefault("BULLE_CUSTODIAN_PASSPHRASE", TEST_PASSPHRASE)


@pytest.fixture(autouse=True)
def _cheap_custodian_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process workspaces seal with a cheap scrypt cost (the file records its cost)."""
    try:
        from bulle.vault import custodian_key
    except ImportError:  # an older Bulle, run to see new tests fail
        return
    monkeypatch.setattr(custodian_key, "SCRYPT_LOG2_N", 10)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not os.environ.get("BULLE_SPARK"):
        no_spark = pytest.mark.skip(reason="Spark: run with BULLE_SPARK=1 (make test-spark)")
        for item in items:
            if "spark" in item.keywords:
                item.add_marker(no_spark)
    if os.environ.get("BULLE_SLOW"):
        return
    skip = pytest.mark.skip(reason="slow: run with BULLE_SLOW=1 (make test-all)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def arx_data() -> Path:
    if not ARX_DATA.is_dir():
        if os.environ.get("CI"):  # CI lays ../shared beside its clone: a missing copy hides tests
            pytest.fail("../shared/data/arx is not beside the repository in CI")
        pytest.skip("../shared/data/arx is not beside the repository")
    return ARX_DATA


@pytest.fixture(scope="session")
def detector():
    """One French text detector per test session: loading spaCy's model takes seconds."""
    from bulle.text.analyzer import get_detector

    return get_detector()


@pytest.fixture(scope="session")
def detect(detector):
    def run(text: str) -> list[tuple[str, str]]:
        ents = next(detector.detect([text]))
        return [(text[e.start : e.end], e.label) for e in ents]

    return run


@pytest.fixture(scope="session")
def sandbox_host():
    """The sandbox of this machine (``make sandbox``); CI fails rather than skip without it."""
    from bulle import settings
    from bulle.errors import SandboxUnavailable
    from bulle.sandbox import probe

    try:
        return probe(settings.defaults())
    except SandboxUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"the sandbox must be available in CI (make sandbox): {exc}")
        pytest.skip(f"no sandbox on this machine (run make sandbox): {exc}")

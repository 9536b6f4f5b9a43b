"""Browser tests: a real `bulle serve` on a free 127.0.0.1 port, driven by Playwright in Debian's
Chromium (/usr/bin/chromium; never a downloaded browser). Each page visited is screenshotted into
build/screenshots/ and checked with axe-core (no serious or critical violation).

The workspace holds accounts made with the CLI: a custodian who signs in with a one-time code
(TOTP, required for custodians by default), two analysts (one in the project, one not) and a DPO.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "build" / "screenshots"
CHROMIUM = os.environ.get("BULLE_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "a long enough password for the browser tests"
ENV = {**os.environ, "BULLE_USER": "tester"}


def bulle(*args: str) -> str:
    r = subprocess.run(
        [sys.executable, "-m", "bulle", *args], capture_output=True, text=True, env=ENV
    )
    if r.returncode != 0:
        raise AssertionError(r.stderr)
    return r.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Site:
    url: str
    root: Path
    totp_secret: str
    data: Path
    last_step: int = -1
    visited: list[str] = field(default_factory=list)

    def totp(self) -> str:
        """A fresh one-time code (a code is accepted once: wait for the next step if needed)."""
        from bulle.auth.totp import decode_secret, step_at, totp

        while step_at(dt.datetime.now(dt.UTC)) <= self.last_step:
            time.sleep(0.5)
        now = dt.datetime.now(dt.UTC)
        self.last_step = step_at(now)
        return totp(decode_secret(self.totp_secret), now)


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    if not Path(CHROMIUM).is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI (scripts/setup_chromium.sh installs it)")
        pytest.skip(f"{CHROMIUM} is not installed (scripts/setup_chromium.sh)")
    tmp = tmp_path_factory.mktemp("browser")
    ws = tmp / "ws"
    bulle("init", str(ws))
    pw = tmp / "pw"
    pw.write_text(PASSWORD + "\n")
    pw.chmod(0o600)
    for name, roles in (
        ("alice", ["custodian"]),
        ("bob", ["analyst", "checker"]),  # a checker too: never of his own outputs
        ("carol", ["analyst"]),
        ("dora", ["dpo"]),
        ("chloe", ["checker"]),
        ("cyril", ["checker"]),
    ):
        flags = [x for r in roles for x in ("--role", r)]
        bulle("-w", str(ws), "user", "add", name, *flags, "--password-file", str(pw))
    uri = bulle("-w", str(ws), "user", "totp", "alice", "--json")
    secret = re.search(r"secret=([A-Z2-7]+)", uri).group(1)
    data = tmp / "data"
    data.mkdir()
    other = data / "registre_naissances.csv"
    other.write_text("id,ville,annee\nN1,Brest,1990\nN2,Lyon,1991\n")
    bulle("-w", str(ws), "import", str(other), "--dataset", "naissances")
    cohort = data / "cohorte.csv"  # the analysis bubble's project: region Z holds 3 people
    cohort.write_text(
        "id,sexe,tranche,region\n"
        + "".join(
            f"S{i:04d},{'F' if i % 2 else 'M'},{['jeune', 'moyen', 'age'][i % 3]},"
            f"{'Z' if i < 3 else ('A' if i % 2 else 'B')}\n"
            for i in range(200)
        )
    )
    bulle("-w", str(ws), "import", str(cohort), "--dataset", "cohorte")
    bulle("-w", str(ws), "purpose", "declare", "suivi", "--description", "Suivi de cohorte",
          "--legal-basis", "public_task")  # fmt: skip
    bulle("-w", str(ws), "dataset-purpose", "cohorte", "suivi")
    bulle("-w", str(ws), "project", "create", "etude-bulle", "--purpose", "suivi",
          "--dataset", "cohorte@1=id,sexe,tranche,region", "--member", "bob:analyst",
          "--from", "2020-01-01T00:00:00+00:00", "--until", "2099-01-01T00:00:00+00:00")  # fmt: skip
    bulle("-w", str(ws), "project", "approve", "etude-bulle", "--allow-raw")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bulle", "-w", str(ws), "serve", "--port", str(port)],
        env=ENV,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        proc.kill()
        proc.wait()
        raise AssertionError(proc.stderr.read().decode())
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield Site(url, ws, secret, data)
    proc.terminate()
    proc.wait(timeout=30)
    proc.stderr.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="session")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def check_page(page, axe, name: str, site: Site | None = None) -> None:
    """Screenshot the page and run axe-core on it: no serious or critical violation."""
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    found = axe.run(page).response["violations"]
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:3])
        for v in found
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"accessibility violations on {name} ({page.url}):\n" + "\n".join(bad)
    if site is not None:
        site.visited.append(name)


def sign_in(browser, site: Site, user: str, *, totp: bool = False, javascript: bool = True):
    context = browser.new_context(
        base_url=site.url, locale="fr-FR", java_script_enabled=javascript, accept_downloads=True
    )
    page = context.new_page()
    page.goto("/login")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    if totp:
        page.fill("#totp", site.totp())
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, page.inner_text("main")
    return context, page


@pytest.fixture(scope="session")
def check(axe, site):
    """``check(page, name)``: screenshot and axe-core check of the page shown."""
    return lambda page, name: check_page(page, axe, name, site)


@pytest.fixture(scope="session")
def login(browser, site):
    """``login(user, totp=False, javascript=True)``: a new browser context signed in through the
    form (``javascript=False``: a browser with scripts turned off)."""
    return lambda user, totp=False, javascript=True: sign_in(
        browser, site, user, totp=totp, javascript=javascript
    )

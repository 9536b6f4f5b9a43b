"""The analysis bubble in a real browser: the analyst writes code against dummy data, runs it on
dummy data then on the real rows, and asks for an exception; two checkers review (the analyst, a
checker too, is refused his own output); the analyst downloads what was released and reads the
rejection's comment. The job pages follow their job over server-sent events, and still work with
JavaScript turned off. The tests run in order on the session's server (project etude-bulle)."""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from collections import Counter
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("PYTEST_XDIST_WORKER")),
    reason="browser tests run on their own, in order: pytest tests/browser (make test does)",
)

PROJECT = "etude-bulle"
JOB = """\
from bulle.job import read, crosstab

df = read("cohorte")
crosstab(df["sexe"], df["tranche"], name="sexe_par_tranche")   # every cell >= 10
crosstab(df["sexe"], df["region"], name="sexe_par_region")     # region Z: 3 people
print("lignes", len(df))
"""
SLOW_JOB = "import time\ntime.sleep(3)\nprint('fini')\n"
ENDED = "#live[data-state=succeeded], #live[data-state=failed]"
STATE: dict[str, str] = {}
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@pytest.fixture(scope="module")
def analyst(login):
    context, page = login("bob")
    yield page
    context.close()


def submit(page, code: str, *, real: bool) -> str:
    page.goto(f"/projects/{PROJECT}/jobs")
    page.fill("#code", code)
    page.check(f"input[name=data][value={'real' if real else 'dummy'}]")
    page.click("#job-form button[type=submit]")
    page.wait_for_url(re.compile(r"/jobs/j-[0-9a-f]{16}$"))
    return page.url.rsplit("/", 1)[-1]


def wait_job(page) -> None:
    page.wait_for_selector(ENDED, timeout=120_000)
    assert page.get_attribute("#live", "data-state") == "succeeded", page.inner_text("main")


def test_the_analyst_downloads_dummy_data_with_no_rare_real_value(analyst, site, check):
    page = analyst
    page.goto(f"/projects/{PROJECT}")
    page.click(f"a[href='/projects/{PROJECT}/jobs']")
    check(page, "jobs")
    with page.expect_download() as download:
        page.click("a[href$='/datasets/cohorte/dummy']")
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert list(rows[0]) == ["id", "sexe", "tranche", "region"] and len(rows) == 1000
    real = list(csv.DictReader(io.StringIO((site.data / "cohorte.csv").read_text())))
    threshold = 10  # synthesis.dummy_min_count
    for column in rows[0]:
        counts = Counter(r[column] for r in real)
        rare = {v for v, n in counts.items() if n < threshold}
        assert not rare & {r[column] for r in rows}, column
    assert "Z" not in {r["region"] for r in rows} and "S0001" not in {r["id"] for r in rows}


def test_a_job_on_dummy_data_is_followed_live_and_shows_its_logs_and_outputs(analyst, check):
    page = analyst
    submit(page, SLOW_JOB + JOB, real=False)
    assert page.get_attribute("#live", "data-state") in ("queued", "running")
    page.evaluate("window.stillTheSamePage = true")  # gone if the page were reloaded
    check(page, "job-running")
    wait_job(page)  # pushed by the server (server-sent events): the page swaps its content
    assert page.evaluate("window.stillTheSamePage") is True
    assert "lignes 1000" in page.inner_text("#stdout")  # dummy rows; the logs are his to debug
    assert page.locator("#output-sexe_par_tranche a[download]").count() == 1  # dummy: at once
    check(page, "job-dummy")


def test_a_job_on_real_data_hides_its_logs_and_the_analyst_asks_an_exception(analyst, check):
    page = analyst
    STATE["job"] = submit(page, JOB, real=True)
    wait_job(page)
    assert page.locator("#stdout").count() == 0
    assert "--dummy" in page.inner_text("#logs-refusal")  # the reason, not the logs
    passing = page.locator("#output-sexe_par_tranche")
    assert passing.locator("a[download]").count() == 0
    assert "released" in passing.locator(".download-refusal").inner_text()
    blocked = page.locator("#output-sexe_par_region")
    assert "status-blocked" in blocked.locator("h3 .badge").get_attribute("class")
    threshold = blocked.locator("table.checks tr", has_text="threshold")
    assert "outcome-fail" in threshold.get_attribute("class")
    check(page, "job-real")
    blocked.locator("textarea[name=reason]").fill(
        "La région Z sera regroupée avec la région A dans la publication."
    )
    blocked.locator("form.exception button").click()
    page.wait_for_url(re.compile(r"#output-sexe_par_region$"))
    assert "regroupée" in page.inner_text("#output-sexe_par_region")
    assert page.locator("#output-sexe_par_region form.exception").count() == 0


def test_checker_a_approves_beside_the_checks_and_the_code(login, check):
    context, page = login("chloe")
    assert page.url.endswith("/outputs")
    for name in ("sexe_par_tranche", "sexe_par_region"):
        assert page.locator(f"a[href='/jobs/{STATE['job']}/outputs/{name}']").count() == 1
    check(page, "outputs-queue")
    page.click(f"a[href='/jobs/{STATE['job']}/outputs/sexe_par_tranche']")
    assert page.locator("#output-table tbody tr").count() == 2  # F and M
    assert "crosstab" in page.inner_text("pre.code")
    assert page.locator("table.checks tbody tr").count() >= 1
    check(page, "output-review")
    page.fill("#comment", "Toutes les cellules comptent au moins 10 personnes.")
    page.click("#review-form button[value=approve]")
    page.wait_for_url(re.compile(r"/outputs$"))
    mine = page.locator(f"a[href='/jobs/{STATE['job']}/outputs/sexe_par_tranche']")
    assert mine.count() == 0  # reviewed: not hers any more
    page.goto(f"/jobs/{STATE['job']}")  # what the real run printed is for its checkers
    assert "lignes 200" in page.inner_text("#stdout")
    context.close()


def test_the_analyst_cannot_review_his_own_output(analyst, site, check):
    page = analyst
    page.goto(f"/jobs/{STATE['job']}/outputs/sexe_par_tranche")  # bob acts as a checker here
    assert page.locator("#review-form").count() == 0
    assert "own outputs" in page.inner_text("#review-refusal")
    check(page, "output-review-own")
    csrf = page.get_attribute("input[name=csrf_token]", "value")
    r = page.request.post(
        f"{site.url}/jobs/{STATE['job']}/outputs/sexe_par_tranche/review",
        form={"csrf_token": csrf, "decision": "approve", "comment": "moi"},
        max_redirects=0,
    )
    assert r.status == 403 and "own outputs" in r.text()


def test_checker_b_approves_and_rejects_and_the_analyst_downloads_and_reads(login, analyst, check):
    context, page = login("cyril")
    page.goto(f"/jobs/{STATE['job']}/outputs/sexe_par_tranche")
    page.fill("#comment", "D'accord.")
    page.click("#review-form button[value=approve]")
    page.wait_for_url(re.compile(r"/outputs$"))
    page.click(f"a[href='/jobs/{STATE['job']}/outputs/sexe_par_region']")
    assert "regroupée" in page.inner_text("#exception-reason")
    page.fill("#comment", "Trois personnes en région Z : regroupez avant de publier.")
    page.click("#review-form button[value=reject]")
    page.wait_for_url(re.compile(r"/outputs$"))
    context.close()
    page = analyst
    page.goto(f"/jobs/{STATE['job']}")
    released = page.locator("#output-sexe_par_tranche")
    assert "status-released" in released.locator("h3 .badge").get_attribute("class")
    with page.expect_download() as download:
        released.locator("a[download]").click()
    with zipfile.ZipFile(download.value.path()) as z:
        table = z.read("table.csv").decode()
    assert "moyen" in table and "F" in table
    rejected = page.locator("#output-sexe_par_region")
    assert "status-rejected" in rejected.locator("h3 .badge").get_attribute("class")
    assert "regroupez avant de publier" in rejected.inner_text()
    assert rejected.locator("a[download]").count() == 0
    check(page, "job-reviewed")


def test_without_javascript_the_job_page_refreshes_itself(login):
    context, page = login("bob", javascript=False)
    submit(page, SLOW_JOB, real=False)
    assert page.get_attribute("#live", "data-state") in ("queued", "running")
    assert page.locator("noscript").count() >= 1
    wait_job(page)  # the page reloaded itself (noscript meta refresh) until the job ended
    assert "fini" in page.inner_text("#stdout")
    # axe-core runs as a script: this page's accessibility is checked with scripts (job-dummy)
    page.screenshot(path=str(SHOTS / "job-no-javascript.png"), full_page=True)
    context.close()

"""Plug-ins installed as distributions (a module and its ``*.dist-info`` with entry points) are
picked up by the `bulle` command exactly like built-ins: a text operator, a metric, a privacy model
with its own option; a broken plug-in stops the command with its name, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest


def install(root: Path, dist: str, module: str, source: str, entry_points: str) -> Path:
    root.mkdir(exist_ok=True)
    (root / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = root / f"{dist}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points), encoding="utf-8")
    return root


def bulle(plugins: Path, *args: str) -> subprocess.CompletedProcess:
    path = os.pathsep.join(p for p in (str(plugins), os.environ.get("PYTHONPATH", "")) if p)
    return subprocess.run(
        [sys.executable, "-m", "bulle", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": path},
        timeout=600,
    )


UPPER = """
    from bulle.text.operators.base import Operator, splice


    class Upper(Operator):
        def apply(self, text, entities, key=None, subject=None, keyed=None):
            spans = sorted({(e.start, e.end) for e in entities})
            return splice(text, [(s, e, text[s:e].upper()) for s, e in spans])
"""


def test_a_plugin_operator_is_used_by_text_deidentify(tmp_path):
    plugins = install(
        tmp_path / "site",
        "bulle-upper",
        "myplugin",
        UPPER,
        "[bulle.operators]\nupper = myplugin:Upper\n",
    )
    inp, out = tmp_path / "in.txt", tmp_path / "out.txt"
    inp.write_text("Contact : jean.dupont@example.org pour le dossier.", encoding="utf-8")
    r = bulle(
        plugins,
        "text",
        "deidentify",
        "--input",
        str(inp),
        "--output",
        str(out),
        "--operator",
        "upper",
        "--processes",
        "1",
        "--json",
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["operator"] == "upper"
    assert out.read_text(encoding="utf-8") == "Contact : JEAN.DUPONT@EXAMPLE.ORG pour le dossier."
    helped = bulle(plugins, "text", "deidentify", "--help")
    assert "shift-dates|upper]" in helped.stdout


BADGE = """
    from bulle.text.recognizers.base import RegexRecognizer, Rule


    def badge(config):
        return RegexRecognizer("passwords", "RECORD_ID", [Rule("word", r"\\bquetzalcoatl\\b", 0.9)], [])
"""


def test_a_plugin_recognizer_runs_with_the_builtins(tmp_path):
    plugins = install(
        tmp_path / "site",
        "bulle-badge",
        "badgeplugin",
        BADGE,
        "[bulle.recognizers]\nbadge = badgeplugin:badge\n",
    )
    inp, out = tmp_path / "in.txt", tmp_path / "out.txt"
    inp.write_text("Le mot de passe reste quetzalcoatl ce soir.", encoding="utf-8")
    r = bulle(
        plugins,
        "text",
        "deidentify",
        "--input",
        str(inp),
        "--output",
        str(out),
        "--operator",
        "redact",
        "--processes",
        "1",
        "--json",
    )
    assert r.returncode == 0, r.stderr
    assert out.read_text(encoding="utf-8") == "Le mot de passe reste […] ce soir."


def test_a_broken_plugin_stops_the_command_with_its_name(tmp_path):
    plugins = install(
        tmp_path / "site",
        "bulle-broken",
        "brokenplugin",
        "raise RuntimeError('the licence server is unreachable')\n",
        "[bulle.operators]\nupper = brokenplugin:Upper\n",
    )
    inp = tmp_path / "in.txt"
    inp.write_text("Bonjour.", encoding="utf-8")
    r = bulle(
        plugins,
        "text",
        "deidentify",
        "--input",
        str(inp),
        "--output",
        str(tmp_path / "o.txt"),
        "--operator",
        "redact",
        "--json",
    )
    assert r.returncode == 9, r.stderr
    error = json.loads(r.stderr)["error"]
    assert error["code"] == "plugin"
    assert (
        "plug-in 'bulle-broken'" in error["message"]
        and "upper = brokenplugin:Upper" in error["message"]
    )
    assert "RuntimeError: the licence server is unreachable" in error["message"]
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "o.txt").exists()


MIN_SIZE = """
    import numpy as np

    from bulle.anonymization.metrics import Metric
    from bulle.anonymization.models import Param, PrivacyModel


    class MinSize(PrivacyModel):
        '''Every released class holds at least n records (k-anonymity under another name).'''

        name = "min-size"
        option = "--min-size"
        summary = "Smallest class size (plug-in)."
        parameters = (Param("n", int, minimum=1),)
        needs_attribute = False
        monotonic_with_suppression = True

        @property
        def min_class_size(self):
            return int(self.params["n"])

        def check(self, view):
            return view.size >= int(self.params["n"])


    class Classes(Metric):
        name = "classes"
        title = "Number of classes (plug-in)"
        multi_dimensional = False

        has_static_bound = True

        def monotonic(self, suppression):
            return False

        def static_bound(self, levels):
            return np.zeros(len(levels))  # a true lower bound: the search then looks at every node

        def value(self, res):
            return float(res.released_classes)
"""

ROWS = [
    "age,zip,disease",
    "34,75011,flu",
    "35,75012,flu",
    "36,75013,cold",
    "37,75014,cold",
    "51,69001,flu",
    "52,69002,cold",
    "53,69003,flu",
    "54,69004,cold",
]
AGE = [
    "34;30-39;*",
    "35;30-39;*",
    "36;30-39;*",
    "37;30-39;*",
    "51;50-59;*",
    "52;50-59;*",
    "53;50-59;*",
    "54;50-59;*",
]
ZIP = [
    "75011;7501*;*",
    "75012;7501*;*",
    "75013;7501*;*",
    "75014;7501*;*",
    "69001;6900*;*",
    "69002;6900*;*",
    "69003;6900*;*",
    "69004;6900*;*",
]


@pytest.fixture
def model_plugin(tmp_path):
    return install(
        tmp_path / "site",
        "bulle-min-size",
        "minsize",
        MIN_SIZE,
        "[bulle.models]\nmin-size = minsize:MinSize\n\n[bulle.metrics]\nclasses = minsize:Classes\n",
    )


def test_a_plugin_model_and_metric_appear_in_anonymize_help(model_plugin):
    r = bulle(model_plugin, "anonymize", "--help")
    assert r.returncode == 0, r.stderr
    assert "--min-size INTEGER" in r.stdout and "Smallest class size (plug-in)." in r.stdout
    assert "height|classes]" in r.stdout


def test_a_plugin_model_is_usable(model_plugin, tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("\n".join(ROWS) + "\n", encoding="utf-8")
    (tmp_path / "age.csv").write_text("\n".join(AGE) + "\n", encoding="utf-8")
    (tmp_path / "zip.csv").write_text("\n".join(ZIP) + "\n", encoding="utf-8")
    args = [
        "anonymize",
        "--input",
        str(data),
        "--hierarchy",
        f"age={tmp_path / 'age.csv'}",
        "--hierarchy",
        f"zip={tmp_path / 'zip.csv'}",
        "--metric",
        "height",
        "--json",
    ]
    plugged = bulle(model_plugin, *args, "--min-size", "4")
    assert plugged.returncode == 0, plugged.stderr
    builtin = bulle(model_plugin, *args, "--k", "4")
    assert builtin.returncode == 0, builtin.stderr
    got, want = json.loads(plugged.stdout), json.loads(builtin.stdout)
    assert got["anonymous"] and got["transformation"] == want["transformation"]
    counted = bulle(model_plugin, *args[:-3], "--metric", "classes", "--min-size", "4", "--json")
    assert counted.returncode == 0, counted.stderr
    assert (
        json.loads(counted.stdout)["information_loss"] == 1.0
    )  # everything generalized: one class
    refused = bulle(model_plugin, *args, "--min-size", "0")
    assert refused.returncode == 2 and "parameter n must be >= 1" in refused.stderr

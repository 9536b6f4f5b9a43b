"""A synthesizer installed as a distribution (entry point ``bulle.synthesizers``) is a choice of
`bulle synthesize --method` like a built-in, with its own ``--param``; it cannot take a built-in's
name."""

from __future__ import annotations

import csv
import json

import pytest
from tests.functional.registry.test_plugins_cli import bulle, install

pytest.importorskip("bulle.synthesis.utility", reason="the utility report lands with synthreport")

BOOTSTRAP = """
    from bulle.synthesis.base import Synthesizer


    class Bootstrap(Synthesizer):
        name = "bootstrap"
        PARAMS = {"share": (float, 1.0, "share of the rows resampled")}

        def _fit(self, encoded, rng):
            self.rows = encoded

        def _sample(self, n, rng):
            return self.rows.iloc[rng.integers(0, len(self.rows), n)].reset_index(drop=True)
"""


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "t.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["a", "b"])
        w.writerows([[i % 7, "xyz"[i % 3]] for i in range(60)])
    return path


def test_plugin_synthesizer_is_a_method(tmp_path, table):
    plugins = install(
        tmp_path / "plugins", "bulle-boot", "bulle_boot", BOOTSTRAP,
        "[bulle.synthesizers]\nbootstrap = bulle_boot:Bootstrap\n",
    )  # fmt: skip
    out = tmp_path / "s.csv"
    r = bulle(plugins, "synthesize", "--input", str(table), "--method", "bootstrap",
              "--param", "share=0.5", "--output", str(out), "--json")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert out.read_text().splitlines()[0] == "a,b"
    # the plug-in's copies are exactly what the report is there to show
    assert json.loads(r.stdout)["privacy"]["exact_copies"] == 1.0


def test_plugin_cannot_shadow_a_builtin(tmp_path, table):
    plugins = install(
        tmp_path / "plugins", "bulle-evil", "bulle_evil", BOOTSTRAP,
        "[bulle.synthesizers]\ncart = bulle_evil:Bootstrap\n",
    )  # fmt: skip
    r = bulle(plugins, "synthesize", "--input", str(table), "--method", "cart",
              "--output", str(tmp_path / "s.csv"), "--json")  # fmt: skip
    assert r.returncode == 9 and "registered twice" in r.stderr

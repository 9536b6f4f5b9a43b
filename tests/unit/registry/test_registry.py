"""The one registry type: names, duplicates refused by origin, entry-point plug-ins loaded once,
a broken plug-in reported by name (never skipped)."""

from __future__ import annotations

import itertools
import sys
import textwrap
from pathlib import Path

import pytest

from bulle.errors import NotFoundError, PluginError
from bulle.registry import Registry

_count = itertools.count()


def plugin(root: Path, dist: str, module: str, source: str, entry_points: str) -> None:
    """A distribution installed into ``root``: one module and its ``*.dist-info`` folder."""
    (root / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = root / f"{dist}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points), encoding="utf-8")


@pytest.fixture
def kind(tmp_path, monkeypatch):
    """A fresh entry-point group and a folder on sys.path to install plug-ins into."""
    name = f"testkind{next(_count)}"
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name, tmp_path
    for mod in [m for m in sys.modules if m.startswith(f"plug_{name}")]:
        del sys.modules[mod]


def test_register_get_names_in_order():
    reg: Registry[object] = Registry("unit-a", "widget")

    @reg.register("b")
    def b():
        return "B"

    reg.add("a", len)
    reg.add("a", len)  # the same object again: a no-op (a module imported twice)
    assert reg.names() == ["b", "a"]
    assert reg.get("b") is b and reg["a"] is len
    assert "a" in reg and "zzz" not in reg and len(reg) == 2
    assert reg.find("zzz") is None
    assert reg.origin("b").endswith("test_register_get_names_in_order.<locals>.b")


def test_unknown_name_lists_the_known_ones():
    reg: Registry[object] = Registry("unit-b", "operator")
    reg.add("redact", str)
    reg.add("mask", int)
    with pytest.raises(NotFoundError) as err:
        reg.get("upper")
    assert err.value.message == "unknown operator 'upper'; known: redact, mask"
    assert err.value.exit_code == 3


def test_duplicate_name_is_refused_naming_both_origins():
    reg: Registry[object] = Registry("unit-c", "metric")
    reg.add("loss", str, origin="module one")
    with pytest.raises(PluginError) as err:
        reg.add("loss", int, origin="module two")
    assert "metric 'loss' is registered twice" in err.value.message
    assert "module one" in err.value.message and "module two" in err.value.message
    assert reg.get("loss") is str  # the first registration stands


def test_builtins_are_imported_like_plugins(kind):
    name, root = kind
    (root / f"plug_{name}_builtin.py").write_text(
        textwrap.dedent(f"""
        from bulle.registry import Registry
        import sys
        REG = sys.modules["__reg_{name}__"]

        @REG.register("shipped")
        class Shipped:
            pass
    """),
        encoding="utf-8",
    )
    reg: Registry[type] = Registry(name, "thing", (f"plug_{name}_builtin",))
    sys.modules[f"__reg_{name}__"] = reg  # type: ignore[assignment]
    try:
        assert f"plug_{name}_builtin" not in sys.modules  # nothing imported before the first use
        assert reg.names() == ["shipped"]
        assert reg.origin("shipped") == f"plug_{name}_builtin.Shipped"
    finally:
        del sys.modules[f"__reg_{name}__"]


def test_entry_point_plugin_is_loaded_once(kind):
    name, root = kind
    plugin(
        root,
        "widgets",
        f"plug_{name}",
        """
        LOADS = []
        LOADS.append(1)

        class Upper:
            pass
    """,
        f"[bulle.{name}]\nupper = plug_{name}:Upper\n",
    )
    reg: Registry[type] = Registry(name, "operator")
    reg.add("redact", str)
    assert reg.names() == ["redact", "upper"]
    module = sys.modules[f"plug_{name}"]
    assert reg.get("upper") is module.Upper
    assert "plug-in 'widgets'" in reg.origin(
        "upper"
    ) and f"bulle.{name}: upper = plug_{name}:Upper" in reg.origin("upper")
    reg.names(), reg.get("upper"), "x" in reg
    assert module.LOADS == [1]


def test_entry_point_naming_a_module_that_registers_itself(kind):
    name, root = kind
    reg: Registry[type] = Registry(name, "recognizer")
    sys.modules[f"__reg_{name}__"] = reg  # type: ignore[assignment]
    plugin(
        root,
        "recs",
        f"plug_{name}_mod",
        f"""
        import sys
        REG = sys.modules["__reg_{name}__"]

        @REG.register("badge")
        def badge(config):
            return []
    """,
        f"[bulle.{name}]\nbadge = plug_{name}_mod\n",
    )
    try:
        assert reg.names() == ["badge"]
        assert "plug-in 'recs'" in reg.origin("badge")
    finally:
        del sys.modules[f"__reg_{name}__"]


def test_a_broken_plugin_is_reported_by_name_not_skipped(kind):
    name, root = kind
    plugin(
        root,
        "broken-ops",
        f"plug_{name}_broken",
        """
        import a_module_that_does_not_exist  # noqa: F401
    """,
        f"[bulle.{name}]\nupper = plug_{name}_broken:Upper\n",
    )
    reg: Registry[type] = Registry(name, "operator")
    reg.add("redact", str)
    with pytest.raises(PluginError) as err:
        reg.names()
    msg = err.value.message
    assert "plug-in 'broken-ops'" in msg and f"upper = plug_{name}_broken:Upper" in msg
    assert "failed to load: ModuleNotFoundError" in msg and "a_module_that_does_not_exist" in msg
    with pytest.raises(PluginError):  # every later use says so too: nothing runs half-loaded
        reg.get("redact")


def test_a_plugin_cannot_replace_a_builtin(kind):
    name, root = kind
    plugin(
        root,
        "shadow",
        f"plug_{name}_shadow",
        """
        class Redact:
            pass
    """,
        f"[bulle.{name}]\nredact = plug_{name}_shadow:Redact\n",
    )
    reg: Registry[type] = Registry(name, "operator")
    reg.add("redact", str, origin="bulle.text.operators.redact")
    with pytest.raises(PluginError) as err:
        reg.names()
    msg = err.value.message
    assert "operator 'redact' is registered twice" in msg
    assert "bulle.text.operators.redact" in msg and "plug-in 'shadow'" in msg


def test_every_extension_kind_uses_the_registry_type():
    from bulle.anonymization.metrics import METRICS
    from bulle.anonymization.models import MODELS
    from bulle.audit.events import EVENT_KINDS
    from bulle.services.lineage import RECOMPUTERS
    from bulle.text.operators import OPERATORS
    from bulle.text.registry import RECOGNIZERS

    groups = {r.group for r in (METRICS, MODELS, EVENT_KINDS, RECOMPUTERS, OPERATORS, RECOGNIZERS)}
    assert groups == {
        "bulle.metrics",
        "bulle.models",
        "bulle.events",
        "bulle.recomputers",
        "bulle.operators",
        "bulle.recognizers",
    }
    assert "k-anonymity" in MODELS and "loss" in METRICS and "dataset.import" in EVENT_KINDS
    assert {"pseudonymize", "anonymize", "text"} <= set(RECOMPUTERS.names())
    assert OPERATORS.names() == ["redact", "mask", "placeholder", "pseudonym", "shift-dates"]
    assert "nir" in RECOGNIZERS

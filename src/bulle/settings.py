"""The settings table: every threshold a custodian may tune, declared once.

Each :class:`Setting` is a frozen declaration (name, type, default, bounds, unit, description,
who may change it). A workspace's value of a setting comes from, in order:

1. the environment, ``BULLE_SETTING_<NAME>`` with the name upper-cased and dots written as
   underscores (``query.timeout_max_s`` -> ``BULLE_SETTING_QUERY_TIMEOUT_MAX_S``);
2. the ``[settings]`` table of the workspace's ``bulle.toml`` (``"query.timeout_max_s" = 600``,
   or the dotted and sub-table spellings TOML allows);
3. the default declared here.

Every value is checked against its declaration and all problems are reported at once, naming where
the value came from (the file and key, or the variable) and what is allowed; a key or variable
that names no setting is refused, so a typo never leaves a threshold silently at its default.

This module is pure (no files, no environment): :mod:`bulle.services.settings` reads
``bulle.toml`` and the environment and writes changes. ``python -m bulle.settings --markdown``
prints ``docs/settings.md``, which a test keeps equal to this table. Algorithmic constants (batch
sizes, hash widths, format limits) are not settings: a setting is a threshold a custodian would
want to choose for their workspace.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from bulle.domain.actor import Role
from bulle.errors import Problem, ValidationError, Where

ENV_PREFIX = "BULLE_SETTING_"
SIZE_RE = re.compile(r"\s*\d+(\.\d+)?\s*[KMGT]i?B\s*", re.I)
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


@dataclass(frozen=True)
class Setting:
    """One tunable threshold. ``minimum``/``maximum`` are inclusive unless ``exclusive_minimum``."""

    name: str
    type: type  # int, float or str
    default: int | float | str
    description: str
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    pattern: re.Pattern[str] | None = None  # for str settings: the whole value must match
    pattern_text: str = ""  # the allowed form, in words
    changed_by: Role = Role.CUSTODIAN

    @property
    def env_var(self) -> str:
        return ENV_PREFIX + self.name.upper().replace(".", "_")

    def allowed(self) -> str:
        """What values are allowed, in words (used in messages and in the generated page)."""
        if self.type is str:
            return self.pattern_text or "text"
        kind = "a whole number" if self.type is int else "a number"
        low = (
            ""
            if self.minimum is None
            else (
                f"> {_show(self.minimum)}"
                if self.exclusive_minimum
                else f">= {_show(self.minimum)}"
            )
        )
        high = "" if self.maximum is None else f"<= {_show(self.maximum)}"
        bounds = " and ".join(b for b in (low, high) if b)
        return f"{kind} {bounds}".strip()

    def check(self, value: object) -> int | float | str:
        """``value`` (from TOML or Python) as this setting's type, or ``ValueError`` saying why."""
        if isinstance(value, bool):
            raise ValueError(f"must be {self.allowed()}, got {value!r}")
        if self.type is int:
            if not isinstance(value, int):
                raise ValueError(f"must be {self.allowed()}, got {value!r}")
        elif self.type is float:
            if not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"must be {self.allowed()}, got {value!r}")
            value = float(value)
        elif not isinstance(value, str) or (
            self.pattern is not None and not self.pattern.fullmatch(value)
        ):
            raise ValueError(f"must be {self.allowed()}, got {value!r}")
        if self.type is not str:
            number: float = value  # type: ignore[assignment]
            too_low = self.minimum is not None and (
                number <= self.minimum if self.exclusive_minimum else number < self.minimum
            )
            too_high = self.maximum is not None and number > self.maximum
            if too_low or too_high:
                raise ValueError(f"must be {self.allowed()}, got {value!r}")
        return value  # type: ignore[return-value]

    def parse(self, text: str) -> int | float | str:
        """A value written as text (an environment variable, a command-line argument)."""
        if self.type is str:
            return self.check(text)
        try:
            value: object = int(text.strip()) if self.type is int else float(text.strip())
        except ValueError:
            raise ValueError(f"must be {self.allowed()}, got {text!r}") from None
        return self.check(value)


def _show(number: float) -> str:
    return f"{int(number):,}".replace(",", "_") if float(number).is_integer() else f"{number:g}"


_SIZE = dict(
    pattern=SIZE_RE, pattern_text="a size such as '512MB' or '2GB' (KB, MB, GB, TB, or KiB...)"
)

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "query.timeout_default_s",
        float,
        60.0,
        unit="s",
        minimum=0,
        exclusive_minimum=True,
        maximum=86_400,
        description="Wall-clock time an analyst's query may run when it asks for no timeout. "
        "Set above query.timeout_max_s it is refused; left at its default it is "
        "lowered to the ceiling.",
    ),
    Setting(
        "query.timeout_max_s",
        float,
        3600.0,
        unit="s",
        minimum=0,
        exclusive_minimum=True,
        maximum=86_400,
        description="Ceiling of the timeout an analyst may ask for: a larger (or infinite) "
        "timeout is refused.",
    ),
    Setting(
        "query.result_max_bytes",
        int,
        256 * 1024 * 1024,
        unit="bytes",
        minimum=1,
        maximum=1 << 40,
        description="Arrow bytes a query's result may hand back; a result growing past it stops "
        "with exit code 8 before it fills the memory.",
    ),
    Setting(
        "query.result_max_rows",
        int,
        1_000_000,
        unit="rows",
        minimum=1,
        maximum=10**12,
        description="Rows a query's result may hand back (the row cap).",
    ),
    Setting(
        "query.memory_limit",
        str,
        "1GB",
        **_SIZE,  # type: ignore[arg-type]
        description="Memory an analyst's query may use; no spilling to disk, so a query that "
        "needs more stops with exit code 8.",
    ),
    Setting(
        "anonymize.risk_threshold",
        float,
        0.2,
        minimum=0,
        exclusive_minimum=True,
        maximum=1,
        description="Default re-identification risk threshold of a release and of `bulle risk`: "
        "a record is at risk when 1 / (size of its class) is above it (0.2: classes "
        "under 5 records).",
    ),
    Setting(
        "text.score_threshold",
        float,
        0.4,
        minimum=0,
        maximum=1,
        description="Text de-identification: detections scoring below this are dropped.",
    ),
    Setting(
        "profile.sample_rows",
        int,
        2000,
        unit="values",
        minimum=1,
        maximum=1_000_000,
        description="Non-null values sampled per column when a dataset is profiled.",
    ),
    Setting(
        "profile.kind_values",
        int,
        200,
        unit="values",
        minimum=1,
        maximum=100_000,
        description="Distinct sampled values per column read by the value-kind recognizers "
        "(e-mail, phone, NIR...) when a dataset is profiled.",
    ),
    Setting(
        "profile.value_share",
        float,
        0.8,
        minimum=0,
        exclusive_minimum=True,
        maximum=1,
        description="Share of a column's sampled values that must match a pattern for the "
        "column to be suggested the pattern's role.",
    ),
    Setting(
        "synthesis.privacy_attacks",
        int,
        1000,
        unit="attacks",
        minimum=10,
        maximum=1_000_000,
        description="Attacks of each kind run by a synthetic table's privacy report (singling "
        "out, linkability, inference per column), and records sampled for its distances to the "
        "closest record: more narrows the risks' confidence intervals and costs time.",
    ),
    Setting(
        "synthesis.control_share",
        float,
        0.2,
        minimum=0.05,
        maximum=0.5,
        description="Share of a table's records held out as the control part when it is "
        "synthesized: never used to fit, they are the baseline of the privacy report's attacks "
        "(a fifth leaves four fifths to learn from and a few thousand controls on a table of "
        "tens of thousands).",
    ),
    Setting(
        "synthesis.max_singling_out_risk",
        float,
        0.09,
        minimum=0,
        maximum=1,
        description="Highest singling-out risk (upper end of its 95 % confidence interval, "
        "worst of univariate and multivariate) with which a custodian may mark a synthetic "
        "version as not personal data.",
    ),
    Setting(
        "synthesis.max_linkability_risk",
        float,
        0.09,
        minimum=0,
        maximum=1,
        description="Highest linkability risk (upper end of its 95 % confidence interval) with "
        "which a custodian may mark a synthetic version as not personal data.",
    ),
    Setting(
        "synthesis.max_inference_risk",
        float,
        0.09,
        minimum=0,
        maximum=1,
        description="Highest attribute-inference risk (upper end of the 95 % confidence "
        "interval of the worst sensitive column) with which a custodian may mark a synthetic "
        "version as not personal data.",
    ),
    Setting(
        "synthesis.max_exact_copy_excess",
        float,
        0.01,
        minimum=0,
        maximum=1,
        description="How far the share of synthetic records equal to a training record may "
        "exceed the natural share (control records equal to a training record) for a custodian "
        "to mark a synthetic version as not personal data.",
    ),
    Setting(
        "synthesis.dummy_min_count",
        int,
        10,
        unit="records",
        minimum=2,
        maximum=1_000_000,
        description="Dummy data uses a real value of a column only if it occurs at least this "
        "many times (the small-cell rule of health data releases); every other value is made up.",
    ),
)

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}
BY_ENV: dict[str, Setting] = {s.env_var: s for s in SETTINGS}


def _check_table() -> None:
    """The table itself is consistent: names well-formed and unique, defaults allowed."""
    if len(BY_NAME) != len(SETTINGS) or len(BY_ENV) != len(SETTINGS):
        raise TypeError("two settings share a name or an environment variable")
    for s in SETTINGS:
        if not NAME_RE.match(s.name):
            raise TypeError(f"setting name {s.name!r} is not section.name in lower case")
        s.check(s.default)


_check_table()


def default(name: str) -> Any:
    """The declared default of ``name`` (for modules whose constants are these defaults)."""
    return BY_NAME[name].default


@dataclass(frozen=True)
class Resolved:
    """A setting's value in one workspace and where it came from."""

    setting: Setting
    value: int | float | str
    source: str  # "default", "bulle.toml" or the environment variable's name

    def to_dict(self) -> dict[str, Any]:
        s = self.setting
        return {
            "name": s.name,
            "value": self.value,
            "source": self.source,
            "default": s.default,
            "unit": s.unit,
            "allowed": s.allowed(),
            "changed_by": s.changed_by.value,
            "description": s.description,
        }


class Settings(Mapping[str, Any]):
    """A workspace's resolved settings: ``settings["query.timeout_max_s"]`` is the value."""

    def __init__(self, resolved: Mapping[str, Resolved]):
        self._resolved = dict(resolved)

    def __getitem__(self, name: str) -> Any:
        return self._resolved[name].value

    def __iter__(self) -> Iterator[str]:
        return iter(self._resolved)

    def __len__(self) -> int:
        return len(self._resolved)

    def resolved(self, name: str) -> Resolved:
        return self._resolved[name]

    def rows(self) -> list[Resolved]:
        return [self._resolved[s.name] for s in SETTINGS]


def defaults() -> Settings:
    """Every setting at its default (stand-alone commands with no workspace)."""
    return Settings({s.name: Resolved(s, s.default, "default") for s in SETTINGS})


def flatten(table: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``{"query": {"timeout_max_s": 1}}`` and ``{"query.timeout_max_s": 1}`` alike, as pairs."""
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and name not in BY_NAME:
            yield from flatten(value, name + ".")
        else:
            yield name, value


def resolve(
    file_table: Mapping[str, Any] | None, environ: Mapping[str, str], *, file: str = "bulle.toml"
) -> Settings:
    """Each setting's value from ``environ``, then ``file_table`` (``[settings]``), then its default.

    Raises :class:`~bulle.errors.ValidationError` listing every problem: an unknown key or
    variable, a value of the wrong type or out of bounds, a default timeout above the ceiling.
    """
    problems: list[Problem] = []
    from_file: dict[str, Any] = {}
    if file_table is not None and not isinstance(file_table, Mapping):
        problems.append(
            Problem(
                "[settings] must be a table of name = value", Where(file=file, field="settings")
            )
        )
        file_table = {}
    for key, value in flatten(file_table or {}):
        where = Where(file=file, field=f"settings.{key}")
        setting = BY_NAME.get(key)
        if setting is None:
            problems.append(
                Problem(f"unknown setting {key!r} (known: {', '.join(BY_NAME)})", where)
            )
        elif key in from_file:
            problems.append(Problem(f"setting {key!r} is given twice", where))
        else:
            try:
                from_file[key] = setting.check(value)
            except ValueError as exc:
                problems.append(Problem(f"{key} {exc}", where))
    from_env: dict[str, tuple[str, Any]] = {}
    for var in sorted(v for v in environ if v.startswith(ENV_PREFIX)):
        setting = BY_ENV.get(var)
        where = Where(field=var)
        if setting is None:
            problems.append(
                Problem(f"unknown setting variable {var} (known: {', '.join(BY_ENV)})", where)
            )
            continue
        try:
            from_env[setting.name] = (var, setting.parse(environ[var]))
        except ValueError as exc:
            problems.append(Problem(f"{var} ({setting.name}) {exc}", where))
    resolved: dict[str, Resolved] = {}
    for s in SETTINGS:
        if s.name in from_env:
            resolved[s.name] = Resolved(s, from_env[s.name][1], from_env[s.name][0])
        elif s.name in from_file:
            resolved[s.name] = Resolved(s, from_file[s.name], "bulle.toml")
        else:
            resolved[s.name] = Resolved(s, s.default, "default")
    ceiling, timeout = resolved["query.timeout_max_s"], resolved["query.timeout_default_s"]
    if timeout.source == "default" and timeout.value > ceiling.value:  # type: ignore[operator]
        resolved[timeout.setting.name] = Resolved(
            timeout.setting, ceiling.value, "default"
        )  # capped
    if not problems:
        problems.extend(_cross_checks(resolved))
    if problems:
        raise ValidationError.from_problems("invalid settings", problems)
    return Settings(resolved)


def _cross_checks(resolved: Mapping[str, Resolved]) -> list[Problem]:
    """Rules between settings (each names the sources, so the custodian knows what to change)."""
    default_t, max_t = resolved["query.timeout_default_s"], resolved["query.timeout_max_s"]
    if default_t.value > max_t.value:  # type: ignore[operator]
        return [
            Problem(
                f"query.timeout_default_s ({default_t.value:g} s, from {default_t.source}) is "
                f"above query.timeout_max_s ({max_t.value:g} s, from {max_t.source})",
                Where(field="query.timeout_default_s"),
            )
        ]
    return []


def markdown() -> str:
    """The generated reference page ``docs/settings.md``."""
    lines = [
        "# Settings",
        "",
        "<!-- Generated by `python -m bulle.settings --markdown > docs/settings.md`: do not edit;",
        "     change the table in src/bulle/settings.py. A test fails when this page differs. -->",
        "",
        "Every threshold a custodian may tune for a workspace. A value comes from, in order: the",
        f"environment (`{ENV_PREFIX}<NAME>`, the name upper-cased with dots as underscores), the",
        "`[settings]` table of the workspace's `bulle.toml`, then the default below. Every value is",
        "checked when the workspace opens and all problems are reported at once (exit code 2); an",
        "unknown key or variable is refused. `bulle -w DIR settings list` shows each value and where",
        "it came from; `bulle -w DIR settings set NAME VALUE` (custodian only) rewrites `bulle.toml`",
        "and records a `settings.change` audit event with the old and new value.",
        "",
        "```toml",
        "[settings]",
        '"query.timeout_max_s" = 600',
        "```",
        "",
        "Properties (each guarded by a test in `tests/*/settings/` or `tests/*/governance/test_settings_*`):",
        "",
        "* Only the role a setting declares (the custodian, for every setting today) changes it",
        "  with `settings set`; anyone else gets exit code 5 and the file is left as it was.",
        "* Every change is one `settings.change` audit event with the name, the old and the new",
        "  value (settings are parameters, never personal data).",
        "* A value outside its declaration is refused wherever it comes from, so no setting can",
        "  switch a guard off (an infinite or out-of-range timeout ceiling, a zero row cap); an",
        "  unknown key or variable is refused rather than ignored.",
        "* `bulle.toml` is rewritten atomically and only the setting's line changes; a change that",
        "  would leave a set of settings the next opening refuses is not written.",
        "* The environment belongs to whoever runs Bulle on the workspace (the service account, which",
        "  only the custodian controls): an override is shown by `settings list` as its source but is",
        "  not an audited change.",
        "",
        "| Setting | Type | Default | Allowed | Environment variable | Changed by |",
        "|---|---|---|---|---|---|",
    ]
    for s in SETTINGS:
        unit = f" {s.unit}" if s.unit else ""
        lines.append(
            f"| `{s.name}` | {s.type.__name__} | `{s.default!r}`{unit} | {s.allowed()} | "
            f"`{s.env_var}` | {s.changed_by.value} |"
        )
    lines.append("")
    for s in SETTINGS:
        lines += [f"## `{s.name}`", "", s.description, ""]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if argv != ["--markdown"]:
        print("usage: python -m bulle.settings --markdown", file=sys.stderr)
        return 2
    sys.stdout.write(markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

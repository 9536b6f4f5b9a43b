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


_ROLE = "(custodian|analyst|checker|dpo)"
_ROLE_LIST = rf"\s*({_ROLE}(\s*,\s*{_ROLE})*)?\s*"
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
        "auth.password_min_length",
        int,
        12,
        unit="characters",
        minimum=8,
        maximum=1024,
        description="Shortest password an account may be given (by `bulle user add`, `user "
        "password` or a change of one's own password).",
    ),
    Setting(
        "auth.lockout_failures",
        int,
        5,
        unit="attempts",
        minimum=1,
        maximum=1000,
        description="Failed sign-ins on one account name, within auth.lockout_window_s and since "
        "its last successful sign-in, that lock the name for auth.lockout_s (an `auth.lockout` "
        "audit event). Unknown names are counted alike, so a lockout does not tell which names "
        "are accounts.",
    ),
    Setting(
        "auth.lockout_window_s",
        float,
        900.0,
        unit="s",
        minimum=1,
        maximum=7 * 86_400,
        description="Window over which failed sign-ins are counted, per account name and per "
        "address.",
    ),
    Setting(
        "auth.lockout_s",
        float,
        900.0,
        unit="s",
        minimum=1,
        maximum=7 * 86_400,
        description="How long a locked account name refuses every sign-in, even with the right "
        "password.",
    ),
    Setting(
        "auth.address_failures",
        int,
        30,
        unit="attempts",
        minimum=1,
        maximum=100_000,
        description="Failed sign-ins from one network address within auth.lockout_window_s after "
        "which that address is refused (whatever name it tries) until older failures leave the "
        "window.",
    ),
    Setting(
        "auth.session_idle_s",
        float,
        1800.0,
        unit="s",
        minimum=1,
        maximum=7 * 86_400,
        description="A browser session unused for this long has expired.",
    ),
    Setting(
        "auth.session_max_s",
        float,
        43_200.0,
        unit="s",
        minimum=1,
        maximum=30 * 86_400,
        description="A browser session ends this long after its sign-in, however active.",
    ),
    Setting(
        "auth.token_default_days",
        int,
        90,
        unit="days",
        minimum=1,
        maximum=3650,
        description="Lifetime of an API token created without --expires-days (lowered to "
        "auth.token_max_days when above it).",
    ),
    Setting(
        "auth.token_max_days",
        int,
        365,
        unit="days",
        minimum=1,
        maximum=3650,
        description="Longest lifetime an API token may be given.",
    ),
    Setting(
        "auth.totp_roles",
        str,
        "custodian",
        pattern=re.compile(_ROLE_LIST),
        pattern_text="a comma-separated list of custodian, analyst, checker, dpo (or empty: none)",
        description="Roles whose accounts must sign in with a one-time code (TOTP, RFC 6238) as "
        "well as a password; an account that enrolled one always needs it.",
    ),
    Setting(
        "auth.totp_window",
        int,
        1,
        unit="steps",
        minimum=0,
        maximum=10,
        description="30-second steps either side of the server's clock in which a one-time code "
        "is accepted (clock drift between the phone and the server).",
    ),
    Setting(
        "server.upload_max_bytes",
        int,
        2 * 1024**3,
        unit="bytes",
        minimum=1,
        description="Largest file `bulle serve` accepts in one upload (an import); a longer "
        "upload is cut off and refused with HTTP 413, leaving nothing behind.",
    ),
    Setting(
        "server.request_max_bytes",
        int,
        1024**2,
        unit="bytes",
        minimum=1024,
        maximum=1024**3,
        description="Largest request body other than an upload (JSON: consents, projects, SQL) "
        "that `bulle serve` reads; a larger one is refused with HTTP 413.",
    ),
    Setting(
        "server.request_timeout_s",
        float,
        120.0,
        unit="s",
        minimum=0,
        exclusive_minimum=True,
        maximum=3600,
        description="Seconds a request may take before `bulle serve` answers 503; long "
        "operations (import, anonymize, erasure, export) run as background tasks instead.",
    ),
    Setting(
        "server.events_max_seconds",
        int,
        300,
        unit="seconds",
        minimum=1,
        maximum=3600,
        description="How long `bulle serve` keeps one server-sent events stream (a task's or a "
        "job's progress) open; then it ends with a `retry` hint and the browser reconnects, so "
        "no stream holds the server forever.",
    ),
    Setting(
        "server.task_workers",
        int,
        2,
        unit="threads",
        minimum=1,
        maximum=64,
        description="Background tasks (imports, anonymizations, erasures, exports) that "
        "`bulle serve` runs at once; the others wait in the queue.",
    ),
    Setting(
        "register.controller",
        str,
        "(not named yet: set register.controller)",
        description="The controller named at the head of the record of processing activities "
        "(GDPR art. 30(1)(a)): the body's name, address and its DPO's contact.",
    ),
    Setting(
        "web.page_rows",
        int,
        50,
        unit="rows",
        minimum=1,
        maximum=1000,
        description="Rows per page in the web UI's paged tables (the audit log, a project's "
        "preview); a page never shows more.",
    ),
    Setting(
        "sandbox.user",
        str,
        "bulle-job",
        pattern=re.compile(r"[a-z_][a-z0-9_-]{0,31}"),
        pattern_text="a system user name",
        description="The unprivileged system user jobs run as when Bulle runs as root "
        "(created by `make sandbox`); never root.",
    ),
    Setting(
        "sandbox.python",
        str,
        "/opt/bulle/job-env/bin/python",
        pattern=re.compile(r"/[^\x00]*"),
        pattern_text="an absolute path",
        description="The Python interpreter of the fixed, read-only job environment (pandas, "
        "numpy, polars, pyarrow, duckdb, statsmodels, scikit-learn, matplotlib), built by "
        "`make sandbox`.",
    ),
    Setting(
        "sandbox.root",
        str,
        "",
        pattern=re.compile(r"(/[^\x00]*)?"),
        pattern_text="an absolute path, or empty for the system's temporary folder",
        description="Where jobs' folders are made (the data view, the code, the outputs); "
        "empty: a folder of Bulle's own in the system's temporary folder.",
    ),
    Setting(
        "sandbox.cpu_seconds",
        int,
        600,
        unit="s",
        minimum=1,
        maximum=7 * 86_400,
        description="CPU time a job may use (all its processes).",
    ),
    Setting(
        "sandbox.wall_seconds",
        float,
        900.0,
        unit="s",
        minimum=0,
        exclusive_minimum=True,
        maximum=7 * 86_400,
        description="Wall-clock time a job may run before it is killed.",
    ),
    Setting(
        "sandbox.memory",
        str,
        "4GB",
        **_SIZE,  # type: ignore[arg-type]
        description="Address space a job's process may map (the limit a Python job meets as a "
        "MemoryError).",
    ),
    Setting(
        "sandbox.processes",
        int,
        128,
        unit="processes",
        minimum=4,
        maximum=100_000,
        description="Processes and threads the job user may have at once (stops fork bombs).",
    ),
    Setting(
        "sandbox.file_size",
        str,
        "1GB",
        **_SIZE,  # type: ignore[arg-type]
        description="Largest file a job may write.",
    ),
    Setting(
        "sandbox.tmp_size",
        str,
        "512MB",
        **_SIZE,  # type: ignore[arg-type]
        description="Size of the job's private /tmp (memory-backed).",
    ),
    Setting(
        "sandbox.output_size",
        str,
        "256MB",
        **_SIZE,  # type: ignore[arg-type]
        description="Total size of a job's outputs folder; past it the job is stopped.",
    ),
    Setting(
        "sandbox.output_files",
        int,
        1000,
        unit="files",
        minimum=1,
        maximum=1_000_000,
        description="Files a job's outputs folder may hold; past it the job is stopped.",
    ),
    Setting(
        "disclosure.threshold",
        int,
        10,
        unit="records",
        minimum=1,
        maximum=1_000_000,
        description="Disclosure checks: minimum records behind a published cell (rule "
        "`threshold`); also the records a minimum or maximum must share (`min-max`), the records "
        "each side of a quantile (`quantile`) and the differencing window (`differencing`). "
        "SACRO's default.",
    ),
    Setting(
        "disclosure.zeros_disclosive",
        int,
        1,
        minimum=0,
        maximum=1,
        description="Disclosure checks: 1 if a cell counting zero records is disclosive (rule "
        "`zeros`), 0 if not. SACRO's default.",
    ),
    Setting(
        "disclosure.check_missing",
        int,
        0,
        minimum=0,
        maximum=1,
        description="Disclosure checks: 1 to send cells whose statistic left out missing values "
        "to a reviewer (rule `missing`), 0 not to check. ACRO's default.",
    ),
    Setting(
        "disclosure.nk_n",
        int,
        2,
        unit="contributions",
        minimum=1,
        maximum=100,
        description="Disclosure checks: n of the (n, k) dominance rule (`nk-rule`), the number "
        "of largest contributions compared with a cell's total. SACRO's default.",
    ),
    Setting(
        "disclosure.nk_k",
        float,
        0.9,
        minimum=0,
        exclusive_minimum=True,
        maximum=1,
        description="Disclosure checks: k of the (n, k) dominance rule (`nk-rule`): a cell fails "
        "when its n largest contributions make k or more of its total. SACRO's default.",
    ),
    Setting(
        "disclosure.p_ratio",
        float,
        0.1,
        minimum=0,
        maximum=1,
        description="Disclosure checks: p of the p-ratio rule (`p-ratio`): a cell fails when its "
        "total less its two largest contributions is under p times the largest. SACRO's default.",
    ),
    Setting(
        "disclosure.dof",
        int,
        10,
        minimum=0,
        maximum=1_000_000,
        description="Disclosure checks: minimum residual degrees of freedom of a model or of a "
        "standard deviation's cell (rule `dof`). SACRO's default.",
    ),
    Setting(
        "disclosure.round_base",
        int,
        5,
        minimum=2,
        maximum=1000,
        description="Disclosure mitigations: the base counts are rounded to (`round`, and "
        "`opensafely` after redaction). OpenSAFELY's default.",
    ),
    Setting(
        "disclosure.redact_max",
        int,
        7,
        unit="records",
        minimum=0,
        maximum=1_000_000,
        description="Disclosure mitigations: `opensafely` shows counts up to this as 0 before "
        "rounding (and any rounded count still under `disclosure.threshold` as 0). "
        "OpenSAFELY's default.",
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
        description="Highest singling-out risk (the report's estimate, worst of univariate and "
        "multivariate) with which a custodian may mark a synthetic version as not personal "
        "data; the upper end of its interval must also pass `synthesis.max_risk_upper_bound`.",
    ),
    Setting(
        "synthesis.max_linkability_risk",
        float,
        0.09,
        minimum=0,
        maximum=1,
        description="Highest linkability risk (the report's estimate) with which a custodian may "
        "mark a synthetic version as not personal data; the upper end of its interval must also "
        "pass `synthesis.max_risk_upper_bound`.",
    ),
    Setting(
        "synthesis.max_inference_risk",
        float,
        0.2,
        minimum=0,
        maximum=1,
        description="Highest attribute-inference risk (the report's estimate for the worst "
        "sensitive column) with which a custodian may mark a synthetic version as not personal "
        "data; the upper end of its interval must also pass `synthesis.max_risk_upper_bound`.",
    ),
    Setting(
        "synthesis.max_risk_upper_bound",
        float,
        0.35,
        minimum=0,
        maximum=1,
        description="Highest upper end of the 95 % confidence interval of each risk (singling "
        "out, linkability, inference) with which a custodian may mark a synthetic version as "
        "not personal data: the estimate must be precise enough to rule out a high risk.",
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
    Setting(
        "model.audit.min_shadows",
        int,
        16,
        unit="models",
        minimum=16,
        maximum=1024,
        description="Shadow models a membership audit must use before its figures can release "
        "a model. Offline LiRA estimates each record's out-distribution from the half of the "
        "shadows that did not see it: 16 gives 8 per record. The attack gets stronger with more "
        "shadows, so too few would understate the leak and let a leaking model through.",
    ),
    Setting(
        "model.audit.max_tpr_at_0_1pct_lower",
        float,
        0.01,
        minimum=0,
        maximum=1,
        description="The release gate blocks a model when the lower bound of the 95 % "
        "Clopper-Pearson interval of the attack's TPR at 0.1 % FPR is above this. At 0.1 % FPR "
        "a harmless model's TPR is 0.1 %; a lower bound above 1 % means the attack is, with 95 % "
        "confidence, at least ten times better than guessing on the people it is most sure about. "
        "The lower bound (not the point) is used because on adult only about 15 non-members set "
        "the threshold, and a gate on that noise would block at random.",
    ),
    Setting(
        "model.audit.max_tpr_at_1pct",
        float,
        0.05,
        minimum=0,
        maximum=1,
        description="The release gate blocks a model when the attack's TPR at 1 % FPR is above "
        "this (five times chance). At 1 % FPR about 150 non-members set the threshold on adult, "
        "enough for the point estimate to be stable.",
    ),
    Setting(
        "model.audit.reference_ratio_warning",
        float,
        2.0,
        minimum=1,
        maximum=1000,
        description="The audit warns (does not block) when the model's TPR at 0.1 % or 1 % FPR "
        "is more than this many times the regularised reference pipeline's on the same data: "
        "the model leaks more than it needs to. Not a block, because at 0.1 % FPR both figures "
        "rest on a handful of records.",
    ),
    Setting(
        "model.shards",
        int,
        16,
        unit="shards",
        minimum=1,
        maximum=1024,
        description="Shards of a model trained without `--shards`: forgetting a person retrains "
        "one shard, about 1/shards of the data (16: AUC within 0.005 of one model on adult).",
    ),
    Setting(
        "model.held_out_share",
        float,
        0.2,
        minimum=0,
        exclusive_minimum=True,
        maximum=0.5,
        description="Share of the people a model keeps out of training to measure its AUC "
        "(chosen by a seeded keyed hash of each person, recorded in the manifest).",
    ),
    Setting(
        "model.full_retrain_share",
        float,
        0.5,
        minimum=0,
        exclusive_minimum=True,
        maximum=1,
        description="A batch of forget requests touching more than this share of a model's "
        "shards retrains every shard (and says so): the batch costs about a full training anyway.",
    ),
    Setting(
        "model.forget_on_withdrawal",
        int,
        1,
        minimum=0,
        maximum=1,
        description="1: a withdrawal or objection for a model's purpose forgets the person at "
        "once; 0: the model stops being served until `bulle model forget` runs (to batch requests).",
    ),
    Setting(
        "alerts.smtp_host",
        str,
        "",
        pattern=re.compile(r"[A-Za-z0-9.:-]{0,253}"),
        pattern_text="a host name or address (empty: no e-mail alerts)",
        description="SMTP server that alerts to the DPO and the custodian go through.",
    ),
    Setting(
        "alerts.smtp_port",
        int,
        25,
        minimum=1,
        maximum=65535,
        description="Port of alerts.smtp_host.",
    ),
    Setting(
        "alerts.from",
        str,
        "bulle@localhost",
        pattern=re.compile(r"[^@\s,]+@[^@\s,]+"),
        pattern_text="an e-mail address",
        description="Sender address of e-mail alerts.",
    ),
    Setting(
        "alerts.to",
        str,
        "",
        pattern=re.compile(r"([^@\s,]+@[^@\s,]+(,[^@\s,]+@[^@\s,]+)*)?"),
        pattern_text="comma-separated e-mail addresses (the DPO's and the custodian's)",
        description="Who receives e-mail alerts.",
    ),
    Setting(
        "alerts.webhook_url",
        str,
        "",
        pattern=re.compile(r"(https?://[^\s]+)?"),
        pattern_text="an http(s) URL on the local network (empty: no webhook)",
        description="Webhook that receives alerts as JSON; its host must resolve to loopback, "
        "private or link-local addresses only (a public address is refused when sending).",
    ),
    Setting(
        "alerts.timeout_s",
        float,
        10.0,
        unit="s",
        minimum=0.1,
        maximum=120,
        description="Time allowed to deliver one alert on one channel.",
    ),
    Setting(
        "alerts.lockout_storm",
        int,
        5,
        minimum=1,
        maximum=100_000,
        description="Account lockouts within alerts.lockout_storm_window_s that raise a "
        "lockout-storm alert (a password-guessing campaign).",
    ),
    Setting(
        "alerts.lockout_storm_window_s",
        float,
        3600.0,
        unit="s",
        minimum=1,
        maximum=7 * 86_400,
        description="Window over which lockouts are counted for alerts.lockout_storm.",
    ),
    Setting(
        "alerts.review_age_h",
        float,
        72.0,
        unit="h",
        minimum=0,
        maximum=8760,
        description="Outputs waiting for a checker longer than this are reported by "
        "`bulle alerts check`.",
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

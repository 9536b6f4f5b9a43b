"""The limits an analyst's SQL runs under, read from the settings table.

The values are settings (:mod:`bulle.settings`, ``docs/settings.md``): a custodian sets them per
workspace in ``bulle.toml`` or the environment. The names below are their declared defaults, for
code with no workspace at hand; a query in a workspace runs under the workspace's values
(:meth:`bulle.storage.sql_lockdown.Limits.from_settings`):

| setting                     | name here                 | default   |
|-----------------------------|---------------------------|-----------|
| ``query.timeout_default_s`` | ``DEFAULT_TIMEOUT_S``     | 60 s      |
| ``query.timeout_max_s``     | ``MAX_TIMEOUT_S``         | 3600 s    |
| ``query.result_max_bytes``  | ``DEFAULT_RESULT_BYTES``  | 256 MiB   |
| ``query.result_max_rows``   | ``DEFAULT_MAX_ROWS``      | 1,000,000 |
| ``query.memory_limit``      | ``DEFAULT_MEMORY_LIMIT``  | 1GB       |

The timeout an analyst asks for is checked against the ceiling: a non-finite, non-positive or
larger value is refused (``inf`` would otherwise disable the watchdog). The result budget counts
the Arrow bytes of every batch handed back, so a result is refused once it would grow past the
budget instead of after it has filled the memory.
"""

from __future__ import annotations

import math

from bulle.errors import InputError, Where
from bulle.settings import default

DEFAULT_TIMEOUT_S: float = default("query.timeout_default_s")
MAX_TIMEOUT_S: float = default("query.timeout_max_s")
DEFAULT_RESULT_BYTES: int = default("query.result_max_bytes")
DEFAULT_MAX_ROWS: int = default("query.result_max_rows")
DEFAULT_MEMORY_LIMIT: str = default("query.memory_limit")


def check_timeout(value: object, field: str = "timeout_s", ceiling: float = MAX_TIMEOUT_S) -> float:
    """``value`` as a timeout in seconds, or an ``InputError`` naming ``field`` and the ceiling
    (``query.timeout_max_s`` of the workspace)."""
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = math.nan
    if isinstance(value, bool) or not math.isfinite(seconds) or seconds <= 0 or seconds > ceiling:
        raise InputError(
            f"{field} must be a number of seconds greater than 0 and at most "
            f"{ceiling:g} (the ceiling, setting query.timeout_max_s), got {value!r}",
            Where(field=field),
        )
    return seconds


def check_budget(value: object, field: str = "max_result_bytes") -> int:
    """A positive whole number of bytes."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InputError(
            f"{field} must be a positive whole number of bytes, got {value!r}", Where(field=field)
        )
    return value

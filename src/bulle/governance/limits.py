"""The limits an analyst's SQL runs under, in one place.

Each constant is a future entry of the workspace settings (a custodian will set them per
workspace); until then they are fixed here and nothing else in Bulle repeats their values:

| future setting              | constant                  | value     |
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

DEFAULT_TIMEOUT_S = 60.0
MAX_TIMEOUT_S = 3600.0
DEFAULT_RESULT_BYTES = 256 * 1024 * 1024
DEFAULT_MAX_ROWS = 1_000_000
DEFAULT_MEMORY_LIMIT = "1GB"


def check_timeout(value: object, field: str = "timeout_s") -> float:
    """``value`` as a timeout in seconds, or an ``InputError`` naming ``field`` and the ceiling."""
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = math.nan
    if isinstance(value, bool) or not math.isfinite(seconds) or seconds <= 0 or seconds > MAX_TIMEOUT_S:
        raise InputError(f"{field} must be a number of seconds greater than 0 and at most "
                         f"{MAX_TIMEOUT_S:g} (the ceiling), got {value!r}", Where(field=field))
    return seconds


def check_budget(value: object, field: str = "max_result_bytes") -> int:
    """A positive whole number of bytes."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InputError(f"{field} must be a positive whole number of bytes, got {value!r}", Where(field=field))
    return value

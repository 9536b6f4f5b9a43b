"""The limits a job runs under, read from the settings table (``sandbox.*``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_UNITS = {"": 1, "K": 1000, "M": 1000**2, "G": 1000**3, "T": 1000**4}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(i?)B\s*", re.I)


def parse_size(text: str) -> int:
    """``'512MB'`` → 512,000,000 bytes, ``'2GiB'`` → 2 * 1024**3 (the settings' size form)."""
    match = _SIZE.fullmatch(text)
    if match is None:
        raise ValueError(f"not a size: {text!r}")
    number, unit, binary = match.groups()
    unit = unit.upper()
    factor = 1024 ** "KMGT".index(unit) * 1024 if binary and unit else _UNITS[unit]
    return int(float(number) * factor)


@dataclass(frozen=True)
class SandboxLimits:
    """What one job may use. Every field is enforced by the kernel or by the runner."""

    cpu_seconds: int = 600
    wall_seconds: float = 900.0
    memory_bytes: int = 2 * 1000**3
    processes: int = 64
    file_size_bytes: int = 1000**3
    open_files: int = 256
    tmp_bytes: int = 512 * 1000**2
    output_bytes: int = 256 * 1000**2
    output_files: int = 1000

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> SandboxLimits:
        return cls(
            cpu_seconds=int(settings["sandbox.cpu_seconds"]),
            wall_seconds=float(settings["sandbox.wall_seconds"]),
            memory_bytes=parse_size(settings["sandbox.memory"]),
            processes=int(settings["sandbox.processes"]),
            file_size_bytes=parse_size(settings["sandbox.file_size"]),
            open_files=256,
            tmp_bytes=parse_size(settings["sandbox.tmp_size"]),
            output_bytes=parse_size(settings["sandbox.output_size"]),
            output_files=int(settings["sandbox.output_files"]),
        )

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

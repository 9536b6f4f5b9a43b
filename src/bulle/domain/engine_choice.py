"""Which engine a workspace runs its rows on, chosen when it is created (``bulle init --engine``).

The choice is recorded in ``bulle.toml`` (``[workspace] engine`` and, for Spark, a ``[spark]``
section with the master); the catalog, the keys and the audit log stay on the Bulle server
whatever the engine. An exported workspace never carries it back in: the importer chooses, since a
hostile export could otherwise point Bulle at any cluster.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bulle.errors import InputError, Where

ENGINES = ("duckdb", "spark")
DEFAULT_MASTER = "local[*]"  # every core of the Bulle server
# Spark's own master spellings: local, local[N], local[*], local[N,F], spark://, yarn, k8s://,
# mesos:// and the like: a scheme and a host, never a quote or a newline (bulle.toml holds it).
_MASTER = re.compile(
    r"(local(\[(\*|[1-9][0-9]{0,3})(,[0-9]{1,3})?\])?|yarn|[a-z0-9+]+://[^\s\"'\\]+)"
)


@dataclass(frozen=True)
class EngineChoice:
    name: str = "duckdb"
    spark_master: str | None = None

    def __post_init__(self) -> None:
        if self.name not in ENGINES:
            raise InputError(
                f"unknown engine {self.name!r}: choose {' or '.join(ENGINES)}",
                Where(field="--engine"),
            )
        if self.spark_master is not None:
            if self.name != "spark":
                raise InputError(
                    "--spark-master needs --engine spark", Where(field="--spark-master")
                )
            if not _MASTER.fullmatch(self.spark_master):
                raise InputError(
                    f"not a Spark master: {self.spark_master!r} (local[2], spark://HOST:7077, "
                    "yarn, k8s://https://HOST)",
                    Where(field="--spark-master"),
                )

    def config_sections(self) -> dict[str, dict[str, Any]]:
        """The sections of ``bulle.toml`` beside ``[workspace]`` this choice writes."""
        if self.name != "spark":
            return {}
        return {"spark": {"master": self.spark_master or DEFAULT_MASTER}}

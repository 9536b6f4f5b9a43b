"""Writing the released table through the engine: generalized values, suppressed records handled.

The release keeps every column and the original row order. Each quasi-identifier is replaced by
its value at the chosen level; records of a suppressed class have all their quasi-identifiers
replaced by ``*`` (ARX's output) or are removed. The engine does the work
(``Engine.write_release``) over the source (the data, or the research subset for δ-presence,
whose records are the ones ARX releases); the file is written next to its destination and renamed
into place.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bulle.anonymization.frequency import is_csv
from bulle.storage.engine import RELEASE, SUPPRESSED, Release

if TYPE_CHECKING:
    from bulle.anonymization.service import AnonymizationResult
    from bulle.storage.engine import Engine

SUPPRESSED_VALUE = SUPPRESSED


def write_release(
    engine: Engine,
    result: AnonymizationResult,
    source: Path,
    dest: Path,
    suppressed: str = "star",
    *,
    keep_formulas: bool = False,
) -> int:
    """Write the release of ``source`` to ``dest`` (.csv or .parquet); return the rows written.

    In a CSV, text cells a spreadsheet would run as formulas are neutralised unless
    ``keep_formulas`` (``bulle.formulas``)."""
    from bulle.errors import InputError

    if RELEASE not in engine.capabilities:
        raise InputError(f"the {engine.name} engine cannot write releases")
    maps = result.generalization_maps()
    qis = list(result.encoded.qis)
    delimiter = ";"
    if is_csv(source) and Path(dest).suffix.lower() != ".parquet":
        from bulle.storage import csv_checks
        from bulle.storage.engine import CsvOptions

        delimiter = csv_checks.sniff(source, CsvOptions(all_varchar=True)).delimiter
    engine.write_release(
        Path(source),
        Path(dest),
        Release(
            maps={q: maps[q] for q in qis},
            suppressed_classes=frozenset(tuple(r) for r in result.suppressed_class_values()),
            remove_suppressed=suppressed == "remove",
            keep_formulas=keep_formulas,
            delimiter=delimiter,
        ),
    )
    return result.records - (result.suppressed_records if suppressed == "remove" else 0)

"""The anonymization use case shared by the CLI and the workspace: one call, one result.

``anonymize_table(engine, data, spec)`` builds the base frequency table through the engine (one
pass over the rows), searches the optimal transformation on it, and returns an
:class:`AnonymizationResult` that can write the released table (generalized values; suppressed
records starred or removed) through the engine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulle.anonymization.spec import AnonymizationSpec
from bulle.errors import InputError, Where

if TYPE_CHECKING:
    import pyarrow as pa

    from bulle.anonymization.encoding import Encoded
    from bulle.anonymization.evaluate import NodeResult
    from bulle.storage.engine import Engine


@dataclass
class AnonymizationResult:
    """The optimum found (or the statement that none exists) and what is needed to release it."""

    spec: AnonymizationSpec
    anonymous: bool
    transformation: dict[str, int] | None
    information_loss: float | list[float] | None
    suppressed_records: int
    equivalence_classes: int
    suppressed_classes: int
    records: int
    suppression_limit_records: int
    evaluations: int
    lattice_size: int
    seconds: float
    warnings: list[str] = field(default_factory=list)
    encoded: Encoded | None = field(default=None, repr=False)
    node_result: NodeResult | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "anonymous": self.anonymous,
            "transformation": self.transformation,
            "information_loss": self.information_loss,
            "metric": self.spec.metric,
            "aggregate": self.aggregate_name,
            "suppressed_records": self.suppressed_records,
            "equivalence_classes": self.equivalence_classes,
            "suppressed_classes": self.suppressed_classes,
            "records": self.records,
            "suppression_limit_records": self.suppression_limit_records,
            "transformations": self.lattice_size,
            "transformations_checked": self.evaluations,
            "warnings": self.warnings,
            "seconds": round(self.seconds, 4),
        }

    @property
    def aggregate_name(self) -> str | None:
        from bulle.anonymization.metrics import METRICS

        cls = METRICS[self.spec.metric]
        return (self.spec.aggregate or cls.default_aggregate) if cls.multi_dimensional else None

    def generalization_maps(self) -> dict[str, dict[str, str]]:
        """Per quasi-identifier: data value -> released value at the chosen level."""
        if not self.anonymous or self.transformation is None:
            raise InputError("no anonymous transformation exists: nothing can be released")
        enc = self.encoded
        maps = {}
        for d, q in enumerate(enc.qis):
            level = self.transformation[q]
            maps[q] = {v: enc.hierarchies[d].generalize(v, level) for v in enc.leaf_values[d]}
        return maps

    def suppressed_class_values(self) -> list[tuple[str, ...]]:
        """Generalized quasi-identifier tuples of the suppressed classes."""
        res = self.node_result
        if res is None or res.violating is None or not res.violating.any():
            return []
        enc = self.encoded
        codes = res.grouping.codes[res.violating]
        return [
            tuple(enc.level_values[d][res.node[d]][int(c)] for d, c in enumerate(row))
            for row in codes
        ]

    def write(
        self,
        engine: Engine,
        data: Path,
        dest: Path,
        suppressed: str | None = None,
        *,
        keep_formulas: bool = False,
    ) -> int:
        """Write the released table (CSV or Parquet by suffix); returns the number of rows."""
        from bulle.anonymization.release import write_release

        source = self.spec.research_subset if self.spec.research_subset is not None else data
        return write_release(
            engine,
            self,
            Path(source),
            Path(dest),
            suppressed or self.spec.suppressed_output,
            keep_formulas=keep_formulas,
        )


def prepare(
    freq: pa.Table,
    spec: AnonymizationSpec,
    data_file: str | None = None,
    value_orders: dict[str, list[str]] | None = None,
):
    """Encode the base table and build the evaluator, metric and aggregate for ``spec``."""
    import math

    from bulle.anonymization.encoding import encode
    from bulle.anonymization.evaluate import Evaluator
    from bulle.anonymization.metrics import METRICS
    from bulle.anonymization.metrics.aggregate import Aggregate, normalized_weights
    from bulle.anonymization.models import MODELS

    enc = encode(freq, spec, data_file, value_orders)
    if enc.n_records == 0:
        raise InputError(
            "no records to anonymize"
            + (" in the research subset" if enc.pcount is not None else ""),
            Where(file=data_file),
        )
    models = [MODELS[m.kind](m, enc) for m in spec.models]
    models.sort(key=lambda m: not m.first)  # ARX checks δ-presence first
    limit = math.floor(spec.suppression_limit * enc.n_records)
    evaluator = Evaluator(enc, models, limit)
    metric_cls = METRICS[spec.metric]
    metric = metric_cls(enc, spec.gs_factor)
    aggregate = None
    if metric_cls.multi_dimensional:
        aggregate = Aggregate(
            spec.aggregate or metric_cls.default_aggregate,
            normalized_weights(enc.qis, spec.weights),
        )
    return enc, evaluator, metric, aggregate


def anonymize_frequencies(
    freq: pa.Table,
    spec: AnonymizationSpec,
    data_file: str | None = None,
    started: float | None = None,
    value_orders: dict[str, list[str]] | None = None,
) -> AnonymizationResult:
    """Search the optimum on an already built base frequency table.

    Where ARX's verdicts depend on its own search path (Grassberger's entropy l-diversity with
    suppression, see arx/replay.py) and the table carries each combination's first row, ARX's
    search is replayed so that the optimum, its loss and the release are ARX's.
    """
    from bulle.anonymization.arx.replay import FlashReplay, replays
    from bulle.anonymization.search import Search

    t0 = started if started is not None else time.perf_counter()
    enc, evaluator, metric, aggregate = prepare(freq, spec, data_file, value_orders)
    if replays(evaluator, metric):
        found = FlashReplay(evaluator, metric, aggregate).run()
    else:
        found = Search(evaluator, metric, aggregate).run()
    warnings = [w for h in spec.hierarchies.values() for w in h.warnings]
    common = dict(
        spec=spec,
        records=enc.n_records,
        suppression_limit_records=evaluator.limit,
        evaluations=found.evaluations,
        lattice_size=found.lattice_size,
        warnings=warnings,
        encoded=enc,
    )
    if found.node is None:
        return AnonymizationResult(
            anonymous=False,
            transformation=None,
            information_loss=None,
            suppressed_records=0,
            equivalence_classes=0,
            suppressed_classes=0,
            seconds=time.perf_counter() - t0,
            **common,
        )
    res = found.result
    loss = aggregate.report(found.score) if aggregate is not None else float(found.score[0])
    return AnonymizationResult(
        anonymous=True,
        transformation={q: int(v) for q, v in zip(enc.qis, found.node, strict=True)},
        information_loss=loss,
        suppressed_records=res.suppressed,
        equivalence_classes=res.released_classes,
        suppressed_classes=res.suppressed_classes,
        seconds=time.perf_counter() - t0,
        node_result=res,
        **common,
    )


def anonymize_table(
    engine: Engine, data: Path, spec: AnonymizationSpec, name: str | None = None
) -> AnonymizationResult:
    """Anonymize a table (Parquet, or CSV read as text) optimally under ``spec``.

    ``name`` is how problems refer to the data (a dataset version rather than a temporary file).
    """
    from bulle.anonymization.frequency import base_frequencies

    t0 = time.perf_counter()
    columns = [*spec.quasi_identifiers, *spec.sensitive]
    freq = base_frequencies(
        engine, Path(data), columns, spec.research_subset, first_row=needs_first_row(spec)
    )
    return anonymize_frequencies(
        freq,
        spec,
        name or str(data),
        started=t0,
        value_orders=value_orders_for(engine, Path(data), spec),
    )


def needs_first_row(spec: AnonymizationSpec) -> bool:
    """Whether the search may replay ARX's (arx/replay.py), which needs each combination's first
    row: a Grassberger entropy l-diversity model with suppression and no research subset."""
    return (
        spec.suppression_limit > 0
        and spec.research_subset is None
        and any(
            m.kind == "entropy-l-diversity"
            and str(m.params.get("estimator", "")).lower() == "grassberger"
            for m in spec.models
        )
    )


def value_orders_for(
    engine: Engine, data: Path, spec: AnonymizationSpec
) -> dict[str, list[str]] | None:
    """First-appearance order of the values that ARX's numbering matters for (Grassberger)."""
    from bulle.anonymization.frequency import first_appearance

    needed = {
        m.attribute
        for m in spec.models
        if m.kind == "entropy-l-diversity"
        and str(m.params.get("estimator", "")).lower() == "grassberger"
    }
    if not needed:
        return None
    return {a: first_appearance(engine, data, a) for a in sorted(needed)}


def loss_at(
    freq: pa.Table,
    spec: AnonymizationSpec,
    transformation,
    value_orders: dict[str, list[str]] | None = None,
) -> tuple[bool, Any, int]:
    """(anonymous, information loss, suppressed records) at a given transformation."""
    from bulle.anonymization.search import evaluate_at

    enc, evaluator, metric, aggregate = prepare(freq, spec, None, value_orders)
    if len(transformation) != enc.dims or any(
        not (0 <= int(v) <= int(h)) for v, h in zip(transformation, enc.heights, strict=True)
    ):
        raise InputError(
            f"transformation {list(transformation)} is outside the lattice "
            f"(heights {enc.heights.tolist()})"
        )
    res, _values, key = evaluate_at(evaluator, metric, aggregate, transformation)
    loss = aggregate.report(key) if aggregate is not None else float(key[0])
    return res.anonymous, loss, res.suppressed

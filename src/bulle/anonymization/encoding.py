"""Integer encoding of the base frequency table: everything the search needs, and no row.

The rows are read once (by the engine) into the distinct combinations of quasi-identifiers and
sensitive values with their counts. Here each quasi-identifier becomes integer codes, with, per
generalization level, a lookup array from leaf code to level code and the ARX domain share of
every level value. Lattice nodes are then evaluated on these arrays with numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from bulle.anonymization.hierarchy import Hierarchy, coverage_problems
from bulle.errors import InputError, ValidationError, Where

if TYPE_CHECKING:
    import pyarrow as pa

    from bulle.anonymization.spec import AnonymizationSpec

COUNT = "__bulle_n"  # records of the whole table in a combination
SUBSET_COUNT = "__bulle_s"  # records of the research subset in a combination
FIRST_ROW = "__bulle_first"  # 0-based file position of a combination's first row (when asked for)


@dataclass
class SensitiveColumn:
    """A sensitive attribute: its values (sorted, ARX's string order) and per-row codes."""

    name: str
    values: list[str]
    codes: np.ndarray  # per base row
    hierarchy: Hierarchy | None = None
    arx_ids: np.ndarray | None = None  # per value: ARX's number (order of first appearance)

    @property
    def size(self) -> int:
        return len(self.values)


@dataclass
class Encoded:
    """The encoded base table with its hierarchies, ready for node evaluation."""

    qis: list[str]
    hierarchies: list[Hierarchy]
    heights: np.ndarray  # (D,)
    leaf_values: list[list[str]]  # [d][leaf code] -> data value
    level_codes: list[list[np.ndarray]]  # [d][l][leaf code] -> level code
    level_values: list[list[list[str]]]  # [d][l][level code] -> generalized value
    shares: list[list[np.ndarray]]  # [d][l][level code] -> ARX domain share
    rows: np.ndarray  # (n, D) leaf codes of the distinct combinations
    count: np.ndarray  # (n,) records counted by models and metrics
    pcount: np.ndarray | None  # (n,) all records (δ-presence), else None
    sensitive: list[SensitiveColumn]
    first: np.ndarray | None = None  # (n,) first row of each combination, when read
    _row_codes: dict[tuple[int, int], np.ndarray] = field(default_factory=dict, repr=False)
    _level_maps: dict[tuple[int, int, int], np.ndarray] = field(default_factory=dict, repr=False)
    _base_grouping: object = field(default=None, repr=False)
    _cards: list[list[int]] | None = field(default=None, repr=False)

    @property
    def cards(self) -> list[list[int]]:
        """[d][level] -> cardinality, as plain ints: read for every attribute of every node."""
        if self._cards is None:
            self._cards = [[len(v) for v in values] for values in self.level_values]
        return self._cards

    @property
    def n_records(self) -> int:
        """N of ARX: the research subset's size when there is one, else the number of records."""
        return int(self.count.sum())

    @property
    def n_rows(self) -> int:
        return int(self.rows.shape[0])

    @property
    def dims(self) -> int:
        return len(self.qis)

    def cardinality(self, d: int, level: int) -> int:
        return len(self.level_values[d][level])

    def row_codes(self, d: int, level: int) -> np.ndarray:
        """Level codes of every base row for one attribute (int64, cached)."""
        key = (d, level)
        arr = self._row_codes.get(key)
        if arr is None:
            arr = self.level_codes[d][level][self.rows[:, d]].astype(np.int64)
            self._row_codes[key] = arr
        return arr

    def level_map(self, d: int, src: int, dst: int) -> np.ndarray:
        """Lookup array from level-``src`` codes to level-``dst`` codes of attribute ``d``."""
        key = (d, src, dst)
        arr = self._level_maps.get(key)
        if arr is None:
            if src == 0:
                arr = self.level_codes[d][dst]
            else:
                arr = np.zeros(self.cardinality(d, src), dtype=np.int64)
                arr[self.level_codes[d][src]] = self.level_codes[d][dst]
            self._level_maps[key] = arr
        return arr

    def sensitive_column(self, name: str) -> SensitiveColumn:
        for s in self.sensitive:
            if s.name == name:
                return s
        raise KeyError(name)


_INT_TYPES = {
    "int8": np.int8,
    "int16": np.int16,
    "int32": np.int32,
    "int64": np.int64,
    "uint8": np.uint8,
    "uint16": np.uint16,
    "uint32": np.uint32,
    "uint64": np.uint64,
}


def arrow_ints(column) -> np.ndarray:
    """An Arrow integer column as an int64 numpy array, read from its buffer.

    pyarrow's own numpy conversion imports pandas (about half a second); the CLI avoids it.
    """
    import pyarrow as pa

    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if arr.null_count:
        raise InputError("unexpected missing count in the frequency table")
    dtype = _INT_TYPES.get(str(arr.type))
    if dtype is None:
        import pyarrow.compute as pc

        arr = pc.cast(arr, pa.int64())
        dtype = np.int64
    if len(arr) == 0:
        return np.zeros(0, dtype=np.int64)
    size = np.dtype(dtype).itemsize
    return np.frombuffer(
        arr.buffers()[1], dtype=dtype, count=len(arr), offset=arr.offset * size
    ).astype(np.int64)


def _column_strings(column) -> tuple[np.ndarray, list[str]]:
    """Dictionary-encode an Arrow column: int codes and the distinct strings (nulls read as '')."""
    import pyarrow as pa
    import pyarrow.compute as pc

    col = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if not pa.types.is_string(col.type) and not pa.types.is_large_string(col.type):
        col = pc.cast(col, pa.string())
    enc = pc.dictionary_encode(col, null_encoding="encode")
    codes = arrow_ints(enc.indices)
    values = [v.as_py() for v in enc.dictionary]
    if None in values:
        null_code = values.index(None)
        if "" in values:  # a missing value and an empty string are the same value
            empty = values.index("")
            codes = np.where(codes == null_code, empty, codes)
            codes = np.where(codes > null_code, codes - 1, codes)
            del values[null_code]
        else:
            values[null_code] = ""
    return codes, values


def encode(
    freq: pa.Table,
    spec: AnonymizationSpec,
    data_file: str | None = None,
    value_orders: dict[str, list[str]] | None = None,
) -> Encoded:
    """Encode a base frequency table (QIs + sensitive columns + counts) for the search.

    ``value_orders`` gives, per sensitive column, its values in order of first appearance in the
    data (ARX numbers values that way; only Grassberger's entropy l-diversity depends on it).
    """
    qis = list(spec.quasi_identifiers)
    missing = [c for c in [*qis, *spec.sensitive] if c not in freq.column_names]
    if missing:
        raise InputError(
            f"unknown column(s) {', '.join(repr(c) for c in missing)}; the table has "
            f"{', '.join(freq.column_names[:50])}",
            Where(file=data_file, column=missing[0]),
        )
    n_all = arrow_ints(freq.column(COUNT))
    if SUBSET_COUNT in freq.column_names:
        count = arrow_ints(freq.column(SUBSET_COUNT))
        pcount: np.ndarray | None = n_all
    else:
        count, pcount = n_all, None

    hierarchies = [spec.hierarchies[q] for q in qis]
    codes_per_qi: list[np.ndarray] = []
    leaf_values: list[list[str]] = []
    for q in qis:
        codes, values = _column_strings(freq.column(q))
        codes_per_qi.append(codes)
        leaf_values.append(values)
    problems = coverage_problems(
        dict(zip(qis, hierarchies, strict=True)),
        dict(zip(qis, leaf_values, strict=True)),
        data_file,
    )
    sensitive: list[SensitiveColumn] = []
    for s in spec.sensitive:
        codes, values = _column_strings(freq.column(s))
        order = sorted(range(len(values)), key=lambda i: values[i])
        rank = np.empty(len(values), dtype=np.int64)
        rank[order] = np.arange(len(values))
        h = spec.hierarchies.get(s)
        if h is not None:
            problems += coverage_problems({s: h}, {s: values}, data_file)
        ordered = [values[i] for i in order]
        arx_ids = None
        if value_orders and s in value_orders:
            position = {v: i for i, v in enumerate(value_orders[s])}
            arx_ids = np.array(
                [position.get(v, len(position) + j) for j, v in enumerate(ordered)], dtype=np.int64
            )
        sensitive.append(
            SensitiveColumn(s, ordered, rank[codes] if len(codes) else codes, h, arx_ids)
        )
    if problems:
        raise ValidationError.from_problems("values not covered by their hierarchy", problems)

    level_codes: list[list[np.ndarray]] = []
    level_values: list[list[list[str]]] = []
    shares: list[list[np.ndarray]] = []
    for h, values in zip(hierarchies, leaf_values, strict=True):
        lc, lv, sh = [], [], []
        for level in range(h.height + 1):
            mapping = h.levels[level]
            index: dict[str, int] = {}
            arr = np.empty(len(values), dtype=np.int64)
            for i, v in enumerate(values):
                g = mapping[v]
                arr[i] = index.setdefault(g, len(index))
            names = list(index)
            counts = h.share_counts[level]
            lc.append(arr)
            lv.append(names)
            sh.append(np.array([counts[g] for g in names], dtype=np.float64) / float(h.domain_size))
        level_codes.append(lc)
        level_values.append(lv)
        shares.append(sh)
    rows = np.stack(codes_per_qi, axis=1) if codes_per_qi else np.zeros((len(count), 0), np.int64)
    first = arrow_ints(freq.column(FIRST_ROW)) if FIRST_ROW in freq.column_names else None
    return Encoded(
        first=first,
        qis=qis,
        hierarchies=hierarchies,
        heights=np.array([h.height for h in hierarchies], dtype=np.int64),
        leaf_values=leaf_values,
        level_codes=level_codes,
        level_values=level_values,
        shares=shares,
        rows=rows,
        count=count,
        pcount=pcount,
        sensitive=sensitive,
    )

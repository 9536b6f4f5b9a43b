"""What a caller asks of a stand-alone text run (detect, de-identify): frozen, no I/O."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TextFileRequest:
    """A ``.txt`` (one document) or ``.jsonl`` input, where the result goes, how to detect.

    ``record_patterns`` are added to Bulle's own record-number patterns; ``model`` is a spaCy
    package (None: the default); ``processes`` None means every available core.
    """

    input: str
    output: str
    text_field: str = "text"
    record_patterns: tuple[str, ...] = ()
    processes: int | None = None
    model: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "input", str(self.input))
        object.__setattr__(self, "output", str(self.output))
        object.__setattr__(self, "record_patterns", tuple(self.record_patterns))

"""The text de-identification use cases, for every interface (CLI, workspace, later HTTP).

No workspace here: callers hand in texts and get texts or entities back; the workspace wires
free-text columns of dataset versions to ``deidentify_texts``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from bulle.text.config import DetectorConfig
from bulle.text.entities import Entity
from bulle.text.operators import get_operator
from bulle.text.parallel import detect_stream
from bulle.text.surrogates import Keyed


def detect(
    texts: Sequence[str],
    config: DetectorConfig | None = None,
    n_process: int | None = None,
    progress: bool = False,
) -> list[list[Entity]]:
    """Entities found in each text (offsets in code points, end exclusive)."""
    return list(iter_detect(texts, config, n_process, progress))


def iter_detect(
    texts: Iterable[str],
    config: DetectorConfig | None = None,
    n_process: int | None = None,
    progress: bool = False,
    total_chars: int | None = None,
) -> Iterator[list[Entity]]:
    if isinstance(texts, Sequence) and total_chars is None:
        total_chars = sum(len(t) for t in texts)
    with progress_bar(progress, total_chars) as advance:
        yield from detect_stream(texts, config, n_process, on_done=advance)


def deidentify_texts(
    texts: Sequence[str],
    operator: str,
    key: bytes | None = None,
    config: DetectorConfig | None = None,
    subjects: Sequence[str | None] | None = None,
    n_process: int | None = None,
    progress: bool = False,
) -> list[str]:
    """Each text with its personal data replaced by ``operator``.

    With ``key``, pseudonyms and date offsets are the same across calls (a corpus); without,
    they are consistent within this call only. ``subjects`` names whose dates each text holds
    (for shift-dates); by default, the most mentioned person of the text.
    """
    op = get_operator(operator)
    keyed = Keyed(key)
    out = []
    for i, (text, ents) in enumerate(
        zip(texts, iter_detect(texts, config, n_process, progress), strict=True)
    ):
        subject = subjects[i] if subjects is not None else None
        out.append(op.apply(text, ents, subject=subject, keyed=keyed))
    return out


def apply_operator(
    text: str,
    entities: list[Entity],
    operator: str,
    key: bytes | None = None,
    subject: str | None = None,
) -> str:
    return get_operator(operator).apply(text, entities, key=key, subject=subject)


class progress_bar:
    """A rich progress bar on stderr, counting characters; silent when stderr is not a terminal."""

    def __init__(self, enabled: bool, total: int | None):
        import sys

        self.enabled = enabled and sys.stderr.isatty()
        self.total = total
        self._progress = None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        self._progress = Progress(
            TextColumn("de-identifying"),
            BarColumn(),
            TextColumn("{task.completed:,} chars"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._progress.start()
        task = self._progress.add_task("text", total=self.total)
        return lambda n: self._progress.advance(task, n)

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.stop()
        return False

"""Console: a progress bar for long batches on a terminal, plain lines otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from .build import Result, Unit
    from .errors import Problem


class _Lines:
    """One line per finished unit: for logs and CI, where a bar would be noise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream, self.total, self.count = stream, 0, 0

    def start(self, total: int) -> None:
        self.total = total

    def advance(self, unit: Unit, result: Result | None, problems: list[Problem]) -> None:
        self.count += 1
        if self.total > 1:
            what = f"{unit.name} ({unit.variant})" if unit.variant else unit.name
            print(f"[{self.count}/{self.total}] {'failed' if problems else 'built'} {what}",
                  file=self.stream, flush=True)


class _Bar:
    """A rich progress bar, shown only for batches of more than one unit."""

    def __init__(self, progress: Any) -> None:
        self.progress = progress
        self.task: Any = None  # rich's TaskID once a batch of more than one starts

    def start(self, total: int) -> None:
        if total > 1:
            self.progress.start()
            self.task = self.progress.add_task("building", total=total)

    def advance(self, unit: Unit, result: Result | None, problems: list[Problem]) -> None:
        if self.task is not None:
            self.progress.advance(self.task)


@contextmanager
def progress_for(stream: TextIO) -> Iterator[_Lines | _Bar]:
    """A bar when ``stream`` is a terminal, plain lines when it is not."""
    if not stream.isatty():
        yield _Lines(stream)
        return
    from rich.progress import Progress

    bar = _Bar(Progress(transient=True))
    try:
        yield bar
    finally:
        if bar.task is not None:
            bar.progress.stop()

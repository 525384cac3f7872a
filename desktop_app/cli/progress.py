"""Progress on stderr (stdout stays clean for scripts), counted and formatted by tqdm.

``ProgressBar`` is one task: on a terminal tqdm redraws its line in place; elsewhere (a
log, a CI job, a test) a whole line is written at the start and whenever another tenth is
done, so a log gets a few plain lines instead of a stream of carriage returns.
``TransferProgress`` shows files or layers arriving one after another, in MB, a bar each:
catalog downloads and Ollama pulls.  ``describe`` counts images with tqdm's own line.
"""

from __future__ import annotations

import time
from typing import Any, TextIO

from tqdm import tqdm

from desktop_app.cli.i18n import tr

# The lines downloads and pulls always printed, now filled in by tqdm (``bar_format``):
# what, [bar], percent, MB done/total, speed, and for downloads the time left.
PULL_FORMAT = "{desc}  [{bar:24}] {percentage:3.0f}%  {n:,.1f}/{total:,.1f} MB {rate_noinv_fmt}"
DOWNLOAD_FORMAT = (
    "{desc}  [{bar:20}] {percentage:3.0f}%  {n:,.1f}/{total:,.1f} MB {rate_noinv_fmt}"
    "  ETA {remaining}"
)


def download_format() -> str:
    """``DOWNLOAD_FORMAT`` with its one word ("ETA", the time left) in the CLI's language;
    the rest is numbers and tqdm's fields (a format string is never given to a translator)."""
    return DOWNLOAD_FORMAT.replace("ETA", tr("ETA"), 1)


_HASHES = "-#"  # "[####----]": plain ASCII reads the same in any log or console font
_MB = 1e6


class ProgressBar:
    """One task of ``total`` units on ``stream``.

    ``redraw``: tqdm redraws the line in place (at most every ``mininterval`` seconds) and
    leaves it there when closed; otherwise a line per tenth (see the module).  ``initial``
    units were done before (a resumed download): they count for the bar, not the speed.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        total: float,
        redraw: bool,
        desc: str = "",
        initial: float = 0,
        bar_format: str | None = None,
        unit: str = "it",
        ascii: str | None = None,
        mininterval: float = 0.1,
        dynamic_ncols: bool = False,
        disable: bool = False,
    ) -> None:
        self._stream = stream
        self._n = initial
        self._tenth = -1
        self._started = time.monotonic()
        self._disabled = disable
        meter = {"total": total, "initial": initial, "unit": unit, "bar_format": bar_format}
        self._meter: dict[str, Any] = {**meter, "ascii": ascii, "prefix": desc}
        self._tqdm: Any = None
        if redraw:
            self._tqdm = tqdm(
                **meter,
                desc=desc,
                ascii=ascii,
                file=stream,
                mininterval=mininterval,
                dynamic_ncols=dynamic_ncols,
                disable=disable,
            )
        else:
            self._line()

    def advance(self, units: float = 1) -> None:
        self.advance_to(self._n + units)

    def advance_to(self, done: float) -> None:
        if self._tqdm is not None:
            self._tqdm.update(done - self._n)
        self._n = done
        if self._tqdm is None:
            self._line()

    def _line(self) -> None:
        total = self._meter["total"]
        tenth = int(10 * self._n // total) if total else 10
        if self._disabled or tenth <= self._tenth:
            return
        self._tenth = tenth
        elapsed = time.monotonic() - self._started
        line = tqdm.format_meter(n=self._n, elapsed=elapsed, **self._meter)
        self._stream.write(f"{line}\n")
        self._stream.flush()

    def postfix(self, text: str) -> None:
        """Text shown after the meter (``describe``'s per-server counts), redrawn with it."""
        if self._tqdm is not None:
            self._tqdm.set_postfix_str(text, refresh=False)
        else:
            self._meter["postfix"] = text

    def close(self) -> None:
        """Leave the line as it is (a redrawn one ends with a newline). Idempotent."""
        if self._tqdm is not None:
            self._tqdm.close()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class TransferProgress:
    """Bytes of items (files, layers) that arrive one after another, a bar each, in MB.

    A report about a new item finishes the current one; an item once finished stays as it
    was shown, so a late report about it draws nothing.
    """

    def __init__(self, stream: TextIO, *, bar_format: str, redraw: bool) -> None:
        self._stream = stream
        self._bar_format = bar_format
        self._redraw = redraw
        self._key: str | None = None
        self._bar: ProgressBar | None = None
        self._finished: set[str] = set()

    def update(self, key: str, done: int, total: int, *, desc: str) -> None:
        """``done`` of ``total`` bytes of item ``key``; ``desc`` names it on its line."""
        if key in self._finished:
            return
        done = min(done, total)
        if self._bar is None or key != self._key:
            self.finish()
            self._key = key
            self._bar = ProgressBar(
                self._stream,
                total=total / _MB,
                initial=done / _MB,
                desc=desc,
                redraw=self._redraw,
                bar_format=self._bar_format,
                unit=" MB",
                ascii=_HASHES,
            )
        else:
            self._bar.advance_to(done / _MB)

    def finish(self) -> None:
        """The current item is over: its line stays."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self._key is not None:
            self._finished.add(self._key)
            self._key = None

    def line(self, text: str) -> None:
        """A line of its own, after the current item's."""
        self.finish()
        self._stream.write(f"{text}\n")
        self._stream.flush()

    def close(self) -> None:
        self.finish()
        self._stream.flush()

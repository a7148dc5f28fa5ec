"""Reading a large CSV as a stream: its encoding without loading it, and how far the read has got.

Used by :mod:`dxdesk.support.csv_import` so an import of a million rows keeps memory flat
and can show rows/s and an ETA (from the bytes read of the file's size).
"""
from __future__ import annotations

import codecs
import io
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable


@dataclass(frozen=True)
class Progress:
    """Where a running import is (for a CLI line or a progress bar)."""

    rows: int  # data rows read so far
    imported: int
    done_fraction: float | None  # of the file's bytes, when the size is known
    elapsed: float  # seconds

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta_seconds(self) -> float | None:
        if not self.done_fraction or self.done_fraction >= 1:
            return None
        return self.elapsed * (1 - self.done_fraction) / self.done_fraction


ProgressCallback = Callable[[Progress], None]


class CountingReader(io.RawIOBase):
    """A binary file that counts the bytes read (the progress of a streamed text read)."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)


def encoding_of(path: Path) -> str | None:
    """UTF-8 (BOM or not) when the whole file decodes as UTF-8, else Shift_JIS, else None; read in chunks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as f:
        try:
            while chunk := f.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8-sig"
        except UnicodeDecodeError:
            pass
        f.seek(0)
        cp932 = codecs.getincrementaldecoder("cp932")()
        try:
            while chunk := f.read(1 << 20):
                cp932.decode(chunk)
            cp932.decode(b"", final=True)
            return "cp932"
        except UnicodeDecodeError:
            pass
    return None

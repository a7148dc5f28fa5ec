"""Import of session CSVs (the export format, or a town's own spreadsheet saved as CSV).

* Headers may be Japanese or English (see :data:`dxdesk.support.csvio.COLUMNS`);
  only ``topic_labels`` and unknown columns are ignored.
* Choice fields accept a code or its Japanese/English label; full-width digits and
  spaces are normalised (NFKC); ``2026/10/1 9:05`` and ``2026-10-01T09:05`` both parse.
* Files saved by Japanese Excel as "CSV" are Shift_JIS (cp932): read as a fallback.
* Idempotent: a row's id is kept; a row without id gets a UUID5 of its content, so
  importing the same file twice adds nothing the second time. (Two rows identical in
  every field are therefore one session: they are reported as duplicates.) An
  import never overwrites: a row whose id exists is skipped, even if it differs.
* Row numbers are spreadsheet row numbers: the header is row 1.
* Streaming (a town's whole history can be a million rows): the file is read row
  by row and stored in batches of :data:`BATCH_ROWS`, one transaction each, so
  memory stays bounded, other desks' writers get the database between batches, and
  each committed batch is audited (through ``SupportService.add_many``). A batch
  that fails stops the import but never un-says the batches already committed: the
  result counts them and names the reason (``stopped``).
* Anything wrong with one row (an unreadable cell, a 50 MB cell, a stray quote, a
  year like 0001) is an error of that row with its number, never an aborted import.
  Unknown or misspelt column headings are reported as warnings.
"""
from __future__ import annotations

import csv
import difflib
import io
import logging
import time
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable, Iterator, TextIO

from dxdesk.csvfiles import undo_spreadsheet_safe
from dxdesk.errors import DxError
from dxdesk.i18n import Msg
from dxdesk.support.catalog import AGE_BANDS, DEVICES, OUTCOMES, Catalog, Venue
from dxdesk.support.csvio import COLUMNS, LABELS_FOR_IMPORT
from dxdesk.support.csvstream import CountingReader, Progress, ProgressCallback, encoding_of
from dxdesk.support.model import SupportSession, validate
from dxdesk.support.repository import SupportRepository

log = logging.getLogger(__name__)

# Fixed namespace so UUID5 ids are the same on every PC and every run.
IMPORT_NAMESPACE = uuid.UUID("6f3b7c2e-9a51-5d2e-8a53-2f0d7c1b9e40")

REQUIRED = ("started_at", "venue", "venue_type", "topics", "device", "age_band", "attendees", "helpers",
            "duration_minutes", "outcome")
_DATETIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
                     "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d", "%Y/%m/%d")
_TRUE = {"1", "true", "yes", "y", "はい", "有", "あり", "要", "○", "〇"}
_FALSE = {"", "0", "false", "no", "n", "いいえ", "無", "なし", "不要", "×", "-"}
_TOPIC_SPLIT = (";", "；", "、", ",", "|", "\n")
BATCH_ROWS = 2000  # rows per transaction: short enough for other writers to get in between
MIN_YEAR, MAX_YEAR = 2000, 2099  # a session outside these years is a typing slip (and 0001 cannot be stored)
IGNORED_COLUMNS = ("topic_labels", "トピック名")  # written by the export for people, not read back


@dataclass(frozen=True)
class RowError:
    row: int  # spreadsheet row (header = 1)
    column: str  # header text as found in the file ("" for the whole row/file)
    message: Msg

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column '{self.column}'" if self.column else "")
        return f"{where}: {self.message.en}"


@dataclass
class ImportResult:
    rows: int = 0  # data rows read
    imported: list[str] = field(default_factory=list)
    already_present: list[str] = field(default_factory=list)  # in the store before, or repeated in the file
    errors: list[RowError] = field(default_factory=list)
    aborted: bool = False  # all-or-nothing mode found errors and imported nothing
    warnings: list[RowError] = field(default_factory=list)  # unknown columns (ignored, but said)
    stopped: str = ""  # why the import stopped part way (the batches before it are committed)

    @property
    def ok(self) -> bool:
        return not self.errors


class ImportFileError(DxError):
    """The file as a whole cannot be read (missing, not CSV, missing columns)."""

    def __init__(self, message: Msg):
        super().__init__(message)


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


UNDECODABLE = Msg("ファイルの文字コードを判別できません（UTF-8またはShift_JISで保存してください）。",
                  "cannot decode the file: save it as UTF-8 (or Shift_JIS) CSV.")


def decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(UNDECODABLE)


def _header_map(header: list[str]) -> dict[str, int]:
    names: dict[str, str] = {}
    for c in COLUMNS:
        names[_norm(c.key).casefold()] = c.key
        names[_norm(c.ja).casefold()] = c.key
    mapping: dict[str, int] = {}
    for i, h in enumerate(header):
        key = names.get(_norm(h).casefold())
        if key and key not in mapping:
            mapping[key] = i
    return mapping


class _RowParser:
    def __init__(self, catalog: Catalog, header: list[str], mapping: dict[str, int]):
        self.catalog = catalog
        self.header = header
        self.mapping = mapping

    def col(self, key: str) -> str:
        i = self.mapping.get(key)
        return self.header[i] if i is not None else key

    def parse(self, rownum: int, cells: list[str]) -> tuple[SupportSession | None, list[RowError]]:
        errors: list[RowError] = []

        def cell(key: str) -> str:
            i = self.mapping.get(key)
            return undo_spreadsheet_safe(cells[i].strip()) if i is not None and i < len(cells) else ""

        def err(key: str, ja: str, en: str) -> None:
            errors.append(RowError(rownum, self.col(key), Msg(ja, en)))

        started = self._datetime(cell("started_at"))
        if started is None:
            err("started_at", f"日時「{cell('started_at')}」を読み取れません（例: 2026-10-01 10:00）。",
                f"cannot read date/time '{cell('started_at')}' (expected e.g. 2026-10-01 10:00, "
                f"years {MIN_YEAR}-{MAX_YEAR}).")
        closed_text = cell("follow_up_closed_at")
        closed = self._datetime(closed_text) if closed_text else None
        if closed_text and closed is None:
            err("follow_up_closed_at", f"日時「{closed_text}」を読み取れません。", f"cannot read date/time '{closed_text}'.")

        topics: list[str] = []
        raw = cell("topics")
        for sep in _TOPIC_SPLIT[1:]:
            raw = raw.replace(sep, _TOPIC_SPLIT[0])
        for part in (p for p in (_norm(x) for x in raw.split(_TOPIC_SPLIT[0])) if p):
            code = self.catalog.resolve_topic(part)
            if code is None:
                err("topics", f"トピック「{part}」は登録されていません。",
                    f"unknown topic '{part}' (see 'dxdesk support topics' for codes and labels).")
            elif code not in topics:
                topics.append(code)
        if not raw.strip(_TOPIC_SPLIT[0] + " "):
            err("topics", "トピックが空です。", "no topic given.")

        venue_type = self.catalog.resolve_venue_type(_norm(cell("venue_type")))
        if venue_type is None:
            err("venue_type", f"会場種別「{cell('venue_type')}」は選択肢にありません。",
                f"unknown venue type '{cell('venue_type')}'.")
        choice = {key: self._choice(key, cell(key), allowed, err)
                  for key, allowed in (("device", DEVICES), ("age_band", AGE_BANDS), ("outcome", OUTCOMES))}
        numbers = {key: self._int(key, cell(key), err) for key in ("attendees", "helpers", "duration_minutes")}
        flags = {key: self._bool(key, cell(key), err) for key in ("follow_up_needed", "repeat_visitor")}

        sid = cell("id")
        if sid:
            try:
                sid = str(uuid.UUID(sid))
            except ValueError:
                err("id", f"ID「{sid}」はUUIDの形式ではありません。", f"id '{sid}' is not a UUID; leave it empty for new rows.")
        if errors:
            return None, errors
        fields = dict(
            started_at=started, venue=_norm(cell("venue")), venue_type=venue_type, topics=tuple(topics),
            device=choice["device"], age_band=choice["age_band"], attendees=numbers["attendees"],
            helpers=numbers["helpers"], duration_minutes=numbers["duration_minutes"], outcome=choice["outcome"],
            note=cell("note"), helper_role=cell("helper_role"), follow_up_needed=flags["follow_up_needed"],
            follow_up_closed_at=closed, repeat_visitor=flags["repeat_visitor"], logged_by=cell("logged_by"),
        )
        session = SupportSession(id=sid or content_uuid(fields), **fields)  # type: ignore[arg-type]
        for fe in validate(session, self.catalog):
            errors.append(RowError(rownum, self.col(fe.field), fe.message))
        return (None, errors) if errors else (session, [])

    @staticmethod
    def _datetime(text: str) -> datetime | None:
        text = _norm(text)
        for fmt in _DATETIME_FORMATS:
            try:
                value = datetime.strptime(text, fmt)
            except ValueError:
                continue
            return value if MIN_YEAR <= value.year <= MAX_YEAR else None
        return None

    @staticmethod
    def _choice(key: str, text: str, allowed: tuple[str, ...], err) -> str | None:  # type: ignore[no-untyped-def]
        value = _norm(text)
        if key == "age_band":
            value = _age_alias(value)
        if value in allowed:
            return value
        for code, label in LABELS_FOR_IMPORT[key].items():
            if value in (_norm(label.ja), ) or value.casefold() == label.en.casefold():
                return code
        err(key, f"「{text}」は選択肢にありません（{'、'.join(allowed)}）。",
            f"'{text}' is not one of: {', '.join(allowed)}.")
        return None

    @staticmethod
    def _int(key: str, text: str, err) -> int | None:  # type: ignore[no-untyped-def]
        value = _norm(text).replace(",", "")
        if value.endswith(("人", "分", "名")):
            value = value[:-1]
        try:
            return int(value)
        except ValueError:
            err(key, f"「{text}」は整数ではありません。", f"'{text}' is not a whole number.")
            return None

    @staticmethod
    def _bool(key: str, text: str, err) -> bool:  # type: ignore[no-untyped-def]
        value = _norm(text).casefold()
        if value in _TRUE:
            return True
        if value not in _FALSE:
            err(key, f"「{text}」は はい/いいえ（1/0）で入力してください。", f"'{text}' is not yes/no (use 1 or 0).")
        return False


def _age_alias(value: str) -> str:
    """Spreadsheet spellings of age bands: 75〜79歳, 75~79, 80歳以上, 65歳未満 -> 75-79, 80+, <65."""
    v = value.replace("歳", "").replace(" ", "")
    for dash in ("〜", "~", "－", "‐", "–", "ー"):
        v = v.replace(dash, "-")
    if v.endswith("以上"):
        v = v[: -len("以上")] + "+"
    if v.endswith("未満"):
        v = "<" + v[: -len("未満")]
    return v


def content_uuid(fields: dict[str, object]) -> str:
    """Deterministic id of a row without one: same content -> same UUID5, on any PC."""
    parts = []
    for key in sorted(fields):
        value = fields[key]
        if isinstance(value, datetime):
            value = value.isoformat(timespec="minutes")
        elif isinstance(value, tuple):
            value = ";".join(sorted(value))  # topic order is not meaningful
        parts.append(f"{key}={value}")
    return str(uuid.uuid5(IMPORT_NAMESPACE, "\x1f".join(parts)))


def unknown_columns(header: list[str], mapping: dict[str, int]) -> list[RowError]:
    """A warning per heading that is not a column (with the nearest column name when it looks misspelt)."""
    known = [c.key for c in COLUMNS] + [c.ja for c in COLUMNS]
    used = set(mapping.values())
    warnings = []
    for i, h in enumerate(header):
        if i in used or not _norm(h) or _norm(h) in IGNORED_COLUMNS:
            continue
        near = difflib.get_close_matches(_norm(h), known, n=1, cutoff=0.6)
        hint_ja = f"（「{near[0]}」の誤り？）" if near else ""
        hint_en = f" (did you mean '{near[0]}'?)" if near else ""
        warnings.append(RowError(1, h, Msg(f"不明な列のため読み込みません{hint_ja}。",
                                           f"unknown column, not imported{hint_en}.")))
    return warnings


def _heading(reader: Iterator[list[str]]) -> tuple[list[str], dict[str, int]]:
    """The heading row and its column map, or the file's error (unreadable, empty, required columns missing)."""
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ImportFileError(Msg("1行目（見出し）を読み取れません。", f"cannot read the heading row: {exc}")) from exc
    if not header:
        raise ImportFileError(Msg("ファイルが空です。", "the file is empty."))
    mapping = _header_map(header)
    missing = [c for c in COLUMNS if c.key in REQUIRED and c.key not in mapping]
    if missing:
        raise ImportFileError(
            Msg("必要な列がありません: " + "、".join(c.ja for c in missing),
                "missing columns: " + ", ".join(f"{c.key} ({c.ja})" for c in missing))
        )
    return header, mapping


def _records(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str] | None, str]]:
    """``(row number, cells or None, csv error)``: a row the CSV reader rejects is that row's error."""
    rownum = 1
    while True:
        rownum += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield rownum, None, str(exc)
            continue
        yield rownum, cells, ""


class _Parsed:
    """The rows of one CSV, parsed lazily: valid sessions are yielded, errors collected."""

    def __init__(self, stream: TextIO | io.StringIO, catalog: Catalog) -> None:
        reader = csv.reader(stream)
        header, mapping = _heading(reader)
        self.warnings = unknown_columns(header, mapping)
        self._parser = _RowParser(catalog, header, mapping)
        self._width = len(header)
        self._reader = reader
        self.errors: list[RowError] = []
        self.count = 0

    def __iter__(self) -> Iterator[tuple[int, SupportSession]]:
        for rownum, cells, problem in _records(self._reader):
            if cells is not None and not any(c.strip() for c in cells):
                continue  # Excel leaves blank lines at the end
            self.count += 1
            if cells is None:
                self.errors.append(RowError(rownum, "", Msg(f"この行をCSVとして読み取れません（{problem}）。",
                                                            f"cannot read this row as CSV ({problem}).")))
                continue
            if len(cells) > self._width and any(c.strip() for c in cells[self._width:]):
                # More cells than headings: a stray quote or comma shifted the row (and a quote left open
                # swallows the rows after it into one cell): never store a shifted row.
                self.errors.append(RowError(rownum, "", Msg(
                    f"この行はセルが{len(cells)}個あり、見出し（{self._width}列）より多くなっています（引用符やカンマの誤り？）。",
                    f"this row has {len(cells)} cells but the heading row has {self._width} "
                    "(a stray quote or comma?); rows after an unclosed quote are part of this row.")))
                continue
            try:
                session, row_errors = self._parser.parse(rownum, cells)
            except (ValueError, OverflowError) as exc:  # a value no check foresaw: this row's error, not the file's
                message = Msg("この行の値を読み取れません。", f"cannot read this row's values ({exc}).")
                session, row_errors = None, [RowError(rownum, "", message)]
            self.errors.extend(row_errors)
            if session is not None:
                yield rownum, session


def parse_csv_text(text: str, catalog: Catalog) -> tuple[list[tuple[int, SupportSession]], list[RowError], int]:
    """Parse every row: ``(valid rows with their row numbers, errors, data-row count)``."""
    parsed = _Parsed(io.StringIO(text, newline=""), catalog)
    valid = list(parsed)
    return valid, parsed.errors, parsed.count


@dataclass(frozen=True)
class ImportFile:
    """A file :func:`check_import_file` found importable: readable, decodable, with the required headings."""

    path: Path
    encoding: str
    size: int


def check_import_file(path: Path) -> ImportFile:
    """What can be checked of ``path`` without the database or a sign-in, or the ImportFileError saying what is wrong.

    The CLI calls it before asking for the password: a mistyped name, a folder, a spreadsheet
    saved in another format or a file without the expected headings is refused at once.
    The rows are checked during the import (they need the catalogue).
    """
    path = Path(path)
    try:
        if path.is_dir():
            raise ImportFileError(Msg(f"CSVファイルではなくフォルダーです（中のCSVファイルを指定してください）: {path.name}",
                                      "this is a folder, not a CSV file (give the CSV file in it)."))
        size = path.stat().st_size
        encoding = encoding_of(path)
        if encoding is None:
            raise ImportFileError(UNDECODABLE)
        with open(path, encoding=encoding, newline="") as text:
            _heading(csv.reader(text))
    except OSError as exc:
        raise ImportFileError(Msg(f"ファイルを開けません: {path}", f"cannot read {path}: {exc.strerror}")) from exc
    return ImportFile(path, encoding, size)


def import_csv(source: Path | ImportFile, repo: SupportRepository, *, all_or_nothing: bool = False, by: str = "",
               progress: ProgressCallback | None = None, batch_rows: int = BATCH_ROWS) -> ImportResult:
    """Import ``source`` into ``repo`` in batches. Default: store valid rows, report invalid ones.

    ``source`` is a path, or the :class:`ImportFile` that :func:`check_import_file` returned
    (the file is then not read a second time for its encoding). With ``all_or_nothing`` the
    file is checked first (a full read) and nothing is stored if any row has an error.
    """
    checked = source if isinstance(source, ImportFile) else check_import_file(source)
    path, encoding, size = checked.path, checked.encoding, checked.size

    def run(check_only: bool) -> ImportResult:
        with open(path, "rb") as raw:
            counted = CountingReader(raw)
            text = io.TextIOWrapper(io.BufferedReader(counted), encoding=encoding, newline="")
            return _import_stream(text, repo, by=by, check_only=check_only, batch_rows=batch_rows, progress=progress,
                                  fraction=lambda: counted.position / size if size else None)

    if all_or_nothing:
        trial = run(check_only=True)
        if trial.errors:
            trial.aborted = True
            return trial
    return run(check_only=False)


def import_csv_text(text: str, repo: SupportRepository, *, all_or_nothing: bool = False, by: str = "",
                    batch_rows: int = BATCH_ROWS) -> ImportResult:
    if all_or_nothing:
        checked = _import_stream(io.StringIO(text, newline=""), repo, by=by, check_only=True, batch_rows=batch_rows)
        if checked.errors:
            checked.aborted = True
            return checked
    return _import_stream(io.StringIO(text, newline=""), repo, by=by, check_only=False, batch_rows=batch_rows)


def _batches(rows: Iterable[tuple[int, SupportSession]], size: int) -> Iterator[list[SupportSession]]:
    batch: list[SupportSession] = []
    for _, s in rows:
        batch.append(s)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _import_stream(stream: TextIO | io.StringIO, repo: SupportRepository, *, by: str, check_only: bool,
                   batch_rows: int, progress: ProgressCallback | None = None,
                   fraction: Callable[[], float | None] = lambda: None) -> ImportResult:
    started = time.monotonic()
    parsed = _Parsed(stream, repo.catalog())
    result = ImportResult(warnings=parsed.warnings)
    for batch in _batches(parsed, batch_rows):
        if check_only:
            continue
        try:
            _store_batch(repo, batch, by, result)
        except Exception as exc:  # the batches before this one are committed and audited: say so, keep them
            log.exception("support import stopped after %d imported rows", len(result.imported))
            result.stopped = getattr(getattr(exc, "message", None), "en", None) or f"{type(exc).__name__}: {exc}"
            break
        if progress is not None:
            progress(Progress(parsed.count, len(result.imported), fraction(), time.monotonic() - started))
    result.rows, result.errors = parsed.count, parsed.errors
    # Counts only: rows may hold free-text notes, which never go to the log.
    log.info("support import: %d rows, %d imported, %d already present, %d errors%s",
             result.rows, len(result.imported), len(result.already_present), len(result.errors),
             " (stopped)" if result.stopped else "")
    return result


def _store_batch(repo: SupportRepository, batch: list[SupportSession], by: str, result: ImportResult) -> None:
    """One transaction: rows not yet stored (nor repeated within the batch); earlier batches are in the store."""
    seen: set[str] = set()
    fresh = []
    existing = repo.existing_ids(s.id for s in batch)
    for s in batch:
        if s.id in existing or s.id in seen:
            result.already_present.append(s.id)
        else:
            seen.add(s.id)
            fresh.append(s)
    if fresh:
        outcome = repo.add_many(fresh, by=by)
        result.imported.extend(outcome.added)
        result.already_present.extend(outcome.already_present)
        _register_new_venues(repo, fresh)


def _register_new_venues(repo: SupportRepository, sessions: list[SupportSession]) -> None:
    """Venues first seen in an import join the venue list, so screens offer them next time."""
    catalog = repo.catalog()
    seen: set[str] = set()
    for s in sessions:
        if s.venue not in seen and catalog.venue(s.venue) is None:
            seen.add(s.venue)
            repo.save_venue(Venue(s.venue, s.venue_type))

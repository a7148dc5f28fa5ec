"""Form templates: one TOML file per form, loaded and validated into dataclasses.

Coordinates are millimetres from the top-left corner of the page (how a clerk measures
a paper form with a ruler). A template has a static drawing layer (frames, labels;
printed only on plain paper) and fields (data; printed in both modes). Errors name the
file and the field so a town editing its own template can fix it without a traceback.
See resources/forms/README.md for the format.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dxdesk.errors import DetailedError

PAGE_SIZES_MM = {"A4": (210.0, 297.0), "A5": (148.0, 210.0), "B5": (182.0, 257.0), "A3": (297.0, 420.0)}
FIELD_TYPES = ("text", "furigana", "comb", "choice", "checkbox", "date", "rows")
STATIC_KINDS = ("text", "rect", "line")
NAMESPACES = ("card", "interview", "computed")
ALIGNS = ("left", "center", "right")
DATE_FORMATS = ("wareki", "wareki_short", "gregorian", "yymmdd")
FONTS = ("mincho", "gothic", "gothic_bold")
# The individual number may appear only in a field that says so (番号法: printing is collecting).
MY_NUMBER_SOURCE = "card.my_number"


class TemplateError(DetailedError):
    """A template file is invalid; the message names the file and the field."""

    ja_lead = "帳票の定義ファイルに誤りがあります。帳票を管理している担当者に連絡してください"


@dataclass(frozen=True)
class Option:
    """One choice of a circled-choice field (男/女, 世帯主/...)."""

    value: str
    label: str
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class Column:
    key: str
    x: float  # offset from the field's x
    w: float
    align: str = "left"
    title: str = ""
    format: str = ""  # "" (as is) or a date format: a cell holding an ISO date is shown in 和暦
    # wrap: a long cell takes more lines (the row grows by whole row heights) instead of shrinking
    # below min_size (0: the field's min_size); the 手続き案内票's ご案内 column (#14).
    wrap: bool = False
    min_size: float = 0.0


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    x: float
    y: float
    w: float
    h: float
    source: str = ""  # "card.name", "interview.phone", "computed.today"; "" with value = constant
    value: Any = None  # constant used when source is empty (or the source has no value)
    size: float = 11.0
    min_size: float = 7.0
    max_lines: int = 0  # 0: as many as the box height allows
    align: str = "left"
    font: str = "mincho"
    cells: int = 0  # comb
    digits_only: bool = False  # comb: drop hyphens and spaces ("123-4567" -> 1234567)
    format: str = "wareki"  # date
    options: tuple[Option, ...] = ()  # choice
    columns: tuple[Column, ...] = ()  # rows
    row_h: float = 8.0  # rows
    allow_my_number: bool = False
    required: bool = False  # a clerk would not hand over the form without it: missing → an issue, not a blank
    draw_frame: bool = True  # plain mode draws comb cells / checkbox squares / choice labels / row grid
    # rows: rows that do not fit continue on another sheet of the same form (header repeated, "1/2"
    # numbered) instead of being left off; the 手続き案内票's procedures (#14).
    continues: bool = False


@dataclass(frozen=True)
class StaticItem:
    kind: str
    x: float = 0.0
    y: float = 0.0
    w: float = 0.0
    h: float = 0.0
    x2: float = 0.0
    y2: float = 0.0
    text: str = ""
    size: float = 9.0
    align: str = "left"
    font: str = "gothic"
    line_width: float = 0.5  # points
    label_w: float = 0.0  # rect: a shaded label column of this width on the left
    fill: bool = False  # rect: light grey background (header cells)
    dash: bool = False


@dataclass(frozen=True)
class QrCorner:
    """``[qr]``: the corner reserved for the hand-off QR code (dxdesk.handoff.qr); mm like everything else.

    Two codes side by side fit when the record is long (``size`` each, ``gap`` between)."""

    x: float
    y: float
    size: float = 24.0
    gap: float = 2.0


@dataclass(frozen=True)
class FormTemplate:
    id: str
    title: str
    width_mm: float
    height_mm: float
    path: Path
    description: str = ""
    fields: tuple[Field, ...] = ()
    static: tuple[StaticItem, ...] = ()
    version: str = "1"  # [form] version: the layout of the hand-off record (its fields); bump when they change
    qr: QrCorner | None = None  # [qr]: print the record as a QR code there (None: no code on this form)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


class _Table:
    """Typed access to one TOML table with errors that say where."""

    def __init__(self, data: Any, where: str, path: Path):
        if not isinstance(data, dict):
            raise TemplateError(f"{path}: {where} must be a table")
        self.data, self.where, self.path = data, where, path
        self.used: set[str] = set()

    def fail(self, msg: str) -> TemplateError:
        return TemplateError(f"{self.path}: {self.where}: {msg}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ..., choices: tuple[Any, ...] = ()) -> Any:
        self.used.add(key)
        if key not in self.data:
            if default is ...:
                raise self.fail(f"missing required key '{key}'")
            return default
        value = self.data[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            name = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            raise self.fail(f"'{key}' must be {name}, got {value!r}")
        if choices and value not in choices:
            raise self.fail(f"'{key}' must be one of {', '.join(choices)}, got {value!r}")
        return value

    def check_unknown(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise self.fail(f"unknown key(s) {', '.join(unknown)} (typo?)")


def _box(t: _Table, page_w: float, page_h: float, need_size: bool = True) -> tuple[float, float, float, float]:
    x, y = t.get("x", float), t.get("y", float)
    w, h = (t.get("w", float), t.get("h", float)) if need_size else (t.get("w", float, 0.0), t.get("h", float, 0.0))
    if need_size and (w <= 0 or h <= 0):
        raise t.fail("w and h must be positive")
    if x < 0 or y < 0 or x + w > page_w + 0.01 or y + h > page_h + 0.01:
        raise t.fail(f"box ({x}, {y}, {w}x{h} mm) lies outside the {page_w}x{page_h} mm page")
    return x, y, w, h


def _parse_field(t: _Table, page_w: float, page_h: float) -> Field:
    name = t.get("name", str)
    t.where = f"field '{name}'"
    ftype = t.get("type", str, choices=FIELD_TYPES)
    x, y, w, h = _box(t, page_w, page_h)
    source = t.get("source", str, "")
    if source:
        ns, _, rest = source.partition(".")
        if ns not in NAMESPACES or not rest:
            raise t.fail(f"source '{source}' must look like card.NAME, interview.NAME or computed.NAME")
    value = t.data.get("value")
    t.used.add("value")
    if not source and value is None and ftype != "rows":
        raise t.fail("needs a 'source' (e.g. card.name) or a constant 'value'")
    allow_mn = t.get("allow_my_number", bool, False)
    if source == MY_NUMBER_SOURCE and not allow_mn:
        raise t.fail("prints the individual number: set allow_my_number = true only if the form requires it")
    size = t.get("size", float, 7.0 if ftype == "furigana" else 11.0)
    min_size = t.get("min_size", float, min(size, 5.0 if ftype == "furigana" else 7.0))
    if not 0 < min_size <= size:
        raise t.fail("need 0 < min_size <= size")
    options: list[Option] = []
    for i, raw in enumerate(t.get("options", list, [])):
        ot = _Table(raw, f"field '{name}' option {i + 1}", t.path)
        ox, oy, ow, oh = _box(ot, page_w, page_h)
        options.append(Option(str(ot.get("value", (str, int))), ot.get("label", str, ""), ox, oy, ow, oh))
        ot.check_unknown()
    if ftype == "choice" and not options:
        raise t.fail("a choice field needs at least one [[field.options]]")
    columns: list[Column] = []
    for i, raw in enumerate(t.get("columns", list, [])):
        ct = _Table(raw, f"field '{name}' column {i + 1}", t.path)
        col = Column(ct.get("key", str), ct.get("x", float), ct.get("w", float),
                     ct.get("align", str, "left", ALIGNS), ct.get("title", str, ""),
                     ct.get("format", str, "", DATE_FORMATS + ("",)), ct.get("wrap", bool, False),
                     ct.get("min_size", float, 0.0))
        if col.x < 0 or col.w <= 0 or col.x + col.w > w + 0.01:
            raise ct.fail("column must lie inside the field's width")
        columns.append(col)
        ct.check_unknown()
    if ftype == "rows" and not columns:
        raise t.fail("a rows field needs [[field.columns]]")
    cells = t.get("cells", int, 0)
    if ftype == "comb" and cells <= 0:
        raise t.fail("a comb field needs cells > 0")
    f = Field(
        name=name, type=ftype, x=x, y=y, w=w, h=h, source=source, value=value, size=size, min_size=min_size,
        max_lines=t.get("max_lines", int, 0), align=t.get("align", str, "left", ALIGNS),
        font=t.get("font", str, "mincho", FONTS), cells=cells, digits_only=t.get("digits_only", bool, False),
        format=t.get("format", str, "wareki", DATE_FORMATS), options=tuple(options), columns=tuple(columns),
        row_h=t.get("row_h", float, 8.0), allow_my_number=allow_mn, draw_frame=t.get("draw_frame", bool, True),
        required=t.get("required", bool, False), continues=t.get("continues", bool, False),
    )
    if f.continues and ftype != "rows":
        raise t.fail("'continues' is for rows fields only")
    t.check_unknown()
    return f


def _parse_static(t: _Table, page_w: float, page_h: float) -> StaticItem:
    kind = t.get("kind", str, choices=STATIC_KINDS)
    common = dict(size=t.get("size", float, 9.0), font=t.get("font", str, "gothic", FONTS),
                  line_width=t.get("line_width", float, 0.5), dash=t.get("dash", bool, False))
    if kind == "line":
        item = StaticItem(kind, x=t.get("x", float), y=t.get("y", float), x2=t.get("x2", float),
                          y2=t.get("y2", float), **common)
        if max(item.x, item.x2) > page_w or max(item.y, item.y2) > page_h:
            raise t.fail("line ends outside the page")
    else:
        x, y, w, h = _box(t, page_w, page_h, need_size=(kind == "rect"))
        item = StaticItem(kind, x=x, y=y, w=w, h=h, text=t.get("text", str, "" if kind == "rect" else ...),
                          align=t.get("align", str, "left", ALIGNS), label_w=t.get("label_w", float, 0.0),
                          fill=t.get("fill", bool, False), **common)
    t.check_unknown()
    return item


def load_template(path: Path) -> FormTemplate:
    """Read and validate one template file; raise TemplateError naming the file and field."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TemplateError(f"{path}: cannot read: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TemplateError(f"{path}: not valid TOML: {exc}") from exc
    form = _Table(data.get("form"), "[form]", path)
    page = form.get("page", str, "A4")
    if page not in PAGE_SIZES_MM:
        raise form.fail(f"unknown page '{page}' (one of {', '.join(PAGE_SIZES_MM)})")
    page_w, page_h = PAGE_SIZES_MM[page]
    if form.get("orientation", str, "portrait", ("portrait", "landscape")) == "landscape":
        page_w, page_h = page_h, page_w
    form_id = form.get("id", str, path.stem)
    title = form.get("title", str)
    description = form.get("description", str, "")
    version = form.get("version", str, "1")
    form.check_unknown()
    qr = _parse_qr(_Table(data["qr"], "[qr]", path), page_w, page_h) if "qr" in data else None
    unknown = sorted(set(data) - {"form", "field", "drawing", "qr"})
    if unknown:
        raise TemplateError(f"{path}: unknown top-level table(s) {', '.join(unknown)}")
    fields = []
    seen: set[str] = set()
    for i, raw in enumerate(data.get("field", [])):
        f = _parse_field(_Table(raw, f"field {i + 1}", path), page_w, page_h)
        if f.name in seen:
            raise TemplateError(f"{path}: field '{f.name}' is defined twice")
        seen.add(f.name)
        fields.append(f)
    drawing = _Table(data.get("drawing", {}), "[drawing]", path)
    items = drawing.get("items", list, [])
    drawing.check_unknown()
    static = [_parse_static(_Table(raw, f"[drawing] item {i + 1}", path), page_w, page_h)
              for i, raw in enumerate(items)]
    return FormTemplate(form_id, title, page_w, page_h, path, description, tuple(fields), tuple(static),
                        version, qr)


def _parse_qr(t: _Table, page_w: float, page_h: float) -> QrCorner:
    """The reserved corner holds two codes side by side (the record split when too long for one)."""
    size, gap = t.get("size", float, 24.0), t.get("gap", float, 2.0)
    x, y = t.get("x", float), t.get("y", float)
    t.check_unknown()
    if size < 15 or gap < 0:
        raise t.fail("size must be at least 15 mm (smaller codes do not scan from paper) and gap 0 or more")
    if x < 0 or y < 0 or x + 2 * size + gap > page_w + 0.01 or y + size > page_h + 0.01:
        raise t.fail(f"two {size} mm codes from ({x}, {y}) do not fit on the {page_w}x{page_h} mm page")
    return QrCorner(x, y, size, gap)

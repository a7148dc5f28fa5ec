"""The hand-off record of one printed form: a JSON document, a CSV row, and a checksum (docs/handoff.md).

Format ``dxdesk-handoff`` version 1. The JSON document::

    {"format": "dxdesk-handoff", "format_version": 1, "form_id": "juminhyo_request", "form_version": "1",
     "form_title": "住民票の写し等交付請求書", "visit_id": "...", "desk_id": "...", "desk_name": "窓口1",
     "clerk": "clerk", "printed_at": "2026-12-02T14:03:00+09:00",
     "fields": {"municipality": "サンプル町", "request_date": "令和8年12月2日", ...},
     "checksum": "crc32:89abcdef"}

``fields`` holds every field of the template, in template order, with the value as printed
(:mod:`dxdesk.handoff.printed`). The checksum is CRC-32 (hex) of the canonical JSON of
``[form_id, form_version, visit_id, fields]`` (compact separators, UTF-8, keys in template order):
a back office that re-keys or scans the record can tell a damaged one. The CSV row has the
metadata columns first, then one column per field in template order, then the checksum
(:func:`csv_header`, documented per form in resources/forms/HANDOFF_COLUMNS.md).
"""
from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dxdesk.csvfiles import spreadsheet_safe
from dxdesk.forms.template import FormTemplate

FORMAT = "dxdesk-handoff"
FORMAT_VERSION = 1
META_COLUMNS = ("format_version", "form_id", "form_version", "visit_id", "desk_id", "desk_name", "clerk",
                "printed_at")


def checksum(form_id: str, form_version: str, visit_id: str, fields: dict[str, Any]) -> str:
    body = json.dumps([form_id, form_version, visit_id, fields], ensure_ascii=False, separators=(",", ":"))
    return f"crc32:{zlib.crc32(body.encode('utf-8')):08x}"


@dataclass(frozen=True, repr=False)
class HandoffRecord:
    form_id: str
    form_version: str
    form_title: str
    visit_id: str
    desk_id: str
    desk_name: str
    clerk: str  # the clerk's login (who printed it)
    printed_at: datetime  # aware, in the desk's zone
    fields: dict[str, Any] = field(default_factory=dict)
    has_my_number: bool = False  # the form printed the individual number (so does the record)

    def __repr__(self) -> str:
        # Shape only: the values are a resident's personal data.
        return f"HandoffRecord({self.form_id} v{self.form_version}, visit {self.visit_id}, {len(self.fields)} fields)"

    @property
    def checksum(self) -> str:
        return checksum(self.form_id, self.form_version, self.visit_id, self.fields)

    def document(self) -> dict[str, Any]:
        return {"format": FORMAT, "format_version": FORMAT_VERSION, "form_id": self.form_id,
                "form_version": self.form_version, "form_title": self.form_title, "visit_id": self.visit_id,
                "desk_id": self.desk_id, "desk_name": self.desk_name, "clerk": self.clerk,
                "printed_at": self.printed_at.isoformat(timespec="seconds"), "fields": self.fields,
                "checksum": self.checksum}

    def csv_row(self) -> list[str]:
        meta = [str(FORMAT_VERSION), self.form_id, self.form_version, self.visit_id, self.desk_id, self.desk_name,
                self.clerk, self.printed_at.isoformat(timespec="seconds")]
        return [spreadsheet_safe(cell) for cell in meta + [csv_cell(v) for v in self.fields.values()]] + [
            self.checksum]

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> "HandoffRecord":
        """Read a JSON document back (the export, a test); checks format and checksum."""
        if doc.get("format") != FORMAT or doc.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"not a {FORMAT} version {FORMAT_VERSION} record")
        record = cls(doc["form_id"], doc["form_version"], doc.get("form_title", ""), doc["visit_id"],
                     doc["desk_id"], doc["desk_name"], doc["clerk"], datetime.fromisoformat(doc["printed_at"]),
                     dict(doc["fields"]))
        if doc.get("checksum") != record.checksum:
            raise ValueError("record checksum does not match its contents")
        return record


def csv_cell(value: Any) -> str:
    """A field value in a CSV cell: checkboxes 1/0, rows as JSON, text as printed."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return "" if value is None else str(value)


def header_for(field_names: Iterable[str]) -> list[str]:
    """CSV columns: the metadata, the fields in template order, the checksum."""
    return [*META_COLUMNS, *field_names, "checksum"]


def csv_header(template: FormTemplate) -> list[str]:
    """The stable column order of a form's CSV (resources/forms/HANDOFF_COLUMNS.md lists it per form)."""
    return header_for(f.name for f in template.fields)


def build_record(template: FormTemplate, data: Any, *, visit_id: str, desk_id: str, desk_name: str, clerk: str,
                 printed_at: datetime) -> HandoffRecord:
    """The record of ``template`` filled from ``data`` (a FormData with its computed values) as printed."""
    from dxdesk.handoff.printed import printed_values, prints_my_number

    return HandoffRecord(template.id, template.version, template.title, visit_id, desk_id, desk_name, clerk,
                         printed_at, printed_values(template, data), prints_my_number(template, data))

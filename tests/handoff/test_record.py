"""The record format itself: checksum, round trip, CSV cells, and the documented column order."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from dxdesk.forms import FormData, find_template
from dxdesk.handoff.columns import document
from dxdesk.handoff.printed import printed_values
from dxdesk.handoff.record import HandoffRecord, build_record, csv_cell
from dxdesk.resources import resource_path

JST = timezone(timedelta(hours=9))


def sample() -> HandoffRecord:
    template = find_template("juminhyo_request")
    data = FormData(card={"name": "黒桐\u3000幹也", "address": "北海道白老町大町１丁目１番地", "birth_date": "1980-02-17"},
                    interview={"postal_code": "059-0902", "phone": "=HYPERLINK(1)"}).with_computed(
        today=datetime(2026, 12, 2).date(), municipality="白老町")
    return build_record(template, data, visit_id="v-1", desk_id="d-1", desk_name="窓口1", clerk="clerk",
                        printed_at=datetime(2026, 12, 2, 14, 3, tzinfo=JST))


def test_values_as_printed() -> None:
    record = sample()
    assert record.fields["postal_code"] == "0590902"  # a digits-only comb drops the hyphen, as on paper
    assert record.fields["request_date"] == "令和8年12月2日"
    assert record.fields["municipality"] == "白老町" and not record.has_my_number


def test_round_trip_and_checksum() -> None:
    record = sample()
    doc = record.document()
    assert HandoffRecord.from_document(doc).fields == record.fields
    assert doc["printed_at"] == "2026-12-02T14:03:00+09:00" and doc["checksum"].startswith("crc32:")
    doc["fields"]["municipality"] = "別の町"
    with pytest.raises(ValueError, match="checksum"):
        HandoffRecord.from_document(doc)


def test_csv_cells_are_excel_safe() -> None:
    row = sample().csv_row()
    assert "'=HYPERLINK(1)" in row  # a formula typed as an answer stays text in Excel (the JSON keeps it as is)
    assert csv_cell(True) == "1" and csv_cell(False) == "0" and csv_cell([{"a": "b"}]) == '[{"a":"b"}]'


def test_printed_values_follow_the_template_order() -> None:
    template = find_template("koseki_request")
    assert list(printed_values(template, FormData())) == [f.name for f in template.fields]


def test_the_documented_columns_are_the_templates_columns() -> None:
    documented = resource_path("forms/HANDOFF_COLUMNS.md").read_text(encoding="utf-8")
    assert documented == document(), "run: python -m dxdesk.handoff.columns > resources/forms/HANDOFF_COLUMNS.md"

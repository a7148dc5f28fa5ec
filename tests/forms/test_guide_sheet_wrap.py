"""#14: the 手続き案内票's ご案内 column wraps onto more lines instead of shrinking below 9 pt."""
from __future__ import annotations

import dataclasses
import io
import re
import subprocess

from pypdf import PdfReader

from dxdesk.forms import fill_form, find_template

from .helpers import fixture_data

LONG_NOTE = "保険証の交付は後日郵送します。世帯主の方の本人確認書類と、加入する方全員のマイナンバーカードをお持ちください"


def font_sizes(pdf: bytes) -> list[float]:
    text = "".join(p.get_contents().get_data().decode("latin-1") for p in PdfReader(io.BytesIO(pdf)).pages)
    return [float(size) for size in re.findall(r"/\S+ ([\d.]+) Tf", text)]


def procedures_only():
    """The guide sheet with only its procedures table: every font size in the PDF is the table's."""
    template = find_template("guide_sheet")
    return dataclasses.replace(template, fields=(template.field("procedures"),), static=())


def test_long_follow_on_notes_wrap_at_nine_points_or_more():
    rows = [{"name": "転入届", "status": "完了", "next_window": "", "note": "住民票の異動が済みました"},
            {"name": "国民健康保険の加入", "status": "次へ", "next_window": "3番", "note": LONG_NOTE},
            {"name": "児童手当の認定請求", "status": "次へ", "next_window": "5番", "note": LONG_NOTE},
            {"name": "印鑑登録", "status": "次へ", "next_window": "1番", "note": "登録する印鑑をお持ちください"}]
    result = fill_form(procedures_only(), fixture_data(procedures=rows))
    assert not result.issues  # every row printed, none cut
    sizes = font_sizes(result.pdf)
    assert sizes and min(sizes) >= 9.0, sizes


def test_rows_that_no_longer_fit_are_reported_not_shrunk_on_a_table_that_does_not_continue():
    template = procedures_only()
    table = dataclasses.replace(template.field("procedures"), continues=False)
    rows = [{"name": f"手続き{i}", "status": "次へ", "next_window": "2番", "note": LONG_NOTE} for i in range(6)]
    result = fill_form(dataclasses.replace(template, fields=(table,)), fixture_data(procedures=rows))
    assert [(i.kind, i.field) for i in result.issues] == [("overflow", "procedures")]
    assert "not printed" in result.issues[0].message
    assert min(font_sizes(result.pdf)) >= 9.0
    assert len(PdfReader(io.BytesIO(result.pdf)).pages) == 1


def pdftotext_pages(pdf: bytes, tmp_path) -> list[str]:
    """The text of each page as poppler reads it (what a screen reader or a search would find)."""
    path = tmp_path / "guide.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    return text.rstrip("\f").split("\f")


def test_a_long_list_continues_on_a_second_sheet_with_the_header_and_page_numbers(tmp_path):
    """#14: rows that do not fit go on to a second sheet: the sheet's heading, the resident's name and the
    table header repeated, "1/2" and "2/2", every procedure printed, nothing reported as cut."""
    rows = [{"name": f"手続き{i}", "status": "次へ", "next_window": f"{i}番", "note": LONG_NOTE} for i in range(1, 7)]
    result = fill_form("guide_sheet", fixture_data(procedures=rows))
    assert result.issues == []
    assert len(PdfReader(io.BytesIO(result.pdf)).pages) == 2
    first, second = pdftotext_pages(result.pdf, tmp_path)
    for page, number in ((first, "1/2"), (second, "2/2")):
        assert "手続き案内票" in page and "ご案内" in page and "次の窓口" in page  # heading and table header
        assert number in page
    assert "2/2" not in first
    assert "マイナンバーカードから読み取った項目" in first and "マイナンバーカードから読み取った項目" not in second
    printed = [name for name in (r["name"] for r in rows) if name in first + second]
    assert printed == [r["name"] for r in rows]
    assert not any(r["name"] in first and r["name"] in second for r in rows)  # each row on one sheet only
    assert min(font_sizes(result.pdf)) >= 8.0  # nothing shrunk to fit (8 pt: the read-items note)


def test_a_short_list_stays_on_one_sheet_without_a_page_number(tmp_path):
    rows = [{"name": "転入届", "status": "完了", "next_window": "", "note": "住民票の異動が済みました"}]
    result = fill_form("guide_sheet", fixture_data(procedures=rows))
    [page] = pdftotext_pages(result.pdf, tmp_path)
    assert "1/1" not in page and "転入届" in page

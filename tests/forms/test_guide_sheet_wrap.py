"""#14: the 手続き案内票's ご案内 column wraps onto more lines instead of shrinking below 9 pt."""
from __future__ import annotations

import dataclasses
import io
import re

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


def test_rows_that_no_longer_fit_are_reported_not_shrunk():
    rows = [{"name": f"手続き{i}", "status": "次へ", "next_window": "2番", "note": LONG_NOTE} for i in range(6)]
    result = fill_form(procedures_only(), fixture_data(procedures=rows))
    assert [(i.kind, i.field) for i in result.issues] == [("overflow", "procedures")]
    assert "not printed" in result.issues[0].message
    assert min(font_sizes(result.pdf)) >= 9.0

"""Forms engine: every real form fills, text lands in its box, fonts embedded, modes, calibration, merge."""
from __future__ import annotations

import dataclasses
import io
import re

import pytest
from pypdf import PdfReader
from reportlab.pdfgen import canvas

from dxdesk.config import Calibration
from dxdesk.forms import FormData, TemplateError, fill_form, find_template
from dxdesk.forms.layout import fit_text
from dxdesk.forms.overlay import OverlayError

from .helpers import MM, find, fixture_data, fonts, inside, words

FORMS = ["juminhyo_request", "idou_todoke", "inkan_request", "koseki_request", "tax_certificate_request", "guide_sheet"]


def content(pdf: bytes) -> str:
    return "".join(p.get_contents().get_data().decode("latin-1") for p in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("form", FORMS)
def test_each_form_fills_cleanly_with_name_in_its_box(form, tmp_path):
    result = fill_form(form, fixture_data(purpose="other"))
    assert result.issues == []
    t = find_template(form)
    ws = words(result.pdf, tmp_path)
    name = t.field("name")
    in_box = [w.text for w in ws if inside(w, name.x, name.y, name.w, name.h)]
    assert in_box == ["吉田", "花子"]  # 吉田　花子: the ideographic space splits the words
    embedded = {f["name"].split("+", 1)[1]: f for f in fonts(result.pdf, tmp_path) if "+" in f["name"]}
    bizud = [n for n in embedded if n.startswith("BIZUD")]
    assert bizud, embedded
    assert all(embedded[n]["emb"] == "yes" and embedded[n]["sub"] == "yes" for n in bizud)
    assert find(ws, t.title if form != "guide_sheet" else "手続き案内票")


def test_wareki_dates_printed(tmp_path):
    ws = words(fill_form("juminhyo_request", fixture_data()).pdf, tmp_path)
    birth = find_template("juminhyo_request").field("birth_date")
    assert inside(find(ws, "昭和25年4月1日"), birth.x, birth.y, birth.w, birth.h)
    find(ws, "令和7年4月1日")


def test_comb_digits_one_per_cell_hyphen_dropped(tmp_path):
    f = find_template("juminhyo_request").field("postal_code")
    ws = words(fill_form("juminhyo_request", fixture_data(postal_code="059-0903")).pdf, tmp_path)
    cell = f.w / f.cells
    digits = [w for w in ws if re.fullmatch(r"\d", w.text) and inside(w, f.x, f.y, f.w, f.h)]
    assert "".join(d.text for d in sorted(digits, key=lambda d: d.x0)) == "0590903"
    for i, d in enumerate(sorted(digits, key=lambda d: d.x0)):
        assert inside(d, f.x + i * cell, f.y, cell, f.h)


def test_comb_overflow_reported():
    result = fill_form("juminhyo_request", fixture_data(postal_code="059-09031"))
    assert [(i.kind, i.field) for i in result.issues] == [("overflow", "postal_code")]


def test_long_text_shrinks_then_wraps_then_reports_overflow(tmp_path):
    long_address = "北海道白老郡サンプル町大町一丁目２番３号　サンプルハイツ１０１号室" * 2
    fit = fit_text(long_address, "mincho", 150 * MM, 10 * MM, 12, 8)
    assert len(fit.lines) == 2 and not fit.overflow and 8 <= fit.size < 12
    result = fill_form("juminhyo_request", FormData.from_dict(
        {"card": {"name": "吉田　花子", "address": long_address * 3}}).with_computed())
    assert [(i.kind, i.field) for i in result.issues] == [("overflow", "address")]


def test_circle_choice_draws_ellipse_only_for_chosen_value(tmp_path):
    def curves(relationship):
        pdf = fill_form("juminhyo_request", FormData(interview={"relationship": relationship}), mode="overlay").pdf
        return content(pdf).count(" c\n")
    assert curves("") == 0
    assert curves("self") == 4  # an ellipse is four Bézier segments
    bad = fill_form("juminhyo_request", FormData(card={"name": "吉田　花子", "address": "サンプル町"},
                                                 interview={"relationship": "cousin"}), mode="overlay")
    assert [(i.kind, i.field) for i in bad.issues] == [("bad_value", "relationship")]


def test_fallback_font_for_outside_bmp_name(tmp_path):
    data = FormData(card={"name": "\U00020BB7田\u3000花子", "address": "サンプル町"})
    result = fill_form("juminhyo_request", data)
    names = [f["name"] for f in fonts(result.pdf, tmp_path)]
    assert any(n.endswith("IPAmjMincho") for n in names), names
    assert result.issues == []
    missing = fill_form("juminhyo_request", data, use_fallback=False)
    assert [(i.kind, i.field) for i in missing.issues] == [("missing_glyph", "name")]
    assert "U+20BB7" in missing.issues[0].message


def test_overlay_mode_has_no_frames_or_labels(tmp_path):
    data = fixture_data()
    plain = fill_form("juminhyo_request", data, mode="plain").pdf
    overlay = fill_form("juminhyo_request", data, mode="overlay").pdf
    assert re.search(r" re\b", content(plain))
    # no rectangles and no dashed comb dividers; the only strokes left are the data's ✓ marks
    assert not re.search(r" re\b", content(overlay)) and not re.search(r"\] \d+ d\b", content(overlay))
    assert re.search(r"\] \d+ d\b", content(plain))
    texts = {w.text for w in words(overlay, tmp_path)}
    assert "吉田" in texts and "住所" not in texts and "氏名" not in texts


def test_calibration_shifts_content_by_exact_points(tmp_path):
    data = fixture_data()
    base = find(words(fill_form("juminhyo_request", data, mode="overlay").pdf, tmp_path), "吉田")
    moved_pdf = fill_form("juminhyo_request", data, mode="overlay", calibration=Calibration(dx_mm=10, dy_mm=5)).pdf
    moved = find(words(moved_pdf, tmp_path), "吉田")
    assert moved.x0 - base.x0 == pytest.approx(10 * MM, abs=0.05)
    assert moved.y0 - base.y0 == pytest.approx(5 * MM, abs=0.05)
    scaled = find(words(fill_form("juminhyo_request", data, mode="overlay",
                                  calibration=Calibration(scale_x=1.01, scale_y=0.99)).pdf, tmp_path), "吉田")
    assert scaled.x0 == pytest.approx(base.x0 * 1.01, abs=0.3)


def _town_pdf(width_mm=210.0) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(width_mm * MM, 297 * MM))
    c.setFont("Helvetica", 10)
    c.drawString(30, 800, "TOWNFORM")
    c.rect(40, 40, 100, 100)
    c.showPage()
    c.save()
    return buf.getvalue()


def test_merge_onto_town_pdf(tmp_path):
    merged = fill_form("juminhyo_request", fixture_data(), onto=_town_pdf()).pdf
    texts = {w.text for w in words(merged, tmp_path)}
    assert {"TOWNFORM", "吉田", "花子"} <= texts
    assert "住所" not in texts  # the town's PDF has the labels; we add data only
    with pytest.raises(OverlayError, match="mm"):
        fill_form("juminhyo_request", fixture_data(), onto=_town_pdf(width_mm=182))


def test_my_number_printed_only_when_given_and_only_where_allowed(tmp_path, dxdesk_home):
    data = fixture_data()
    with_number = {w.text for w in words(fill_form("idou_todoke", data).pdf, tmp_path)}
    assert {"1", "8"} <= with_number
    data.card.pop("my_number")
    f = find_template("idou_todoke").field("my_number")
    ws = words(fill_form("idou_todoke", data).pdf, tmp_path)
    assert not [w for w in ws if inside(w, f.x, f.y, f.w, f.h)]
    for form in FORMS:  # only the 異動届 asks for it
        fields = find_template(form).fields
        assert [x.name for x in fields if x.source == "card.my_number"] == (["my_number"] if form == "idou_todoke" else [])
    town = dxdesk_home / "data" / "forms"
    town.mkdir(parents=True)
    (town / "leaky.toml").write_text('[form]\ntitle = "x"\n[[field]]\nname = "mn"\ntype = "text"\n'
                                     'source = "card.my_number"\nx = 1\ny = 1\nw = 10\nh = 10\n', encoding="utf-8")
    with pytest.raises(TemplateError, match=r"leaky\.toml: field 'mn': .*allow_my_number"):
        find_template("leaky")


def test_rows_field_and_row_overflow(tmp_path):
    many = [{"name": f"手続き{i}", "status": "完了"} for i in range(9)]
    result = fill_form("guide_sheet", fixture_data(procedures=many))
    # The guide sheet's table continues on a second sheet (test_guide_sheet_wrap.py); a table that does
    # not continue reports the rows it left off.
    assert result.issues == [] and len(PdfReader(io.BytesIO(result.pdf)).pages) == 2
    table = dataclasses.replace(find_template("guide_sheet").field("procedures"), continues=False)
    template = dataclasses.replace(find_template("guide_sheet"), fields=(table,))
    result = fill_form(template, fixture_data(procedures=many))
    assert [(i.kind, i.field) for i in result.issues] == [("overflow", "procedures")]
    assert "2 not printed" in result.issues[0].message
    ws = words(fill_form("guide_sheet", fixture_data()).pdf, tmp_path)
    f = find_template("guide_sheet").field("procedures")
    row2 = find(ws, "国民健康保険の加入")
    assert inside(row2, f.x, f.y + 2 * f.row_h, f.columns[0].w, f.row_h)  # header row, then row 1, then row 2
    assert "123456789018" not in "".join(w.text for w in ws)


def test_town_template_overrides_bundled(dxdesk_home):
    town = dxdesk_home / "data" / "forms"
    town.mkdir(parents=True)
    text = find_template("inkan_request").path.read_text(encoding="utf-8")
    (town / "inkan_request.toml").write_text(text.replace('title = "印鑑登録証明書交付申請書"', 'title = "印鑑証明申請書"'),
                                             encoding="utf-8")
    assert find_template("inkan_request").title == "印鑑証明申請書"
    assert fill_form("inkan_request", fixture_data()).issues == []


@pytest.mark.parametrize("body,expected", [
    ('[form]\ntitle = "x"\n[[field]]\nname = "a"\ntype = "txt"\nsource = "card.name"\nx = 1\ny = 1\nw = 1\nh = 1\n',
     r"bad\.toml: field 'a': 'type' must be one of"),
    ('[form]\ntitle = "x"\n[[field]]\nname = "a"\ntype = "text"\nsource = "card.name"\nx = 200\ny = 1\nw = 20\nh = 1\n',
     r"field 'a': box .* outside"),
    ('[form]\ntitle = "x"\n[[field]]\nname = "a"\ntype = "text"\nsorce = "card.name"\nx = 1\ny = 1\nw = 1\nh = 1\n',
     r"field 'a': needs a 'source'"),
    ('[form]\ntitle = "x"\n[[field]]\nname = "a"\ntype = "text"\nsource = "card.name"\nx = 1\ny = 1\nw = 1\nh = 1\nsz = 3\n',
     r"unknown key\(s\) sz"),
    ('[form\n', r"bad\.toml: not valid TOML"),
])
def test_bad_templates_name_file_and_field(tmp_path, body, expected):
    path = tmp_path / "bad.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(TemplateError, match=expected):
        find_template(str(path))

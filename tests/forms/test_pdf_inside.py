"""What is inside a filled PDF: every font embedded, non-BMP kanji extract as themselves, PDF/A-2b."""
from __future__ import annotations

import io
import json
import subprocess

import pytest
from pypdf import PdfReader

from dxdesk.cli import main
from dxdesk.forms import FormData, discover, fill_form
from dxdesk.forms.pdfcanvas import to_unicode_cmap
from dxdesk.forms.pdfa import to_pdfa

from .helpers import DATA, fonts

RARE = {"family_name": "𠮷田", "given_name": "𩸽子", "name": "𠮷田\u3000𩸽子"}


def _rare_data() -> dict:
    raw = json.loads((DATA / "resident.json").read_text(encoding="utf-8"))
    raw["card"].update(RARE)
    # Forms that print someone other than the card holder (戸籍の筆頭者, 対象者, 世帯主) get the names too.
    for key in ("target_name", "hittousha", "new_head", "old_head"):
        raw["interview"][key] = RARE["name"]
    raw["interview"]["purpose"] = "other"  # valid on every form that asks
    return raw


def _text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "t.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_cmap_writes_surrogate_pairs_above_the_bmp():
    cmap = to_unicode_cmap("X", [0x20, 0x5409, 0x20BB7, 0x29E3D])
    assert "<01> <5409>" in cmap
    assert "<02> <D842DFB7>" in cmap  # 𠮷 as UTF-16BE, not the five digits <20BB7>
    assert "<03> <D867DE3D>" in cmap  # 𩸽


@pytest.mark.parametrize("form_id", sorted(discover()[0]))
def test_every_bundled_form_embeds_all_fonts_and_extracts_rare_kanji(form_id, tmp_path):
    result = fill_form(form_id, FormData.from_dict(_rare_data()).with_computed())
    assert not [i for i in result.issues if i.kind == "missing_glyph"]
    rows = fonts(result.pdf, tmp_path)
    assert rows, "no fonts listed"
    assert all(r["emb"] == "yes" for r in rows), rows
    assert not any("Helvetica" in r["name"] for r in rows), rows
    text = _text(result.pdf, tmp_path)
    assert "𠮷" in text and "𩸽" in text, text[:300]
    assert "₻" not in text and "⧣" not in text  # the old truncated U+20BB / U+29E3


def test_calibration_page_has_no_stray_helvetica(tmp_path):
    from dxdesk.forms.calibration import calibration_page

    rows = fonts(calibration_page(), tmp_path)
    assert rows and all(r["emb"] == "yes" for r in rows) and not any("Helvetica" in r["name"] for r in rows)


def test_pdfa_has_xmp_identification_and_srgb_intent(tmp_path, capsys):
    data = tmp_path / "d.json"
    data.write_text(json.dumps(_rare_data(), ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "a.pdf"
    assert main(["form", "fill", "juminhyo_request", "--data", str(data), "--out", str(out), "--pdfa"]) == 0
    assert "PDF/A-2b" in capsys.readouterr().out
    reader = PdfReader(str(out))
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert "<pdfaid:part>2</pdfaid:part>" in xmp and "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    assert "住民票の写し等交付請求書" in xmp and reader.metadata.title == "住民票の写し等交付請求書"
    intent = root["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFA1"
    profile = intent["/DestOutputProfile"].get_object()
    assert profile["/N"] == 3 and profile.get_data()[36:40] == b"acsp"  # an ICC profile
    assert reader.trailer.get("/ID")
    assert all(r["emb"] == "yes" for r in fonts(out.read_bytes(), tmp_path))
    text = _text(out.read_bytes(), tmp_path)
    assert "𠮷" in text and "𩸽" in text


def test_pdfa_keeps_pages():
    result = fill_form("guide_sheet", FormData.from_dict(_rare_data()).with_computed())
    assert len(PdfReader(io.BytesIO(to_pdfa(result.pdf, "手続き案内票"))).pages) == 1

"""dxdesk form ... end to end through the real CLI dispatcher."""
from __future__ import annotations

import json

from pypdf import PdfReader

from dxdesk.cli import main
from dxdesk.config import Calibration, load_settings, save_settings

from .helpers import DATA


def test_list_shows_all_forms(capsys):
    assert main(["form", "list"]) == 0
    out = capsys.readouterr().out
    for title in ("住民異動届", "住民票の写し等交付請求書", "印鑑登録証明書交付申請書", "戸籍証明書等交付請求書",
                  "税証明交付請求書", "手続き案内票"):
        assert title in out


def test_fill_writes_pdf_and_check_passes(tmp_path, capsys):
    out = tmp_path / "out.pdf"
    assert main(["form", "fill", "juminhyo_request", "--data", str(DATA / "resident.json"), "--out", str(out)]) == 0
    assert len(PdfReader(str(out)).pages) == 1
    assert main(["form", "check", "juminhyo_request", "--data", str(DATA / "resident.json")]) == 0
    assert "OK" in capsys.readouterr().out


def test_check_fails_on_overflow_without_leaking_value(tmp_path, capsys):
    raw = json.loads((DATA / "resident.json").read_text(encoding="utf-8"))
    raw["card"]["address"] = "サンプル町大町一丁目" * 30
    data = tmp_path / "d.json"
    data.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    assert main(["form", "check", "juminhyo_request", "--data", str(data)]) == 1
    err = capsys.readouterr().err
    assert "overflow: address" in err and "大町" not in err


def test_fill_with_calibration_and_onto(tmp_path, capsys):
    settings = load_settings()
    settings.forms.calibrations["窓口プリンタ"] = Calibration(dx_mm=1.5, dy_mm=-0.5)
    save_settings(settings)
    out = tmp_path / "o.pdf"
    args = ["form", "fill", "juminhyo_request", "--data", str(DATA / "resident.json"), "--out", str(out)]
    assert main(args + ["--mode", "overlay", "--calibration", "窓口プリンタ"]) == 0
    assert oct(out.stat().st_mode & 0o777) == "0o600"  # a filled form holds a resident's data: owner-only
    assert main(args + ["--calibration", "nope", "--force"]) == 2
    assert "no calibration for printer 'nope'" in capsys.readouterr().err
    merged = tmp_path / "m.pdf"
    assert main(["form", "fill", "juminhyo_request", "--data", str(DATA / "resident.json"), "--out", str(merged),
                 "--onto", str(out)]) == 0
    assert main(["form", "calibration-page", "--out", str(tmp_path / "cal.pdf")]) == 0
    assert (tmp_path / "cal.pdf").read_bytes().startswith(b"%PDF")


def test_fill_never_replaces_a_file_without_force_and_never_the_database(tmp_path, capsys):
    from dxdesk.paths import app_paths
    from dxdesk.store.database import open_database

    open_database().close()
    db_file = app_paths().database_file
    before = db_file.read_bytes()
    out = tmp_path / "letter.pdf"
    out.write_bytes(b"someone else's file")
    args = ["form", "fill", "juminhyo_request", "--data", str(DATA / "resident.json")]
    assert main(args + ["--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err and out.read_bytes() == b"someone else's file"
    assert main(args + ["--out", str(db_file), "--force"]) == 2
    assert "dxdesk's own files" in capsys.readouterr().err and db_file.read_bytes() == before
    assert main(args + ["--out", str(out), "--force"]) == 0
    assert out.read_bytes().startswith(b"%PDF")


def test_bad_template_and_bad_data_are_one_line_errors(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[form]\ntitle = "x"\n[[field]]\nname = "zip"\ntype = "comb"\nsource = "interview.zip"\n'
                   'x = 1\ny = 1\nw = 10\nh = 5\n', encoding="utf-8")
    assert main(["form", "check", str(bad), "--data", str(DATA / "resident.json")]) == 2
    err = capsys.readouterr().err
    assert "bad.toml: field 'zip': a comb field needs cells > 0" in err and "Traceback" not in err
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    assert main(["form", "check", "juminhyo_request", "--data", str(broken)]) == 2
    assert "broken.json" in capsys.readouterr().err


def test_data_that_json_does_not_allow_is_refused_before_printing(tmp_path, capsys):
    # Python's json reads NaN (a name printed as "nan"); an editor saves Shift_JIS (the codec's words).
    nan = tmp_path / "nan.json"
    nan.write_text('{"card": {"name": NaN, "address": "東京都"}}', encoding="utf-8")
    out = tmp_path / "out.pdf"
    assert main(["form", "fill", "juminhyo_request", "--data", str(nan), "--out", str(out)]) == 2
    assert f"{nan}: NaN is not a JSON value" in capsys.readouterr().err and not out.exists()
    sjis = tmp_path / "sjis.json"
    sjis.write_bytes('{"card": {"name": "山田 太郎"}}'.encode("shift_jis"))
    assert main(["form", "fill", "juminhyo_request", "--data", str(sjis), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "is not UTF-8 text" in err and "save it as UTF-8" in err and "codec" not in err and not out.exists()


def test_bench_prints_mean(capsys):
    from tools.bench.__main__ import main as bench_main

    assert bench_main(["form", "-n", "2"]) == 0
    assert "ms mean over 2" in capsys.readouterr().out

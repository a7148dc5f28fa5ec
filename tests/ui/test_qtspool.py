"""``dxdesk form print`` where there is no CUPS ``lp`` (Windows): Qt's print engine in raster bands.

Here the platform's printer is a private cupsd's CUPS-PDF queue reached through Qt's own CUPS
engine (as a Windows driver is reached through Qt's Windows engine), with ``lp`` hidden from dxdesk:
what the queue captures is compared with the filled form, and the print is signed in and audited.
"""
from __future__ import annotations

import sqlite3

import pytest

from dxdesk.cli import main
from dxdesk.config import Calibration, load_settings, save_settings
from dxdesk.forms import fill_form, printing
from dxdesk.forms.cli import _data
from dxdesk.paths import app_paths
from printcompare import RESIDENT, assert_same_print
from tools.cupsd import PrivateCups, missing_reason

pytestmark = [pytest.mark.ui, pytest.mark.skipif(missing_reason() is not None,
                                                 reason=f"no private CUPS: {missing_reason()}")]


@pytest.fixture
def cups():
    with PrivateCups() as server:  # a fresh scheduler: its first job is QUEUE-1
        yield server


@pytest.fixture
def no_lp(monkeypatch):
    """dxdesk sees no CUPS ``lp``, as on Windows."""
    monkeypatch.setattr(printing, "cups_available", lambda: False)


def _print_events() -> list[str]:
    with sqlite3.connect(app_paths().database_file) as conn:
        return [d for (d,) in conn.execute("SELECT details FROM audit_events WHERE event_type = 'form.print'")]


def test_form_print_without_cups_prints_through_qt_signed_in_and_audited(qapp, cups, no_lp, desk_accounts,
                                                                           tmp_path, capsys):
    settings = load_settings()
    settings.forms.calibrations[cups.queue] = Calibration(dx_mm=-1.0)  # the chosen printer's own
    save_settings(settings)
    argv = ["form", "print", "juminhyo_request", "--data", str(RESIDENT), "--printer", cups.queue]
    assert main([*argv, "--as", "helper"]) == 2 and "not allowed" in capsys.readouterr().err
    assert main([*argv, "--as", "clerk"]) == 0, capsys.readouterr().err
    assert f"sent 住民票の写し等交付請求書 to {cups.queue}" in capsys.readouterr().out
    [captured] = cups.wait_for_pdfs([f"{cups.queue}-1"])
    expected = fill_form("juminhyo_request", _data(RESIDENT), settings.forms.default_mode, Calibration(dx_mm=-1.0))
    assert_same_print(expected.pdf, captured.read_bytes(), tmp_path)
    [event] = _print_events()
    assert cups.queue in event and '"path": "raster"' in event and '"copies": 1' in event


def test_an_unknown_printer_without_cups_is_a_sentence_and_not_audited(qapp, cups, no_lp, desk_accounts, capsys):
    argv = ["form", "print", "juminhyo_request", "--data", str(RESIDENT), "--printer", "窓口のプリンタ", "--as", "clerk"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "no printer named '窓口のプリンタ' on this computer" in err and cups.queue in err  # says which exist
    assert "Traceback" not in err and _print_events() == []
    assert main([*argv[:-4], "--printer", cups.queue, "--copies", "0", "--as", "clerk"]) == 2
    assert "copies must be between 1 and 99" in capsys.readouterr().err and _print_events() == []

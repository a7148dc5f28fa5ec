"""`dxdesk --self-test` from source: every step passes, failures are named, the user's data is untouched."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from dxdesk import selftest
from dxdesk.cardreader.testdata import PERSON_KOKUTOU
from dxdesk.forms import FormData, fill_form

REPO = Path(__file__).resolve().parents[2]
STEP_NAMES = [name for name, _ in selftest.STEPS]


def personal_strings() -> list[str]:
    holder = PERSON_KOKUTOU.holder
    return [holder.family_name, holder.given_name, holder.address, PERSON_KOKUTOU.my_number,
            holder.birth_date.isoformat(), PERSON_KOKUTOU.code_b]


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DXDESK_HOME": str(home)}
    env.pop("QT_QPA_PLATFORM", None)  # the self-test must choose offscreen itself
    return subprocess.run([sys.executable, "-m", "dxdesk", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


def test_self_test_from_source_passes_and_reports_every_step(dxdesk_home):
    out = run_cli("--self-test", home=dxdesk_home)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert "(source," in lines[0]
    for name in STEP_NAMES:
        assert any(line.split()[:2] == ["OK", name] and line.split()[3] == "ms" for line in lines), name
    assert lines[-1] == f"self-test passed: {len(STEP_NAMES)} steps OK"
    for secret in personal_strings():
        assert secret not in out.stdout and secret not in out.stderr


def test_self_test_leaves_the_users_home_alone(dxdesk_home):
    out = run_cli("self-test", home=dxdesk_home)  # the subcommand spelling does the same
    assert out.returncode == 0, out.stdout + out.stderr
    # Only the log may be written: no settings, database or key file of the user's is created.
    assert not (dxdesk_home / "config").exists() or not any((dxdesk_home / "config").iterdir())
    assert not any((dxdesk_home / "data").glob("*.sqlite3"))
    log_text = (dxdesk_home / "logs" / "dxdesk.log").read_text(encoding="utf-8")
    assert "self-test report:" in log_text and "self-test passed" in log_text  # for a windowed .exe
    for secret in personal_strings():
        assert secret not in log_text


def _fail(message: str):
    def step(ctx: selftest._Context) -> str:
        raise selftest.CheckFailed(message)
    return step


def _crash(ctx: selftest._Context) -> str:
    raise RuntimeError("boom")


def test_failures_are_named_and_exit_1_and_the_environment_is_restored(monkeypatch, dxdesk_home):
    seen_homes: list[str] = []

    def resources_and_home(ctx: selftest._Context) -> str:
        seen_homes.append(os.environ["DXDESK_HOME"])
        return selftest._check_resources(ctx)

    monkeypatch.setattr(selftest, "STEPS", (
        ("resources", resources_and_home),
        ("card", _fail("the simulated card read back different basic information")),
        ("database", _crash),
    ))
    out = io.StringIO()
    assert selftest.run_self_test(out) == 1
    report = out.getvalue().splitlines()
    assert report[1].split()[:2] == ["OK", "resources"]
    assert report[2].split()[:2] == ["FAIL", "card"] and report[2].endswith("different basic information")
    assert report[3].split()[:2] == ["FAIL", "database"] and report[3].endswith("RuntimeError: boom")
    assert report[-1] == "self-test FAILED: card, database"
    # Steps ran in a throwaway home, which is gone afterwards; the caller's home is back.
    assert seen_homes and seen_homes[0] != str(dxdesk_home) and not Path(seen_homes[0]).exists()
    assert os.environ["DXDESK_HOME"] == str(dxdesk_home)


def test_missing_fonts_are_reported_by_file_name(monkeypatch, tmp_path):
    monkeypatch.setattr("dxdesk.fonts.missing_bundled_fonts", lambda: [tmp_path / "BIZUDGothic-Regular.ttf"])
    with pytest.raises(selftest.CheckFailed, match="BIZUDGothic-Regular.ttf"):
        selftest._check_resources(selftest._Context(tmp_path, None))


def test_embedded_font_detection_tells_embedded_from_standard_fonts():
    form = fill_form("juminhyo_request", FormData().with_computed()).pdf
    assert "BIZUDGothic-Regular" in selftest._embedded_fonts(form)

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont("Helvetica", 12)  # a standard PDF font: referenced by name, never embedded
    c.drawString(100, 700, "no embedded font")
    c.save()
    assert selftest._embedded_fonts(buf.getvalue()) == set()


def test_a_build_without_keyring_entry_points_fails_the_drivers_step(monkeypatch, tmp_path):
    # What a frozen build without keyring's package metadata looks like: no backend can be discovered.
    monkeypatch.setattr("importlib.metadata.entry_points", lambda **kw: [])
    with pytest.raises(selftest.CheckFailed, match="keyring backend .* is not registered"):
        selftest._check_drivers(selftest._Context(tmp_path, None))

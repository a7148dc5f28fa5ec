import subprocess
import sys

from dxdesk import doctor, fonts
from dxdesk.doctor import Status, run_checks
from dxdesk.paths import app_paths


def _by_name(results):
    return {r.name: r for r in results}


def test_missing_font_is_a_failure_with_a_fix(monkeypatch, tmp_path):
    gone = fonts.FontFile("BIZ UDGothic", tmp_path / "missing.ttf")
    monkeypatch.setattr(fonts, "BUNDLED", (gone,))
    monkeypatch.setattr(fonts, "GOTHIC", gone)
    result = _by_name(run_checks())["Japanese font"]
    assert result.status is Status.FAIL
    assert "missing.ttf" in result.detail
    report = doctor.format_report(run_checks())
    assert "cannot run" in report and "resources/fonts" in report


def test_unwritable_home_is_reported(monkeypatch, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    # A path under a regular file cannot be created, even by root.
    monkeypatch.setenv("DXDESK_HOME", str(blocker / "home"))
    result = _by_name(run_checks(app_paths()))["Data folders"]
    assert result.status is Status.FAIL
    assert "DXDESK_HOME" in result.fix


def test_doctor_cli_writes_only_under_home(tmp_path):
    home = tmp_path / "x"
    outside = tmp_path / "outside"
    outside.mkdir()
    env = {"DXDESK_HOME": str(home), "HOME": str(outside), "XDG_CONFIG_HOME": str(outside / "c"),
           "XDG_DATA_HOME": str(outside / "d"), "XDG_CACHE_HOME": str(outside / "k"),
           "XDG_STATE_HOME": str(outside / "s"), "PATH": "/usr/bin:/bin",
           "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    proc = subprocess.run([sys.executable, "-m", "dxdesk", "doctor"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert "dxdesk doctor" in proc.stdout
    assert "Japanese font" in proc.stdout
    assert proc.returncode in (0, 1)
    assert list(outside.rglob("*")) == [], "doctor wrote outside DXDESK_HOME"
    assert (home / "logs" / "dxdesk.log").exists()


def test_a_broken_settings_file_is_one_failed_line_and_no_crashed_checks(capsys):
    # A settings.toml with a typo: the Settings line says where; the checks that need the settings
    # say they waited for it, instead of "check crashed" and a traceback on the console.
    from dxdesk.cli import main

    app_paths().ensure().settings_file.write_text("[general\n", encoding="utf-8")
    results = _by_name(run_checks())
    assert results["Settings"].status is Status.FAIL and "settings.toml" in results["Settings"].detail
    assert "keep its desk_id" in results["Settings"].fix
    assert results["Keyring"].detail == "not checked: settings.toml cannot be read"
    assert not [r for r in results.values() if "crashed" in r.detail]
    assert main(["doctor"]) == 1
    out, err = capsys.readouterr()
    assert "crashed" not in out + err and "Traceback" not in out + err

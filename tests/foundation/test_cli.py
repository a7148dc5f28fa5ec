import subprocess
import sys

from dxdesk import __version__
from dxdesk.cli import main


def test_version(capsys):
    try:
        main(["--version"])
    except SystemExit as exc:
        assert exc.code == 0
    assert __version__ in capsys.readouterr().out


def test_python_dash_m_works():
    proc = subprocess.run([sys.executable, "-m", "dxdesk", "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0
    assert "doctor" in proc.stdout


def _parser_with(handler):
    """The real dispatcher with one extra subcommand whose handler is ``handler``."""
    import argparse

    parser = argparse.ArgumentParser(prog="dxdesk")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--self-test", action="store_true")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("boom").set_defaults(func=handler)
    return lambda modules=None: parser  # main() passes the command modules it needs


def test_a_bad_settings_file_is_one_line_not_a_traceback(monkeypatch, capsys):
    from dxdesk.config import load_settings
    from dxdesk.paths import app_paths

    app_paths().ensure().settings_file.write_text("[security]\nidle_lock_minutes = true\n", encoding="utf-8")
    monkeypatch.setattr("dxdesk.cli.build_parser", _parser_with(lambda args: load_settings()))
    assert main(["boom"]) == 2
    err = capsys.readouterr().err
    assert "settings.toml" in err and "idle_lock_minutes" in err and "Traceback" not in err


def test_an_unexpected_error_goes_to_the_log_not_the_console(monkeypatch, capsys):
    from dxdesk.paths import app_paths

    def handler(args):
        raise ValueError("name 黒桐幹也 number 537686677188")

    monkeypatch.setattr("dxdesk.cli.build_parser", _parser_with(handler))
    assert main(["boom"]) == 1
    err = capsys.readouterr().err
    assert "ValueError" in err and "log file" in err
    assert "Traceback" not in err and "黒桐" not in err and "537686677188" not in err
    logged = app_paths().log_file.read_text(encoding="utf-8")
    assert "Traceback" in logged and "handler" in logged  # the frames are kept for whoever debugs it
    assert "黒桐" not in logged and "537686677188" not in logged


def test_input_ending_at_a_prompt_is_a_sentence_not_an_unexpected_error(tmp_path):
    """A script that pipes too few lines (or a closed terminal) ends the password prompt's input."""
    import os

    env = {**os.environ, "DXDESK_HOME": str(tmp_path / "home")}
    # A new session has no controlling terminal, so getpass reads the (empty) standard input.
    proc = subprocess.run([sys.executable, "-m", "dxdesk", "support", "list", "--as", "admin"],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, env=env,
                          start_new_session=True)
    assert proc.returncode == 2, proc.stderr
    assert "the input ended before a prompt was answered" in proc.stderr
    assert "unexpected error" not in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_reader_that_closes_the_pipe_early_is_not_an_error(tmp_path):
    # `dxdesk doctor | head -1`, `dxdesk audit list ... | head`: the reader leaves before the output ends.
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader already left: every write fails with EPIPE
    try:
        proc = subprocess.run([sys.executable, "-m", "dxdesk", "doctor"], stdout=write_end, stderr=subprocess.PIPE,
                              text=True, timeout=120, env={**os.environ, "DXDESK_HOME": str(tmp_path / "home")})
    finally:
        os.close(write_end)
    assert proc.returncode == 141  # 128 + SIGPIPE, as a shell reports it
    assert "unexpected error" not in proc.stderr and "Traceback" not in proc.stderr
    assert "BrokenPipeError" not in proc.stderr


def test_an_argument_that_is_not_utf8_is_one_sentence(capsys, tmp_path):
    # A venue typed in Shift_JIS on a UTF-8 terminal reaches Python as lone surrogates: it was an
    # "unexpected error (UnicodeEncodeError)" for a filter and a codec message for a login.
    from dxdesk.cli import _undecodable_argument

    sjis_venue = b"\x93\x81".decode("utf-8", "surrogateescape")
    for argv in (["support", "list", "--as", "boss", "--venue", sjis_venue],
                 ["support", "list", f"--venue={sjis_venue}", "--as", "boss"],
                 ["support", "list", "--as", b"\xff\xfe".decode("utf-8", "surrogateescape")]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "is not valid text: it holds bytes that are not UTF-8" in err and "Traceback" not in err
        assert "\udcff" not in err and "\udc93" not in err
    # A file name in an existing folder is taken as the OS gave it (names from an old file share).
    odd_name = str(tmp_path / b"\xfe.pdf".decode("utf-8", "surrogateescape"))
    assert _undecodable_argument(["support", "report", "--pdf", odd_name]) == 0
    assert _undecodable_argument(["support", "report", "--pdf", "/no/such/folder/" + sjis_venue]) == 4


def test_a_password_that_is_not_utf8_is_one_sentence(desk_accounts, monkeypatch, capsys, tmp_path):
    # A script piping a Shift_JIS password: it was "'utf-8' codec can't encode characters ...".
    import io

    undecodable = b"\xff\xfe pass".decode("utf-8", "surrogateescape")
    monkeypatch.setattr("getpass.getpass", lambda prompt="": undecodable)
    assert main(["support", "list", "--as", "boss"]) == 2
    err = capsys.readouterr().err
    assert "the password given holds bytes that are not UTF-8 text" in err and "codec" not in err
    monkeypatch.setattr("sys.stdin", io.StringIO(undecodable + "\n"))
    out = tmp_path / "backup.sqlite3"
    assert main(["db", "backup", str(out), "--as", "admin", "--password-stdin"]) == 2
    assert "not UTF-8 text" in capsys.readouterr().err and not out.exists()


def test_a_log_folder_that_cannot_be_written_says_what_to_do(monkeypatch, capsys, tmp_path):
    # A read-only or full disk, or a file where the log folder should be (refused for root too).
    home = tmp_path / "home"
    home.mkdir()
    (home / "logs").write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("DXDESK_HOME", str(home))
    assert main(["db", "status"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"dxdesk: cannot write the log file {home / 'logs'}: ")
    assert "set DXDESK_HOME to a writable folder" in err and "[Errno" not in err

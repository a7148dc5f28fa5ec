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

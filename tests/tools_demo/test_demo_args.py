"""tools/demo.py argument handling (the visit itself needs pcscd+vpcd: see README "Demo").

The demo lives outside the installed package: it drives the window with QtTest, which the frozen
build leaves out, so `dxdesk demo` is no longer a command.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dxdesk.cli import build_parser

TOOLS = Path(__file__).resolve().parents[2] / "tools"
sys.path.insert(0, str(TOOLS))

import demo  # noqa: E402


def test_sizes_parse_and_bad_ones_are_explained():
    assert demo.parse_size("1366x768") == (1366, 768)
    assert demo.parse_size(" 1920 × 1080 ") == (1920, 1080)
    for bad in ("1366", "10x10", "1366x768x2", "wide"):
        with pytest.raises(demo.UserError, match="--size"):
            demo.parse_size(bad)


def test_the_demo_is_a_repository_tool_not_a_dxdesk_command():
    with pytest.raises(SystemExit):
        build_parser().parse_args(["demo"])
    args = demo.build_parser().parse_args(["--size", "1366x768"])
    assert args.size == ["1366x768"] and args.port == 35963


def test_a_bad_argument_is_one_line_without_loading_qt():
    result = subprocess.run([sys.executable, str(TOOLS / "demo.py"), "--port", "1"], capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == ["demo: --port must be a vpcd slot port (35963-35978)"]

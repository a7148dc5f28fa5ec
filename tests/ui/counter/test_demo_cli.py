"""`dxdesk demo` argument handling (the visit itself needs pcscd+vpcd: run `dxdesk demo`, see README "Demo")."""
from __future__ import annotations

import subprocess
import sys

import pytest

from dxdesk.cli import UserError, build_parser
from dxdesk.democli import parse_size


def test_sizes_parse_and_bad_ones_are_explained():
    assert parse_size("1366x768") == (1366, 768)
    assert parse_size(" 1920 × 1080 ") == (1920, 1080)
    for bad in ("1366", "10x10", "1366x768x2", "wide"):
        with pytest.raises(UserError, match="--size"):
            parse_size(bad)


def test_demo_is_a_subcommand_and_the_cli_does_not_load_qt():
    args = build_parser().parse_args(["demo", "--size", "1366x768"])
    assert args.size == ["1366x768"] and args.port == 35963
    code = "import sys, dxdesk.cli as c; c.build_parser(); print('PySide6' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"

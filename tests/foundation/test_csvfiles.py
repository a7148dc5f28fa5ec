"""The shared CSV helpers: formula guard, its inverse, atomic BOM-marked writes."""
from __future__ import annotations

import pytest

from dxdesk.csvfiles import spreadsheet_safe, undo_spreadsheet_safe, write_text_atomic


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1", "-3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_starts_become_text_and_come_back(text):
    assert spreadsheet_safe(text) == "'" + text
    assert undo_spreadsheet_safe(spreadsheet_safe(text)) == text


@pytest.mark.parametrize("text", ["", "'", "'abc", "公民館", "2026-10-01", "a=b"])
def test_ordinary_text_is_untouched_both_ways(text):
    assert spreadsheet_safe(text) == text
    assert undo_spreadsheet_safe(text) == text


def test_write_text_atomic_writes_bom_and_keeps_crlf(tmp_path):
    path = write_text_atomic(tmp_path / "out.csv", "a,b\r\n1,2\r\n")
    assert path.read_bytes() == b"\xef\xbb\xbfa,b\r\n1,2\r\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_a_failed_write_leaves_neither_file_nor_temporary(tmp_path):
    with pytest.raises(UnicodeEncodeError):
        write_text_atomic(tmp_path / "out.csv", "ok\ud800", encoding="utf-8")  # a lone surrogate cannot be encoded
    assert list(tmp_path.iterdir()) == []

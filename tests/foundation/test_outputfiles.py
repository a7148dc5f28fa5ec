"""dxdesk.outputfiles: an output that cannot be written names the file the person chose and leaves nothing behind."""
from __future__ import annotations

from pathlib import Path

import pytest

from dxdesk.errors import as_dx_error
from dxdesk.outputfiles import write_private


def test_a_missing_folder_is_named_by_the_chosen_file_not_the_temporary(tmp_path: Path):
    out = tmp_path / "no such folder" / "report.csv"
    with pytest.raises(OSError) as raised:
        write_private(out, b"x")
    assert raised.value.filename == str(out)
    error = as_dx_error(raised.value)
    assert error is not None
    assert error.message.en == (f"Cannot read or write {out}: No such file or directory. "
                                "Check the location and its permissions, then try again.")
    assert ".part" not in error.message.en and ".part" not in error.message.ja


def test_a_failed_write_leaves_neither_the_file_nor_a_temporary(tmp_path: Path):
    class Interrupted(Exception):
        pass

    from dxdesk.outputfiles import private_file

    with pytest.raises(Interrupted):
        with private_file(tmp_path / "half.csv", encoding="utf-8") as fh:
            fh.write("a,b\r\n")
            raise Interrupted
    assert list(tmp_path.iterdir()) == []

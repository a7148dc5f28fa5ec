"""One dxdesk per data folder: the instance lock taken by open_database(exclusive=True)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from signin import AS_ADMIN
from dxdesk.cli import main
from dxdesk.paths import app_paths
from dxdesk.store.database import open_database
from dxdesk.store.errors import DatabaseInUseError, StoreError
from dxdesk.store.instancelock import InstanceLock, lock_path_for


def test_second_exclusive_open_is_refused_with_a_clear_message() -> None:
    first = open_database(exclusive=True)
    try:
        with pytest.raises(DatabaseInUseError) as refused:
            open_database(exclusive=True)
        assert refused.value.message.ja.startswith("dxdesk は既にこのパソコンで起動しています")
        assert "already running" in str(refused.value)
        assert lock_path_for(first.path).exists() and first.instance_lock is not None
        # Commands that may run beside the app (reports, user admin) still open it.
        beside = open_database()
        beside.close()
    finally:
        first.close()


def test_lock_is_released_on_close() -> None:
    open_database(exclusive=True).close()
    again = open_database(exclusive=True)  # the lock file is still there; the lock is not
    assert again.instance_lock is not None and again.instance_lock.held
    again.close()
    assert not again.instance_lock.held


def test_a_failed_open_gives_the_lock_back(tmp_path: Path) -> None:
    paths = app_paths().ensure()
    paths.database_file.write_bytes(b"this is not a sqlite database, but not empty either" * 100)
    with pytest.raises(StoreError):
        open_database(exclusive=True)
    with InstanceLock.acquire(paths.database_file):  # nothing left held by the failed open
        pass


_HOLDER = """
import sys
from dxdesk.store.database import open_database
db = open_database(exclusive=True)
print("locked", flush=True)
sys.stdin.read()  # hold it until killed
"""


def test_lock_of_a_killed_process_does_not_block(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, env=dict(os.environ))
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(DatabaseInUseError):
            open_database(exclusive=True)
        holder.send_signal(signal.SIGKILL)  # a crash: no close(), the lock file stays behind
        holder.wait(10)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(10)
    assert lock_path_for(app_paths().database_file).exists()
    db = open_database(exclusive=True)  # the OS dropped the lock with the process
    db.close()


def test_restore_and_rotate_key_refuse_while_the_app_holds_the_lock(tmp_path: Path, capsys, desk_accounts) -> None:
    backup = tmp_path / "copy.sqlite3"
    assert main(["db", "backup", str(backup), *AS_ADMIN]) == 0
    app = open_database(exclusive=True)
    try:
        assert main(["db", "restore", str(backup), *AS_ADMIN, "--yes"]) == 2
        assert "close it before restoring" in capsys.readouterr().err
        assert main(["db", "rotate-key", *AS_ADMIN, "--yes"]) == 2
        assert "close it before rotating the key" in capsys.readouterr().err
        assert main(["db", "upgrade", *AS_ADMIN]) == 2
        assert "already running" in capsys.readouterr().err
    finally:
        app.close()
    assert main(["db", "restore", str(backup), *AS_ADMIN, "--yes"]) == 0
    assert main(["db", "rotate-key", *AS_ADMIN, "--yes"]) == 0


def test_a_restore_in_progress_keeps_the_app_from_starting(tmp_path: Path, monkeypatch, desk_accounts) -> None:
    backup = tmp_path / "copy.sqlite3"
    assert main(["db", "backup", str(backup), *AS_ADMIN]) == 0
    seen: list[BaseException] = []

    from dxdesk.app import backuprestore

    validate = backuprestore.validate_restore_source

    def validate_while_app_starts(staging, settings, paths, *rest):  # the app starts mid-restore
        with pytest.raises(DatabaseInUseError) as refused:
            open_database(exclusive=True)
        seen.append(refused.value)
        return validate(staging, settings, paths, *rest)

    monkeypatch.setattr(backuprestore, "validate_restore_source", validate_while_app_starts)
    assert main(["db", "restore", str(backup), *AS_ADMIN, "--yes"]) == 0
    assert len(seen) == 1
    open_database(exclusive=True).close()  # and free again afterwards

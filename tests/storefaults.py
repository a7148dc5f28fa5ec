"""Real failure conditions for the local database, shared by the CLI and the window's tests.

* ``read_only(path)``: the file or folder really cannot be written. As a normal user that
  is ``chmod a-w``. The test suite usually runs as root, for whom mode bits do not stop
  writes, so there it is the immutable attribute (``chattr +i``), which the kernel
  enforces for root too; where neither works (root without CAP_LINUX_IMMUTABLE, or a
  file system without the attribute) the test is skipped, saying why.
* ``write_lock_held_by_another_program(path)``: a separate Python process opens the
  database with the plain sqlite3 module and holds a write transaction, as a database
  viewer or a backup tool would.
* ``damage_*``: change one stored value, or the file itself, with the sqlite3 module / raw bytes.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(mode & ~0o222)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    chattr = shutil.which("chattr")
    if chattr is None:
        pytest.skip("running as root (chmod does not stop root) and chattr is not installed")
    done = subprocess.run([chattr, "+i", str(path)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"running as root and chattr +i is refused here: {done.stderr.strip()}")
    try:
        assert not os.access(path, os.W_OK), "the read-only condition must be real"
        yield
    finally:
        subprocess.run([chattr, "-i", str(path)], check=True)


_HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
conn.execute("BEGIN IMMEDIATE")  # the write lock (in WAL mode EXCLUSIVE means the same)
conn.execute("CREATE TABLE IF NOT EXISTS other_program (x)")
print("held", flush=True)
sys.stdin.readline()  # hold it until the test says so
conn.rollback()
"""


@contextmanager
def write_lock_held_by_another_program(path: Path) -> Iterator[None]:
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=30)


def _execute(path: Path, sql: str) -> None:
    conn = sqlite3.connect(path)
    try:
        with conn:
            assert conn.execute(sql).rowcount >= 1
    finally:
        conn.close()


def damage_ciphertext(path: Path, table: str, column: str) -> None:
    """Flip the end of one row's ciphertext (its authentication tag), as a bad sector or an edit would."""
    _execute(path, f"UPDATE {table} SET {column} = substr({column}, 1, length({column}) - 6) || 'AAAAA=' "
                   f"WHERE rowid = (SELECT min(rowid) FROM {table} WHERE {column} IS NOT NULL)")


def damage_value(path: Path, table: str, column: str, value: str) -> None:
    """Store ``value`` (which does not parse as the column's type) in one row."""
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = (SELECT min(rowid) FROM {table})", (value,))
    finally:
        conn.close()


def truncate_file(path: Path) -> None:
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.truncate(size // 2)


def garble_header(path: Path) -> None:
    with path.open("r+b") as f:
        f.write(b"not a database, just bytes " * 8)

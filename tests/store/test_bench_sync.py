"""``python -m tools.bench sync`` end to end, small, against the session's PostgreSQL."""
from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tools.bench.__main__ import main

pytestmark = pytest.mark.postgres


def _scratch_databases(pg_server) -> list[str]:
    with psycopg.connect(f"host={pg_server.host} port={pg_server.port} user=postgres dbname=postgres") as conn:
        return [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'dxdesk_bench_%'")]


def test_bench_sync_times_a_full_and_a_resumed_sync(pg_server, capsys):
    args = ["sync", "--sessions", "60", "--visits", "20", "--steps", "2", "--batch-size", "25",
            "--server", pg_server.url("postgres"), "--insecure-no-tls"]
    assert main(args) == 0
    out = capsys.readouterr().out
    # 60 + 20 * (1 + 2) = 120 entries in 5 batches; interrupted after batch 2 committed, batch 1 confirmed.
    assert "= 120 outbox entries" in out
    assert "full sync: sent 120 entries" in out
    assert "interrupted after batch 2: server has 50 of 120 rows, desk confirmed 25" in out
    assert "resumed sync: sent 95 entries (= 120 - 25 confirmed)" in out
    assert "server now has 120 rows, 0 still waiting" in out
    assert "resume sent only the missing part" in out
    # Another desk pulls the 60 sessions once; its next (no-op) sync reads no row.
    assert "second desk: first pull of 60 rows" in out
    assert "then a no-op sync pulled 0 rows" in out
    assert _scratch_databases(pg_server) == []  # the bench cleans up after itself


def test_bench_sync_explains_bad_arguments(capsys):
    assert main(["sync", "--server", "mysql://x@h/db"]) == 2
    assert "PostgreSQL URL" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["sync", "--sessions", "0"])
    assert "must be at least 1" in capsys.readouterr().err


def test_dxdesk_db_bench_sync_is_the_same_bench(pg_server, capsys, tmp_path, monkeypatch):
    """The issue's name for it: ``dxdesk db bench-sync`` runs the same bench from a source checkout."""
    from dxdesk.cli import main as dxdesk_main

    monkeypatch.setenv("DXDESK_HOME", str(tmp_path / "home"))
    args = ["db", "bench-sync", "--sessions", "30", "--visits", "10", "--steps", "1", "--batch-size", "20",
            "--server", pg_server.url("postgres"), "--insecure-no-tls"]
    assert dxdesk_main(args) == 0
    out = capsys.readouterr().out
    assert "full sync: sent 50 entries" in out  # 30 + 10 * (1 + 1)
    assert "resume sent only the missing part" in out
    assert _scratch_databases(pg_server) == []


def test_dxdesk_db_bench_sync_from_a_checkout_that_lost_its_tools_says_where_it_is(capsys, tmp_path, monkeypatch):
    """Registered in a checkout, then tools/ is gone (a trimmed copy): a sentence and exit 2, no traceback.
    (An installed build does not offer the command at all: tests/foundation/test_shipped.py.)"""
    from dxdesk.cli import main as dxdesk_main
    from dxdesk.store import benchsynccli

    monkeypatch.setenv("DXDESK_HOME", str(tmp_path / "home"))
    parser_first = iter([Path(".")])  # registration sees a checkout; the run no longer does
    monkeypatch.setattr(benchsynccli, "repository_root", lambda: next(parser_first, None))
    assert dxdesk_main(["db", "bench-sync"]) == 2
    err = capsys.readouterr().err
    assert "source checkout" in err and "Traceback" not in err

"""The audit log at 100,000 or 1,000,000 events (``python -m tools.bench audit -n 100000``).

A throw-away ``DXDESK_HOME`` gets a real desk with accounts (:func:`support_store.prepare_desk`);
the events are appended through :meth:`AuditLog.append_in` (the product's append path: keyed
hash, gap check, outbox row, head note), a thousand per writer job as a busy import does.
Then, each as a whole ``dxdesk audit verify`` process (start-up and sign-in included):
the first verify with ``--full``, a routine verify right after it (only the new events
after its checkpoint), and a routine verify after 1,000 more events. Timings are printed,
never asserted.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tools.bench.support_store import PASSWORD, Timing, prepare_desk, run_cli

FILL_BATCH = 1_000
VERIFY = ["audit", "verify", "--as", "boss"]


def _entries(count: int, offset: int) -> list[Any]:
    from dxdesk.security.audit import AuditEntry, EventType, Item

    out = []
    for i in range(offset, offset + count):
        if i % 3 == 0:
            out.append(AuditEntry(EventType.CARD_READ, "bench", jimu_type="転入", reason="住所変更",
                                  items=(Item.BASIC4,)))
        elif i % 3 == 1:
            out.append(AuditEntry(EventType.PRINT, "bench", details={"form": "tennyu", "pages": 1}))
        else:
            out.append(AuditEntry(EventType.SUPPORT_CHANGE, "bench", details={"what": "support.add", "rows": 1}))
    return out


def fill_events(n_events: int, batch: int = FILL_BATCH) -> float:
    """Append ``n_events`` through AuditLog.append_in, ``batch`` per transaction; returns seconds."""
    from dxdesk.security.audit import AuditLog
    from dxdesk.store.database import open_database

    db = open_database()
    try:
        audit = AuditLog(db)
        started = time.perf_counter()
        done = 0
        while done < n_events:
            entries = _entries(min(batch, n_events - done), done)
            db.writer.run(lambda orm: [audit.append_in(orm, e) for e in entries], timeout=None)
            done += len(entries)
            print(f"\rappended {done:,} / {n_events:,}", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        return time.perf_counter() - started
    finally:
        db.close()


def single_appends(count: int) -> float:
    """Milliseconds per event for ``count`` events appended one transaction each (AuditLog.append)."""
    from dxdesk.security.audit import AuditLog
    from dxdesk.store.database import open_database

    db = open_database()
    try:
        audit = AuditLog(db)
        entries = _entries(count, 0)
        started = time.perf_counter()
        for entry in entries:
            audit.append(entry)
        return (time.perf_counter() - started) * 1000 / count
    finally:
        db.close()


def bench_audit(n_events: int, *, single: int = 1_000, home: Path | None = None) -> list[Timing]:
    """``home``: keep the filled desk there and reuse it on the next run (the 1,000,000 fill takes minutes)."""
    with tempfile.TemporaryDirectory(prefix="dxdesk-bench-") as tmp:
        root = Path(home or tmp)
        env = dict(os.environ, DXDESK_HOME=str(root / "home"), DXDESK_BENCH_PASSWORD=PASSWORD)
        # Bytecode cached, as a town PC runs it (see support_store.bench_support_store).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.setdefault("PYTHONPYCACHEPREFIX", str(Path(tempfile.gettempdir()) / "dxdesk-bench-pycache"))
        filled = root / "filled"  # written once the fill finished: a reused desk is never half filled
        saved = os.environ.get("DXDESK_HOME")
        os.environ["DXDESK_HOME"] = env["DXDESK_HOME"]
        try:
            timings: list[Timing] = []
            if not filled.exists():
                prepare_desk(root)
                fill_seconds = fill_events(n_events)
                filled.write_text(f"{n_events}\n")
                timings.append(Timing(f"append {n_events:,} events, {FILL_BATCH:,} per transaction "
                                      f"({fill_seconds * 1e6 / n_events:.0f} µs/event)", fill_seconds, 0.0, 0))
            run_cli("warm-up", ["--version"], env)  # fills the bytecode cache; not timed
            timings.append(run_cli(f"audit verify --full ({n_events:,} events)", [*VERIFY, "--full"], env))
            timings.append(run_cli("audit verify right after (from the checkpoint)", VERIFY, env))
            per_event = single_appends(single)
            timings.append(Timing(f"append {single:,} events, one transaction each ({per_event:.2f} ms/event)",
                                  per_event * single / 1000, 0.0, 0))
            timings.append(run_cli(f"audit verify after {single:,} new events (from the checkpoint)", VERIFY, env))
        finally:
            if saved is None:
                os.environ.pop("DXDESK_HOME", None)
            else:
                os.environ["DXDESK_HOME"] = saved
    return timings

"""Migration 0011: a desk keeps no desk_id index it never uses; the audit chain's look-ups still use an index."""
from __future__ import annotations

import sqlite3
from contextlib import closing

from dxdesk.store.database import open_database


def test_the_desk_has_no_single_value_desk_id_indexes_and_the_chain_lookups_stay_indexed():
    db = open_database()
    db.close()
    with closing(sqlite3.connect(db.path)) as conn:
        indexes = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        for table in ("audit_events", "support_sessions", "visits", "visit_steps", "forms_printed"):
            assert f"ix_{table}_desk_id" not in indexes
        assert "ix_clerks_desk_id" in indexes  # small tables keep theirs: not worth a migration
        plan = " ".join(str(row[-1]) for row in conn.execute(
            "EXPLAIN QUERY PLAN SELECT seq, hash FROM audit_events WHERE desk_id = 'd' ORDER BY seq DESC LIMIT 1"))
        # The unique (desk_id, seq) constraint's own index (SQLite names it sqlite_autoindex_...).
        assert plan.startswith("SEARCH audit_events USING INDEX sqlite_autoindex_audit_events"), plan

"""No poison batch (#13 item 2): a record the server refuses is set aside with its reason, the rest goes on."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from dxdesk.store.server import parse_server_url
from dxdesk.store.sync import SyncEngine, set_aside_records

from .conftest import desk_settings
from .test_sync_pg import _count, _support

pytestmark = pytest.mark.postgres


@pytest.fixture
def server(pg_url):
    engine = create_engine(parse_server_url(pg_url))
    yield engine
    engine.dispose()


def _desk(make_db, pg_url, name="desk-a", batch=4):
    settings = desk_settings(server_url=pg_url, lab_no_tls=True)
    settings.store.sync_batch_size = batch
    db = make_db(name, settings=settings)
    return db, SyncEngine(db, settings.store)


def _server_rule(server):
    """A rule the server enforces and the desk does not know (as a newer server, or a hand-made constraint)."""
    with server.begin() as conn:
        conn.execute(text("ALTER TABLE support_sessions ADD CONSTRAINT ck_test_no_closed_venue "
                          "CHECK (venue <> 'closed-hall')"))


def test_refused_record_is_set_aside_with_reason_and_the_rest_goes_on(make_db, pg_url, server):
    db, engine = _desk(make_db, pg_url)
    engine.run_once()  # the server schema exists
    _server_rule(server)
    before = [_support(db) for _ in range(3)]
    refused = _support(db, venue="closed-hall")
    after = [_support(db) for _ in range(6)]

    result = engine.run_once()

    assert (result.sent, result.pending, result.set_aside) == (9, 0, 1)
    assert _count(server, "support_sessions") == len(before) + len(after)
    aside = set_aside_records(db)
    assert [(t, r) for t, r, _ in aside] == [("support_sessions", refused)]
    assert "check failed" in aside[0][2] and "ck_test_no_closed_venue" in aside[0][2]
    assert "closed-hall" not in aside[0][2]  # the reason never carries record data
    assert db.pending_count() == 0 and db.set_aside_count() == 1

    # Later syncs do not resend it (no poison loop) and keep reporting it.
    again = engine.run_once()
    assert (again.sent, again.set_aside) == (0, 1)

    # The administrator fixes the cause, then resends.
    with server.begin() as conn:
        conn.execute(text("ALTER TABLE support_sessions DROP CONSTRAINT ck_test_no_closed_venue"))
    assert engine.retry_set_aside() == 1
    fixed = engine.run_once()
    assert (fixed.sent, fixed.pending, fixed.set_aside) == (1, 0, 0)
    assert _count(server, "support_sessions") == 10


def test_a_lost_connection_never_sets_anything_aside(make_db, pg_url, server):
    from dxdesk.store.sync import ServerUnreachableError

    db, engine = _desk(make_db, pg_url)
    for _ in range(3):
        _support(db)
    dead = SyncEngine(db, engine.settings,
                      server_engine=create_engine("postgresql+psycopg://nobody@127.0.0.1:1/x?connect_timeout=1"))
    with pytest.raises(ServerUnreachableError):
        dead.run_once()
    assert db.set_aside_count() == 0 and db.pending_count() == 3


def test_a_value_the_server_cannot_read_in_a_copy_batch_sets_aside_that_record_only(make_db, pg_url, server):
    """A batch goes up as COPY: a stored value the server refuses (here a damaged date-time, as a broken
    disk or a hand edit leaves) fails the COPY itself; the batch is halved down to that record, the
    others arrive, and the reason names the refusal, not the value."""
    db, engine = _desk(make_db, pg_url, batch=8)
    engine.run_once()
    good = [_support(db) for _ in range(7)]
    damaged = _support(db)
    with db.engine.begin() as conn:  # below the ORM, as damage would be: the outbox entry is the original one
        conn.exec_driver_sql("UPDATE support_sessions SET started_at = 'yesterday-ish 25:99' WHERE id = ?",
                             (damaged,))

    result = engine.run_once()

    assert (result.sent, result.pending, result.set_aside) == (7, 0, 1)
    with server.connect() as conn:
        ids = set(conn.execute(text("SELECT id FROM support_sessions")).scalars())
    assert ids == set(good)
    [(table, record, reason)] = set_aside_records(db)
    assert (table, record) == ("support_sessions", damaged)
    assert reason.startswith("invalid value") and "SQLSTATE 22" in reason and "25:99" not in reason
    assert engine.connectivity.status().set_aside_count == 1

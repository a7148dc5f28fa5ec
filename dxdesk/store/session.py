"""The store's Session class: stamps the origin desk, guards the audit log, feeds the outbox.

Doing this in a flush hook (rather than in each caller) is what guarantees the
outbox row is written in the same transaction as the change it describes: if the
transaction rolls back, both disappear; if it commits, both are there.

A desk that never had a server queues nothing (issue #17: its outbox grew forever). The
``desk_state`` marker is read inside the writing transaction, so a ``db set-server`` in
another process (which enqueues every existing record and sets the marker in one
transaction, :func:`start_queuing`) splits writers cleanly: a change committed before it
is picked up by its INSERT ... SELECT, a change committed after it sees the marker.
"""
from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, delete, event, insert, literal, select
from sqlalchemy.orm import Session, UOWTransaction

from dxdesk.store.base import Base, RecordMixin, UTCDateTime, new_id, utcnow
from dxdesk.i18n import Msg
from dxdesk.store.errors import AppendOnlyError, StoreError
from dxdesk.store.models import PUSHED_TABLES, AuditEvent, DeskState, Outbox, natural_id

_ORDER = {name: i for i, name in enumerate(PUSHED_TABLES)}
# Records only the desk that created them may change (docs/sync.md "one owner per record"): two desks
# editing one record offline could never agree again, since a desk never pulls its own records back.
OWNED_TABLES = frozenset({"visits", "visit_steps", "forms_printed", "support_sessions"})


class NotOwnerError(StoreError):
    """A change to a record another desk created (it is read-only here)."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        super().__init__(Msg(
            f"この記録は別の端末（{owner}）で作成されたため、この端末では変更・削除できません（閲覧のみ）。"
            "変更が必要な場合は、作成した端末で行ってください。",
            f"This record was created on another desk ({owner}) and is read-only here; "
            "change it on the desk that created it.",
        ))


class StoreSession(Session):
    """A Session bound to one desk (``info["desk_id"]``)."""


@event.listens_for(StoreSession, "before_flush")
def _before_flush(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
    if session.info.get("read_only") and (session.new or session.deleted or session.dirty):
        # Writes from read sessions would bypass the single writer (and SQLite's lock order).
        raise RuntimeError("this session is read-only: write through Database.writer.submit()")
    desk_id = session.info.get("desk_id", "")
    for obj in list(session.deleted) + [o for o in session.dirty if session.is_modified(o)]:
        if isinstance(obj, AuditEvent):
            raise AppendOnlyError()
        if (desk_id and isinstance(obj, RecordMixin) and obj.__table__.name in OWNED_TABLES  # type: ignore[attr-defined]
                and obj.desk_id and obj.desk_id != desk_id):
            raise NotOwnerError(obj.desk_id)

    if session.info.get("training"):
        # 研修モード: records are stamped like any other but never queued for the server.
        for obj in session.new:
            if isinstance(obj, RecordMixin):
                obj.desk_id = obj.desk_id or desk_id
                obj.id = obj.id or new_id()
        return
    entries: list[tuple[int, str, str, str]] = []
    for obj in session.new:
        if isinstance(obj, RecordMixin):
            if not obj.desk_id:
                obj.desk_id = desk_id
            if not obj.id:
                # needed now so the outbox row can name it; catalogue rows get their natural-key id
                obj.id = natural_id(obj) or new_id()
            entries.append(_entry(obj, "upsert"))
    for obj in session.dirty:
        if isinstance(obj, RecordMixin) and session.is_modified(obj):
            entries.append(_entry(obj, "upsert"))
    for obj in session.deleted:
        if isinstance(obj, RecordMixin):
            entries.append(_entry(obj, "delete"))
    if not entries or not queuing(session):
        return
    # Parents before children so the server's foreign keys are satisfied in outbox order.
    for _, table, record_id, op in sorted(entries, key=lambda e: e[0]):
        session.add(Outbox(table_name=table, record_id=record_id, op=op))


def _entry(obj: RecordMixin, op: str) -> tuple[int, str, str, str]:
    table = obj.__table__.name  # type: ignore[attr-defined]
    return (_ORDER.get(table, len(_ORDER)), table, obj.id, op)


def queue_for_server(session: Session, table: str, record_id: str, op: str = "upsert") -> None:
    """Queue a row written with a Core statement, which the flush hook above never sees.

    Same rules as the hook: nothing is queued in training mode or on a desk that never had a server.
    """
    if not queuing(session):
        return
    session.connection().execute(insert(cast(Table, Outbox.__table__)), dict(
        table_name=table, record_id=record_id, op=op, created_at=utcnow()))


QUEUE_FOR_SERVER = "queue_for_server"  # desk_state row: "on" once this desk has had a server
_CACHE = "_dxdesk_queuing"  # session.info key: the marker as read in the current transaction


def queuing(session: Session) -> bool:
    """True when changes are queued for the server: not training, and the desk has had a server."""
    if session.info.get("training"):
        return False
    cached = session.info.get(_CACHE)
    if cached is None:
        value = session.connection().execute(
            select(DeskState.value).where(DeskState.name == QUEUE_FOR_SERVER)).scalar()
        cached = session.info[_CACHE] = value == "on"
    return bool(cached)


@event.listens_for(StoreSession, "after_transaction_end")
def _forget_marker(session: Session, _transaction: Any) -> None:
    session.info.pop(_CACHE, None)  # another process may switch queuing on between two transactions


def start_queuing(session: Session) -> int:
    """Switch queuing on for good, enqueuing every existing record once; returns the entries queued.

    For ``db set-server``, ``db join`` and the first sync, in the same transaction as their
    audit event. Nothing is done when queuing is already on (a desk setting a new server keeps
    its queue) or in training mode. One ``INSERT ... SELECT`` per pushed table, in the push
    order (parents first), so the server's foreign keys hold batch after batch. Leftover
    unsent entries are dropped first: this desk's server never had any record, so the current
    state of each record is all it needs, once.
    """
    if session.info.get("training") or queuing(session):
        return 0
    conn = session.connection()
    outbox = cast(Table, Outbox.__table__)
    conn.execute(delete(outbox))
    now = literal(utcnow(), UTCDateTime())
    queued = 0
    for name in PUSHED_TABLES:
        table = Base.metadata.tables[name]
        rows = select(literal(name), table.c.id, literal("upsert"), now)
        result = conn.execute(insert(outbox).from_select(["table_name", "record_id", "op", "created_at"], rows))
        queued += max(int(getattr(result, "rowcount", 0) or 0), 0)
    conn.execute(insert(cast(Table, DeskState.__table__)), dict(name=QUEUE_FOR_SERVER, value="on"))
    session.info[_CACHE] = True
    return queued

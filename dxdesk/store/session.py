"""The store's Session class: stamps the origin desk, guards the audit log, feeds the outbox.

Doing this in a flush hook (rather than in each caller) is what guarantees the
outbox row is written in the same transaction as the change it describes: if the
transaction rolls back, both disappear; if it commits, both are there.
"""
from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, event, insert
from sqlalchemy.orm import Session, UOWTransaction

from dxdesk.store.base import RecordMixin, new_id, utcnow
from dxdesk.i18n import Msg
from dxdesk.store.errors import AppendOnlyError, StoreError
from dxdesk.store.models import PUSHED_TABLES, AuditEvent, Outbox, natural_id

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
    # Parents before children so the server's foreign keys are satisfied in outbox order.
    for _, table, record_id, op in sorted(entries, key=lambda e: e[0]):
        session.add(Outbox(table_name=table, record_id=record_id, op=op))


def _entry(obj: RecordMixin, op: str) -> tuple[int, str, str, str]:
    table = obj.__table__.name  # type: ignore[attr-defined]
    return (_ORDER.get(table, len(_ORDER)), table, obj.id, op)


def queue_for_server(session: Session, table: str, record_id: str, op: str = "upsert") -> None:
    """Queue a row written with a Core statement, which the flush hook above never sees.

    Same rules as the hook: nothing is queued in training mode.
    """
    if session.info.get("training"):
        return
    session.connection().execute(insert(cast(Table, Outbox.__table__)), dict(
        table_name=table, record_id=record_id, op=op, created_at=utcnow()))

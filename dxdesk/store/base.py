"""Declarative base, shared column types and mixins for every dxdesk table.

Every synced record has a UUID primary key (as a 36-character string, portable
between SQLite and PostgreSQL), ``created_at``/``updated_at`` in UTC and the
``desk_id`` of the PC that created it, so records from many desks can be merged on
the central server without id clashes.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy import DateTime, MetaData, String
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from dxdesk.store.errors import DamagedRecordError

# Stable constraint names so Alembic batch migrations on SQLite can find them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    SQLite has no time-zone type, so values are stored as naive UTC there and given
    back as aware UTC; PostgreSQL uses ``timestamptz``. Comparing ``updated_at``
    across the two (the sync conflict rule) therefore compares like with like.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            raise ValueError("naive datetime given; dxdesk stores UTC-aware datetimes only")
        utc = value.astimezone(timezone.utc)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stored: datetime = value  # the DateTime impl has already parsed it
        if stored.tzinfo is None:
            return stored.replace(tzinfo=timezone.utc)
        return stored.astimezone(timezone.utc)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], datetime | None] | None:
        """The parser, with a stored value that is not a date-time reported as a damaged record.

        The parse error's own text quotes the value, so it is dropped, not chained.
        """
        process = super().result_processor(dialect, coltype)
        if process is None:
            return None

        def checked(value: Any) -> datetime | None:
            try:
                return process(value)
            except (ValueError, TypeError, AttributeError):
                raise DamagedRecordError() from None

        return checked


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UUIDMixin:
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    # onupdate keeps the sync conflict rule (newest updated_at wins) honest without callers remembering it.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)


class DeskMixin:
    # Filled from Database.desk_id by the session hook when left empty (see outbox.py).
    desk_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)


class RecordMixin(UUIDMixin, TimestampMixin, DeskMixin):
    """UUID key + UTC timestamps + origin desk: what every synced record carries."""

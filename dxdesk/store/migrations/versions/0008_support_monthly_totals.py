"""Pre-computed monthly totals of the support log (issue #17: a year's report at 1,000,000 sessions).

``support_monthly_totals`` (one row per local month, dimension and key, with the sums the
KPIs are made of) and ``support_totals_state`` (the UTC offset they were built for), plus,
on SQLite, the triggers that keep the totals in step with every write of
``support_sessions`` in the writer's own transaction. The totals start unbuilt: the first
report (or ``dxdesk support rebuild-totals``) fills them. See
:mod:`dxdesk.support.monthly_totals`.

Self-contained: the tables and the trigger SQL are frozen here as they were at this revision
(dimensions all, day, topics, venue, venue_type, attendees, age_band, outcome), so a later change to
:mod:`dxdesk.support.monthly_totals` never changes what this revision does to a desk. A change to the
live totals needs a new migration (tests/support/test_totals_migrations.py fails until it has one).

Revision ID: 0008_support_monthly_totals
Revises: 0007_support_scale_indexes
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_support_monthly_totals"
down_revision = "0007_support_scale_indexes"
branch_labels = None
depends_on = None

_MEASURES = ("sessions", "attendees", "helpers", "duration", "repeats", "open_follow_ups", "understaffed")


def _tables() -> sa.MetaData:
    # A MetaData of its own, without the models' naming convention: the primary keys stay unnamed,
    # as this revision has always created them.
    metadata = sa.MetaData()
    sa.Table(
        "support_monthly_totals", metadata,
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("dim", sa.String(16), primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        *(sa.Column(name, sa.Integer, nullable=False, server_default="0") for name in _MEASURES),
    )
    sa.Table(
        "support_totals_state", metadata,
        sa.Column("id", sa.Integer, primary_key=True),  # always 1
        sa.Column("utc_offset", sa.Integer, nullable=True),  # seconds east of UTC; NULL = no totals for this zone
        sa.Column("rebuilt_at", sa.String(32), nullable=True),
    )
    return metadata


# The SQLite triggers, verbatim. Generated once from dxdesk.support.monthly_totals at commit 2ea3317 with
#   python -c "from dxdesk.support import monthly_totals as mt; print(mt.trigger_sql(
#              tuple(d for d in mt.DIMENSIONS if d[0] != mt.CLASS_DIM)))"
# (the same text as this revision's first code made, a12e208^), wrapped into adjacent literals that join
# to it exactly: SQLite keeps the text in sqlite_master, where the tests compare it. Migration
# 0013_support_class_totals puts these back on its downgrade.
_INSERT = (
    "CREATE TRIGGER support_totals_insert AFTER INSERT ON support_sessions BEGIN INSERT INTO "
    "support_monthly_totals (month, dim, key, sessions, attendees, helpers, duration, repeats, "
    "open_follow_ups, understaffed) SELECT substr(d.day, 1, 7), k.dim, CASE k.dim WHEN 'all' THEN '' WHEN "
    "'day' THEN d.day WHEN 'topics' THEN CAST(NEW.topics AS TEXT) WHEN 'venue' THEN NEW.venue WHEN "
    "'venue_type' THEN NEW.venue_type WHEN 'attendees' THEN CAST(NEW.attendees AS TEXT) WHEN 'age_band' THEN "
    "NEW.age_band WHEN 'outcome' THEN NEW.outcome END, 1, 1 * NEW.attendees, 1 * NEW.helpers, 1 * "
    "NEW.duration_minutes, 1 * (CASE WHEN NEW.repeat_visitor THEN 1 ELSE 0 END), 1 * (CASE WHEN "
    "NEW.follow_up_needed AND NEW.follow_up_closed_at IS NULL THEN 1 ELSE 0 END), 1 * (CASE WHEN NEW.helpers "
    "< (CASE WHEN NEW.attendees <= 1 THEN 1 ELSE 1 + (NEW.attendees + 3) / 4 END) THEN 1 ELSE 0 END) FROM "
    "(SELECT date(NEW.started_at, utc_offset || ' seconds') AS day FROM support_totals_state       WHERE id "
    "= 1 AND utc_offset IS NOT NULL) AS d, (SELECT 'all' AS dim UNION ALL SELECT 'day' AS dim UNION ALL "
    "SELECT 'topics' AS dim UNION ALL SELECT 'venue' AS dim UNION ALL SELECT 'venue_type' AS dim UNION ALL "
    "SELECT 'attendees' AS dim UNION ALL SELECT 'age_band' AS dim UNION ALL SELECT 'outcome' AS dim) AS k "
    "WHERE NEW.deleted_at IS NULL AND d.day IS NOT NULL ON CONFLICT (month, dim, key) DO UPDATE SET sessions "
    "= sessions + excluded.sessions, attendees = attendees + excluded.attendees, helpers = helpers + "
    "excluded.helpers, duration = duration + excluded.duration, repeats = repeats + excluded.repeats, "
    "open_follow_ups = open_follow_ups + excluded.open_follow_ups, understaffed = understaffed + "
    "excluded.understaffed; END"
)

_UPDATE = (
    "CREATE TRIGGER support_totals_update AFTER UPDATE OF started_at, venue, venue_type, topics, attendees, "
    "helpers, duration_minutes, outcome, age_band, repeat_visitor, follow_up_needed, follow_up_closed_at, "
    "deleted_at ON support_sessions BEGIN INSERT INTO support_monthly_totals (month, dim, key, sessions, "
    "attendees, helpers, duration, repeats, open_follow_ups, understaffed) SELECT substr(d.day, 1, 7), "
    "k.dim, CASE k.dim WHEN 'all' THEN '' WHEN 'day' THEN d.day WHEN 'topics' THEN CAST(OLD.topics AS TEXT) "
    "WHEN 'venue' THEN OLD.venue WHEN 'venue_type' THEN OLD.venue_type WHEN 'attendees' THEN "
    "CAST(OLD.attendees AS TEXT) WHEN 'age_band' THEN OLD.age_band WHEN 'outcome' THEN OLD.outcome END, -1, "
    "-1 * OLD.attendees, -1 * OLD.helpers, -1 * OLD.duration_minutes, -1 * (CASE WHEN OLD.repeat_visitor "
    "THEN 1 ELSE 0 END), -1 * (CASE WHEN OLD.follow_up_needed AND OLD.follow_up_closed_at IS NULL THEN 1 "
    "ELSE 0 END), -1 * (CASE WHEN OLD.helpers < (CASE WHEN OLD.attendees <= 1 THEN 1 ELSE 1 + (OLD.attendees "
    "+ 3) / 4 END) THEN 1 ELSE 0 END) FROM (SELECT date(OLD.started_at, utc_offset || ' seconds') AS day "
    "FROM support_totals_state       WHERE id = 1 AND utc_offset IS NOT NULL) AS d, (SELECT 'all' AS dim "
    "UNION ALL SELECT 'day' AS dim UNION ALL SELECT 'topics' AS dim UNION ALL SELECT 'venue' AS dim UNION "
    "ALL SELECT 'venue_type' AS dim UNION ALL SELECT 'attendees' AS dim UNION ALL SELECT 'age_band' AS dim "
    "UNION ALL SELECT 'outcome' AS dim) AS k WHERE OLD.deleted_at IS NULL AND d.day IS NOT NULL ON CONFLICT "
    "(month, dim, key) DO UPDATE SET sessions = sessions + excluded.sessions, attendees = attendees + "
    "excluded.attendees, helpers = helpers + excluded.helpers, duration = duration + excluded.duration, "
    "repeats = repeats + excluded.repeats, open_follow_ups = open_follow_ups + excluded.open_follow_ups, "
    "understaffed = understaffed + excluded.understaffed; INSERT INTO support_monthly_totals (month, dim, "
    "key, sessions, attendees, helpers, duration, repeats, open_follow_ups, understaffed) SELECT "
    "substr(d.day, 1, 7), k.dim, CASE k.dim WHEN 'all' THEN '' WHEN 'day' THEN d.day WHEN 'topics' THEN "
    "CAST(NEW.topics AS TEXT) WHEN 'venue' THEN NEW.venue WHEN 'venue_type' THEN NEW.venue_type WHEN "
    "'attendees' THEN CAST(NEW.attendees AS TEXT) WHEN 'age_band' THEN NEW.age_band WHEN 'outcome' THEN "
    "NEW.outcome END, 1, 1 * NEW.attendees, 1 * NEW.helpers, 1 * NEW.duration_minutes, 1 * (CASE WHEN "
    "NEW.repeat_visitor THEN 1 ELSE 0 END), 1 * (CASE WHEN NEW.follow_up_needed AND NEW.follow_up_closed_at "
    "IS NULL THEN 1 ELSE 0 END), 1 * (CASE WHEN NEW.helpers < (CASE WHEN NEW.attendees <= 1 THEN 1 ELSE 1 + "
    "(NEW.attendees + 3) / 4 END) THEN 1 ELSE 0 END) FROM (SELECT date(NEW.started_at, utc_offset || ' "
    "seconds') AS day FROM support_totals_state       WHERE id = 1 AND utc_offset IS NOT NULL) AS d, (SELECT "
    "'all' AS dim UNION ALL SELECT 'day' AS dim UNION ALL SELECT 'topics' AS dim UNION ALL SELECT 'venue' AS "
    "dim UNION ALL SELECT 'venue_type' AS dim UNION ALL SELECT 'attendees' AS dim UNION ALL SELECT "
    "'age_band' AS dim UNION ALL SELECT 'outcome' AS dim) AS k WHERE NEW.deleted_at IS NULL AND d.day IS NOT "
    "NULL ON CONFLICT (month, dim, key) DO UPDATE SET sessions = sessions + excluded.sessions, attendees = "
    "attendees + excluded.attendees, helpers = helpers + excluded.helpers, duration = duration + "
    "excluded.duration, repeats = repeats + excluded.repeats, open_follow_ups = open_follow_ups + "
    "excluded.open_follow_ups, understaffed = understaffed + excluded.understaffed; END"
)

_DELETE = (
    "CREATE TRIGGER support_totals_delete AFTER DELETE ON support_sessions BEGIN INSERT INTO "
    "support_monthly_totals (month, dim, key, sessions, attendees, helpers, duration, repeats, "
    "open_follow_ups, understaffed) SELECT substr(d.day, 1, 7), k.dim, CASE k.dim WHEN 'all' THEN '' WHEN "
    "'day' THEN d.day WHEN 'topics' THEN CAST(OLD.topics AS TEXT) WHEN 'venue' THEN OLD.venue WHEN "
    "'venue_type' THEN OLD.venue_type WHEN 'attendees' THEN CAST(OLD.attendees AS TEXT) WHEN 'age_band' THEN "
    "OLD.age_band WHEN 'outcome' THEN OLD.outcome END, -1, -1 * OLD.attendees, -1 * OLD.helpers, -1 * "
    "OLD.duration_minutes, -1 * (CASE WHEN OLD.repeat_visitor THEN 1 ELSE 0 END), -1 * (CASE WHEN "
    "OLD.follow_up_needed AND OLD.follow_up_closed_at IS NULL THEN 1 ELSE 0 END), -1 * (CASE WHEN "
    "OLD.helpers < (CASE WHEN OLD.attendees <= 1 THEN 1 ELSE 1 + (OLD.attendees + 3) / 4 END) THEN 1 ELSE 0 "
    "END) FROM (SELECT date(OLD.started_at, utc_offset || ' seconds') AS day FROM support_totals_state       "
    "WHERE id = 1 AND utc_offset IS NOT NULL) AS d, (SELECT 'all' AS dim UNION ALL SELECT 'day' AS dim UNION "
    "ALL SELECT 'topics' AS dim UNION ALL SELECT 'venue' AS dim UNION ALL SELECT 'venue_type' AS dim UNION "
    "ALL SELECT 'attendees' AS dim UNION ALL SELECT 'age_band' AS dim UNION ALL SELECT 'outcome' AS dim) AS "
    "k WHERE OLD.deleted_at IS NULL AND d.day IS NOT NULL ON CONFLICT (month, dim, key) DO UPDATE SET "
    "sessions = sessions + excluded.sessions, attendees = attendees + excluded.attendees, helpers = helpers "
    "+ excluded.helpers, duration = duration + excluded.duration, repeats = repeats + excluded.repeats, "
    "open_follow_ups = open_follow_ups + excluded.open_follow_ups, understaffed = understaffed + "
    "excluded.understaffed; END"
)
TRIGGERS = {"support_totals_insert": _INSERT, "support_totals_update": _UPDATE, "support_totals_delete": _DELETE}


def upgrade() -> None:
    bind = op.get_bind()
    _tables().create_all(bind)
    if bind.dialect.name == "sqlite":  # PostgreSQL (the town server) has the tables only: reports use GROUP BY
        for sql in TRIGGERS.values():
            bind.exec_driver_sql(sql)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in TRIGGERS:
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    _tables().drop_all(bind)

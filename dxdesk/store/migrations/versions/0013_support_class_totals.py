"""The per-class (講座・コマ) summary from the monthly totals (issue #17: a year's PDF at 1,000,000 sessions).

Adds the ``class_topics`` dimension to ``support_monthly_totals`` (the classes only, 2+
attendees, per topic list: classes, participants, staff, classes below the staffing rule)
and, on SQLite, recreates the triggers so every write of ``support_sessions`` keeps it in
the writer's transaction like the other dimensions. A desk whose totals are built gets
the new rows now, from its sessions at the stored offset (one pass over the classes); an
unbuilt desk builds everything at its first report, as before. PostgreSQL has no triggers
and reports there use ``GROUP BY`` (as migration 0008): nothing to do. See
:mod:`dxdesk.support.monthly_totals`.

Self-contained: the trigger SQL and the fill of the new dimension are frozen here as they were at this
revision, so a later change to :mod:`dxdesk.support.monthly_totals` never changes what this revision does
to a desk; the downgrade puts back the triggers frozen in 0008_support_monthly_totals.

Revision ID: 0013_support_class_totals
Revises: 0012_outbox_only_with_server
"""
from __future__ import annotations

from alembic import context, op
from sqlalchemy import text

revision = "0013_support_class_totals"
down_revision = "0012_outbox_only_with_server"
branch_labels = None
depends_on = None

# The SQLite triggers with class_topics, verbatim. Generated once from dxdesk.support.monthly_totals at
# commit 2ea3317 with
#   python -c "from dxdesk.support import monthly_totals as mt; print(mt.trigger_sql())"
# wrapped into adjacent literals that join to it exactly (SQLite keeps the text in sqlite_master, where
# the tests compare it with the live module's).
_INSERT = (
    "CREATE TRIGGER support_totals_insert AFTER INSERT ON support_sessions BEGIN INSERT INTO "
    "support_monthly_totals (month, dim, key, sessions, attendees, helpers, duration, repeats, "
    "open_follow_ups, understaffed) SELECT substr(d.day, 1, 7), k.dim, CASE k.dim WHEN 'all' THEN '' WHEN "
    "'day' THEN d.day WHEN 'topics' THEN CAST(NEW.topics AS TEXT) WHEN 'venue' THEN NEW.venue WHEN "
    "'venue_type' THEN NEW.venue_type WHEN 'attendees' THEN CAST(NEW.attendees AS TEXT) WHEN 'age_band' THEN "
    "NEW.age_band WHEN 'outcome' THEN NEW.outcome WHEN 'class_topics' THEN CAST(NEW.topics AS TEXT) END, 1, "
    "1 * NEW.attendees, 1 * NEW.helpers, 1 * NEW.duration_minutes, 1 * (CASE WHEN NEW.repeat_visitor THEN 1 "
    "ELSE 0 END), 1 * (CASE WHEN NEW.follow_up_needed AND NEW.follow_up_closed_at IS NULL THEN 1 ELSE 0 "
    "END), 1 * (CASE WHEN NEW.helpers < (CASE WHEN NEW.attendees <= 1 THEN 1 ELSE 1 + (NEW.attendees + 3) / "
    "4 END) THEN 1 ELSE 0 END) FROM (SELECT date(NEW.started_at, utc_offset || ' seconds') AS day FROM "
    "support_totals_state       WHERE id = 1 AND utc_offset IS NOT NULL) AS d, (SELECT 'all' AS dim UNION "
    "ALL SELECT 'day' AS dim UNION ALL SELECT 'topics' AS dim UNION ALL SELECT 'venue' AS dim UNION ALL "
    "SELECT 'venue_type' AS dim UNION ALL SELECT 'attendees' AS dim UNION ALL SELECT 'age_band' AS dim UNION "
    "ALL SELECT 'outcome' AS dim UNION ALL SELECT 'class_topics' AS dim) AS k WHERE NEW.deleted_at IS NULL "
    "AND d.day IS NOT NULL AND (k.dim <> 'class_topics' OR (NEW.attendees >= 2)) ON CONFLICT (month, dim, "
    "key) DO UPDATE SET sessions = sessions + excluded.sessions, attendees = attendees + excluded.attendees, "
    "helpers = helpers + excluded.helpers, duration = duration + excluded.duration, repeats = repeats + "
    "excluded.repeats, open_follow_ups = open_follow_ups + excluded.open_follow_ups, understaffed = "
    "understaffed + excluded.understaffed; END"
)

_UPDATE = (
    "CREATE TRIGGER support_totals_update AFTER UPDATE OF started_at, venue, venue_type, topics, attendees, "
    "helpers, duration_minutes, outcome, age_band, repeat_visitor, follow_up_needed, follow_up_closed_at, "
    "deleted_at ON support_sessions BEGIN INSERT INTO support_monthly_totals (month, dim, key, sessions, "
    "attendees, helpers, duration, repeats, open_follow_ups, understaffed) SELECT substr(d.day, 1, 7), "
    "k.dim, CASE k.dim WHEN 'all' THEN '' WHEN 'day' THEN d.day WHEN 'topics' THEN CAST(OLD.topics AS TEXT) "
    "WHEN 'venue' THEN OLD.venue WHEN 'venue_type' THEN OLD.venue_type WHEN 'attendees' THEN "
    "CAST(OLD.attendees AS TEXT) WHEN 'age_band' THEN OLD.age_band WHEN 'outcome' THEN OLD.outcome WHEN "
    "'class_topics' THEN CAST(OLD.topics AS TEXT) END, -1, -1 * OLD.attendees, -1 * OLD.helpers, -1 * "
    "OLD.duration_minutes, -1 * (CASE WHEN OLD.repeat_visitor THEN 1 ELSE 0 END), -1 * (CASE WHEN "
    "OLD.follow_up_needed AND OLD.follow_up_closed_at IS NULL THEN 1 ELSE 0 END), -1 * (CASE WHEN "
    "OLD.helpers < (CASE WHEN OLD.attendees <= 1 THEN 1 ELSE 1 + (OLD.attendees + 3) / 4 END) THEN 1 ELSE 0 "
    "END) FROM (SELECT date(OLD.started_at, utc_offset || ' seconds') AS day FROM support_totals_state       "
    "WHERE id = 1 AND utc_offset IS NOT NULL) AS d, (SELECT 'all' AS dim UNION ALL SELECT 'day' AS dim UNION "
    "ALL SELECT 'topics' AS dim UNION ALL SELECT 'venue' AS dim UNION ALL SELECT 'venue_type' AS dim UNION "
    "ALL SELECT 'attendees' AS dim UNION ALL SELECT 'age_band' AS dim UNION ALL SELECT 'outcome' AS dim "
    "UNION ALL SELECT 'class_topics' AS dim) AS k WHERE OLD.deleted_at IS NULL AND d.day IS NOT NULL AND "
    "(k.dim <> 'class_topics' OR (OLD.attendees >= 2)) ON CONFLICT (month, dim, key) DO UPDATE SET sessions "
    "= sessions + excluded.sessions, attendees = attendees + excluded.attendees, helpers = helpers + "
    "excluded.helpers, duration = duration + excluded.duration, repeats = repeats + excluded.repeats, "
    "open_follow_ups = open_follow_ups + excluded.open_follow_ups, understaffed = understaffed + "
    "excluded.understaffed; INSERT INTO support_monthly_totals (month, dim, key, sessions, attendees, "
    "helpers, duration, repeats, open_follow_ups, understaffed) SELECT substr(d.day, 1, 7), k.dim, CASE "
    "k.dim WHEN 'all' THEN '' WHEN 'day' THEN d.day WHEN 'topics' THEN CAST(NEW.topics AS TEXT) WHEN 'venue' "
    "THEN NEW.venue WHEN 'venue_type' THEN NEW.venue_type WHEN 'attendees' THEN CAST(NEW.attendees AS TEXT) "
    "WHEN 'age_band' THEN NEW.age_band WHEN 'outcome' THEN NEW.outcome WHEN 'class_topics' THEN "
    "CAST(NEW.topics AS TEXT) END, 1, 1 * NEW.attendees, 1 * NEW.helpers, 1 * NEW.duration_minutes, 1 * "
    "(CASE WHEN NEW.repeat_visitor THEN 1 ELSE 0 END), 1 * (CASE WHEN NEW.follow_up_needed AND "
    "NEW.follow_up_closed_at IS NULL THEN 1 ELSE 0 END), 1 * (CASE WHEN NEW.helpers < (CASE WHEN "
    "NEW.attendees <= 1 THEN 1 ELSE 1 + (NEW.attendees + 3) / 4 END) THEN 1 ELSE 0 END) FROM (SELECT "
    "date(NEW.started_at, utc_offset || ' seconds') AS day FROM support_totals_state       WHERE id = 1 AND "
    "utc_offset IS NOT NULL) AS d, (SELECT 'all' AS dim UNION ALL SELECT 'day' AS dim UNION ALL SELECT "
    "'topics' AS dim UNION ALL SELECT 'venue' AS dim UNION ALL SELECT 'venue_type' AS dim UNION ALL SELECT "
    "'attendees' AS dim UNION ALL SELECT 'age_band' AS dim UNION ALL SELECT 'outcome' AS dim UNION ALL "
    "SELECT 'class_topics' AS dim) AS k WHERE NEW.deleted_at IS NULL AND d.day IS NOT NULL AND (k.dim <> "
    "'class_topics' OR (NEW.attendees >= 2)) ON CONFLICT (month, dim, key) DO UPDATE SET sessions = sessions "
    "+ excluded.sessions, attendees = attendees + excluded.attendees, helpers = helpers + excluded.helpers, "
    "duration = duration + excluded.duration, repeats = repeats + excluded.repeats, open_follow_ups = "
    "open_follow_ups + excluded.open_follow_ups, understaffed = understaffed + excluded.understaffed; END"
)

_DELETE = (
    "CREATE TRIGGER support_totals_delete AFTER DELETE ON support_sessions BEGIN INSERT INTO "
    "support_monthly_totals (month, dim, key, sessions, attendees, helpers, duration, repeats, "
    "open_follow_ups, understaffed) SELECT substr(d.day, 1, 7), k.dim, CASE k.dim WHEN 'all' THEN '' WHEN "
    "'day' THEN d.day WHEN 'topics' THEN CAST(OLD.topics AS TEXT) WHEN 'venue' THEN OLD.venue WHEN "
    "'venue_type' THEN OLD.venue_type WHEN 'attendees' THEN CAST(OLD.attendees AS TEXT) WHEN 'age_band' THEN "
    "OLD.age_band WHEN 'outcome' THEN OLD.outcome WHEN 'class_topics' THEN CAST(OLD.topics AS TEXT) END, -1, "
    "-1 * OLD.attendees, -1 * OLD.helpers, -1 * OLD.duration_minutes, -1 * (CASE WHEN OLD.repeat_visitor "
    "THEN 1 ELSE 0 END), -1 * (CASE WHEN OLD.follow_up_needed AND OLD.follow_up_closed_at IS NULL THEN 1 "
    "ELSE 0 END), -1 * (CASE WHEN OLD.helpers < (CASE WHEN OLD.attendees <= 1 THEN 1 ELSE 1 + (OLD.attendees "
    "+ 3) / 4 END) THEN 1 ELSE 0 END) FROM (SELECT date(OLD.started_at, utc_offset || ' seconds') AS day "
    "FROM support_totals_state       WHERE id = 1 AND utc_offset IS NOT NULL) AS d, (SELECT 'all' AS dim "
    "UNION ALL SELECT 'day' AS dim UNION ALL SELECT 'topics' AS dim UNION ALL SELECT 'venue' AS dim UNION "
    "ALL SELECT 'venue_type' AS dim UNION ALL SELECT 'attendees' AS dim UNION ALL SELECT 'age_band' AS dim "
    "UNION ALL SELECT 'outcome' AS dim UNION ALL SELECT 'class_topics' AS dim) AS k WHERE OLD.deleted_at IS "
    "NULL AND d.day IS NOT NULL AND (k.dim <> 'class_topics' OR (OLD.attendees >= 2)) ON CONFLICT (month, "
    "dim, key) DO UPDATE SET sessions = sessions + excluded.sessions, attendees = attendees + "
    "excluded.attendees, helpers = helpers + excluded.helpers, duration = duration + excluded.duration, "
    "repeats = repeats + excluded.repeats, open_follow_ups = open_follow_ups + excluded.open_follow_ups, "
    "understaffed = understaffed + excluded.understaffed; END"
)
_TRIGGERS = {"support_totals_insert": _INSERT, "support_totals_update": _UPDATE, "support_totals_delete": _DELETE}

# The class_topics rows of a desk's sessions at the offset ``:offset`` ('<seconds> seconds'), as
# mt.fill_dimension(conn, <the class_topics dimension>, offset) wrote them at commit 2ea3317.
_FILL_CLASS_TOPICS = (
    "INSERT INTO support_monthly_totals (month, dim, key, sessions, attendees, helpers, duration, repeats, "
    "open_follow_ups, understaffed) SELECT substr(s.day, 1, 7), 'class_topics', CAST(s.topics AS TEXT), "
    "count(*), sum(attendees), sum(helpers), sum(duration_minutes), sum(CASE WHEN repeat_visitor THEN 1 ELSE "
    "0 END), sum(CASE WHEN follow_up_needed AND follow_up_closed_at IS NULL THEN 1 ELSE 0 END), sum(CASE "
    "WHEN helpers < (CASE WHEN attendees <= 1 THEN 1 ELSE 1 + (attendees + 3) / 4 END) THEN 1 ELSE 0 END) "
    "FROM (SELECT *, date(started_at, :offset) AS day FROM support_sessions       WHERE deleted_at IS NULL "
    "AND attendees >= 2) AS s GROUP BY 1, 3"
)


def _put_triggers(triggers: dict[str, str]) -> None:
    bind = op.get_bind()
    for name, sql in triggers.items():
        bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        bind.exec_driver_sql(sql)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    _put_triggers(_TRIGGERS)
    bind.execute(text("DELETE FROM support_monthly_totals WHERE dim = 'class_topics'"))
    offset = bind.execute(text("SELECT utc_offset FROM support_totals_state WHERE id = 1")).scalar()
    if offset is not None:  # built totals: add the classes' rows; unbuilt ones are built whole at the first report
        bind.execute(text(_FILL_CLASS_TOPICS), {"offset": f"{int(offset)} seconds"})


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    # Back to 0008's triggers, read from that revision's script: frozen too, so this never drifts either.
    before = context.script.get_revision("0008_support_monthly_totals")
    assert before is not None and before.module is not None
    _put_triggers(before.module.TRIGGERS)
    bind.execute(text("DELETE FROM support_monthly_totals WHERE dim = 'class_topics'"))

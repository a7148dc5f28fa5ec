"""``dxdesk db status``: read-only probes of the desk database, key store, server and town key.

Nothing here writes: the probes open the file read-only and close their handles (an open
handle would make ``db restore`` see the file in use).
"""
from __future__ import annotations

import argparse
import os
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from dxdesk.config import load_settings
from dxdesk.jsonout import emit, json_command
from dxdesk.paths import app_paths


@json_command
def status(args: argparse.Namespace) -> int:
    from dxdesk.store import migrate
    from dxdesk.store.servercli import tls_description
    from dxdesk.store.database import create_sqlite_engine
    from dxdesk.store.keys import key_storage_description

    doc: dict[str, Any] = {}

    def show(key: str, value: Any, line: str | None) -> None:
        """One fact: into --json's document under ``key``, else its line of text."""
        doc[key] = value
        if line is not None:
            say(line)

    def say(line: str) -> None:
        if not args.json:
            print(line)

    def finish(code: int) -> int:
        if args.json:
            emit(doc)
        return code

    paths = app_paths()
    settings = load_settings(paths)
    head = migrate.head_revision()
    show("database", paths.database_file, f"database:  {paths.database_file}")
    from dxdesk.store.deskhistory import DeskHistoryError, refuse_reinitialising

    try:
        refuse_reinitialising(paths.database_file, paths, settings.general.desk_id)
    except DeskHistoryError as exc:
        show("schema", {"current": None, "head": head, "problem": exc.message.en},
             f"schema:    NONE: {exc.message.en}")
        return finish(1)
    too_new = False
    if not paths.database_file.exists():
        show("schema", {"current": None, "head": head, "up_to_date": False},
             f"schema:    (no database yet) -> head {head}")
    else:
        engine = create_sqlite_engine(paths.database_file)
        try:
            current = migrate.current_revision(engine)
            aside: list[tuple[str, str, str]] = []
            problems: list[tuple[str, str]] = []
            last_error = None
            with engine.connect() as conn:
                pending = conn.exec_driver_sql("SELECT count(*) FROM outbox WHERE sent_at IS NULL").scalar() \
                    if current else 0
                columns = {r[1] for r in conn.exec_driver_sql("PRAGMA table_info(outbox)")}
                if "set_aside_at" in columns:  # an older schema (upgraded on next start) has none
                    aside = [tuple(r) for r in conn.exec_driver_sql(
                        "SELECT table_name, record_id, max(set_aside_reason) FROM outbox "
                        "WHERE sent_at IS NULL AND set_aside_at IS NOT NULL GROUP BY table_name, record_id")]
                    problems = [tuple(r) for r in conn.exec_driver_sql(
                        "SELECT name, last_error FROM sync_state WHERE name LIKE 'problem:%'")]
                    last_error = conn.exec_driver_sql(
                        "SELECT last_error FROM sync_state WHERE name = 'push'").scalar()
        except Exception as exc:
            from dxdesk.store.errors import translate_error

            translated = translate_error(exc)  # read-only folder, locked, corrupt: the sentence, not the driver's
            if translated is exc:
                raise
            raise translated from exc
        finally:
            engine.dispose()
        too_new = bool(current) and current not in migrate.known_revisions()
        state = ("up to date" if current == head else
                 "made by a newer dxdesk: update dxdesk (this one cannot upgrade or open it)" if too_new else
                 "upgrade needed (dxdesk db upgrade)")
        show("schema", {"current": current or None, "head": head, "up_to_date": current == head},
             f"schema:    current {current or '(empty)'}, head {head}: {state}")
        show("unsent", pending, f"unsent:    {pending} record(s)" + (f", of which set aside: {len(aside)}" if aside else ""))
        show("set_aside", [{"table": t, "record": r, "reason": why} for t, r, why in aside], None)
        for table, record, reason in aside:
            say(f"set aside: {table} {record}: {reason}")
        if aside:
            say("           fix the cause, then: dxdesk sync --retry-set-aside")
        show("last_sync_error", last_error or None, f"last sync: FAILED: {last_error}" if last_error else None)
        show("problems", {name.removeprefix("problem:"): error for name, error in problems}, None)
        for name, error in problems:
            say(f"problem:   {name.removeprefix('problem:')}: {error}")
    show("key", key_storage_description(paths, settings.general.desk_id),
         f"key:       {key_storage_description(paths, settings.general.desk_id)}")
    if paths.database_file.exists():
        from dxdesk.store.escrow import recovery_status

        recovery = recovery_status(paths.database_file)
        show("recovery", recovery, f"recovery:  {recovery}")
    from dxdesk.store.servertls import redacted_url

    server = redacted_url(settings.store.server_url) or "(none: local only)"  # an old file may hold ?password=
    show("server", redacted_url(settings.store.server_url) or None,
         f"server:    {server}{' [work offline]' if settings.store.work_offline else ''}")
    show("work_offline", settings.store.work_offline, None)
    if settings.store.server_url:
        show("tls", tls_description(settings.store), f"tls:       {tls_description(settings.store)}")
    show("town_key", _town_fingerprint(paths), f"town key:  {_town_fingerprint(paths)}")
    refused = _refused_accounts(paths)
    show("refused_accounts", refused, f"refused:   {refused} account record(s) from the server, not signed by the "
         "town key (see the audit log)" if refused else None)
    _require_writable(paths.database_file)
    if too_new:
        from dxdesk.store.errors import SchemaTooNewError

        raise SchemaTooNewError()  # after the lines above: status shows what it can, then says what is wrong
    return finish(0)


def _refused_accounts(paths: object) -> int:
    file = paths.database_file  # type: ignore[attr-defined]
    if not file.exists():
        return 0
    try:
        with closing(sqlite3.connect(f"file:{file}?mode=ro", uri=True)) as conn:  # closed, not just committed: an open handle blocks restore
            row = conn.execute("SELECT count(*) FROM sync_state WHERE name LIKE 'refused:clerks:%'").fetchone()
    except sqlite3.Error:
        return 0
    return int(row[0])


def _town_fingerprint(paths: object) -> str:
    """The pinned town key's fingerprint: what an administrator compares when joining another desk."""
    from dxdesk.security.townkey import fingerprint

    file = paths.database_file  # type: ignore[attr-defined]
    if not file.exists():
        return "(none yet)"
    try:
        with closing(sqlite3.connect(f"file:{file}?mode=ro", uri=True)) as conn:  # closed, not just committed: an open handle blocks restore
            row = conn.execute("SELECT value FROM town_trust WHERE name = 'public_key'").fetchone()
    except sqlite3.Error:
        return "(none yet)"
    return fingerprint(row[0]) if row else "(none yet: created with the first administrator)"


def _require_writable(path: Path) -> None:
    """Status reads fine from a read-only file; say so anyway, as the app could record nothing there."""
    from dxdesk.store.errors import DatabaseReadOnlyError, DataFolderReadOnlyError

    # os.access asks the kernel, so it also sees what mode bits do not show (an immutable file, a read-only mount).
    if path.parent.exists() and not os.access(path.parent, os.W_OK):
        raise DataFolderReadOnlyError()
    if path.exists() and not os.access(path, os.W_OK):
        raise DatabaseReadOnlyError()


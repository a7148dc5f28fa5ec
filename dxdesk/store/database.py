"""Opening the local database: engine set-up, migrations (with a backup first), keys, writer.

``open_database()`` is the one entry point used by the app, the CLI and tests::

    db = open_database()                      # settings and paths from the environment
    db.writer.submit(lambda s: s.add(visit))  # writes: one transaction per job, one thread
    with db.session() as s:                   # reads: short-lived, any thread
        s.scalars(select(Visit)).all()
    db.close()
"""
from __future__ import annotations

import errno
import json
import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from dxdesk import training
from dxdesk.config import Settings, load_settings
from dxdesk.i18n import Msg
from dxdesk.paths import AppPaths, app_paths
from dxdesk.store import migrate
from dxdesk.store.backup import backup_sqlite, timestamped_backup_name
from dxdesk.store.crypto import KeySet, attach_keyset
from dxdesk.store.deskhistory import refuse_reinitialising
from dxdesk.store.errors import DamagedRecordError, DataFolderReadOnlyError, SchemaTooNewError, StoreError, translate_error
from dxdesk.store.instancelock import InstanceLock
from dxdesk.store.keys import load_or_create_keyset
from dxdesk.store.models import Outbox
from dxdesk.store.session import StoreSession
from dxdesk.store.writer import DbWriter

log = logging.getLogger(__name__)

DEFAULT_BUSY_TIMEOUT_MS = 5000


def _load_json(text: str) -> Any:
    """json.loads for the JSON columns: a stored value that is not JSON is a damaged record.

    The decode error's text quotes the value, so it is dropped, not chained.
    """
    try:
        return json.loads(text)
    except ValueError:
        raise DamagedRecordError() from None


def create_sqlite_engine(path: Path, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> Engine:
    """SQLite engine with WAL, foreign keys, a busy timeout and explicit BEGIN handling.

    pysqlite's own transaction handling is switched off (isolation_level=None) so that
    SQLAlchemy's BEGIN is real: the writer opens ``BEGIN IMMEDIATE`` and so takes the
    write lock up front (waiting ``busy_timeout``) instead of failing half-way
    through a job when it upgrades a read lock.
    """
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
        json_deserializer=_load_json,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; a power cut loses at most the last commit
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("dxdesk_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())

    return engine


@dataclass
class Database:
    """The open local store. Share one per process; close it at exit."""

    path: Path
    desk_id: str
    engine: Engine
    writer: DbWriter
    keyset: KeySet
    paths: AppPaths
    migration_backup: Path | None = None  # the copy made before this open's migration, if any
    _reader: Callable[[], Session] | None = None
    instance_lock: InstanceLock | None = None  # held when opened with exclusive=True

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A short-lived read session (refuses to flush writes)."""
        assert self._reader is not None
        session = self._reader()
        try:
            yield session
        except Exception as exc:
            translated = translate_error(exc)
            if translated is not exc:
                raise translated from exc
            raise
        finally:
            # close() ends the transaction without expiring loaded objects, so values read inside the
            # block stay usable (detached) after it.
            session.close()

    @property
    def training(self) -> bool:
        """A 研修モード database (dxdesk.training): never synced, no outbox."""
        return self.paths.training

    def pending_count(self) -> int:
        """Outbox entries waiting to be sent (set-aside ones are not waiting: see set_aside_count)."""
        with self.session() as s:
            return int(s.scalar(select(func.count()).select_from(Outbox).where(
                Outbox.sent_at.is_(None), Outbox.set_aside_at.is_(None))) or 0)

    def set_aside_count(self) -> int:
        """Records the server refused, kept aside until ``dxdesk sync --retry-set-aside``."""
        with self.session() as s:
            return int(s.scalar(select(func.count(func.distinct(Outbox.table_name + ":" + Outbox.record_id)))
                                .where(Outbox.sent_at.is_(None), Outbox.set_aside_at.is_not(None))) or 0)

    def set_keyset(self, keyset: KeySet) -> None:
        self.keyset = keyset
        attach_keyset(self.engine, keyset)

    def close(self, timeout: float | None = 30.0) -> None:
        """Finish queued writes, then close the engine and give up the instance lock.

        If a write job is still running after ``timeout`` (the writer logs which one),
        the engine is left alone rather than disposed under that job, and the instance
        lock stays held: the job may still commit, so no second dxdesk (or restore)
        may start on this file yet. Both go with the process; calling close() again
        once the job has ended completes the close.
        """
        if not self.writer.close(timeout):
            log.error("database %s left open: a write job is still running", self.path.name)
            return
        from dxdesk.security.auditheadnote import flush

        flush(self.paths)  # the audit head noted in the last second (written at most once a second)
        self.engine.dispose()
        if self.instance_lock is not None:
            self.instance_lock.release()


def open_database(
    settings: Settings | None = None,
    paths: AppPaths | None = None,
    *,
    path: Path | None = None,
    busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    migrate_schema: bool = True,
    exclusive: bool = False,
) -> Database:
    """Open (creating if needed) the desk's SQLite store and bring its schema to head.

    An existing database whose schema is older than this dxdesk is first copied to
    ``paths.backup_dir`` (so a failed or unwanted migration can be undone), then
    upgraded. Raises StoreError subclasses with a user message on failure.

    ``exclusive=True`` (the app; ``dxdesk db restore``/``rotate-key``/``upgrade``) first takes
    the instance lock beside the database (:mod:`dxdesk.store.instancelock`) and holds it
    until :meth:`Database.close`; a second exclusive opener gets DatabaseInUseError. The
    default leaves the lock alone, for commands that may run beside the app (reports,
    user admin) and for tests that open one database twice.
    """
    paths = paths or app_paths()
    settings = settings or load_settings(paths)
    if path is None:
        paths = training.desk_paths(paths, settings)  # 研修モード never opens the desk's real database
    paths = paths.ensure()
    path = path or paths.database_file
    # Before anything touches the file, so a second app cannot even migrate it under the first.
    lock = InstanceLock.acquire(path) if exclusive else None
    try:
        return _open(settings, paths, path, busy_timeout_ms, migrate_schema, lock)
    except BaseException:
        if lock is not None:
            lock.release()
        raise


def _open(
    settings: Settings, paths: AppPaths, path: Path, busy_timeout_ms: int, migrate_schema: bool,
    lock: InstanceLock | None,
) -> Database:
    if path == paths.database_file:
        refuse_reinitialising(path, paths, settings.general.desk_id)
    _create_private(path)
    engine = create_sqlite_engine(path, busy_timeout_ms)
    try:
        backup = _migrate(engine, path, paths) if migrate_schema else None
        # Asked only when no key is stored (a scan on a big database would slow every start).
        keyset = load_or_create_keyset(settings.general.desk_id, paths,
                                       may_create=lambda: not holds_encrypted_data(engine))
    except Exception as exc:
        engine.dispose()
        translated = translate_error(exc)
        if translated is not exc:
            raise translated from exc
        raise
    attach_keyset(engine, keyset)
    # A training database keeps no outbox (dxdesk.store.session): nothing in it is ever sent anywhere.
    info: dict[str, object] = {"desk_id": settings.general.desk_id, "training": paths.training}
    writer_factory = sessionmaker(
        bind=engine.execution_options(dxdesk_begin="IMMEDIATE"),
        class_=StoreSession, expire_on_commit=False, info=info,
    )
    reader_factory = sessionmaker(
        bind=engine, class_=StoreSession, expire_on_commit=False, info={**info, "read_only": True},
    )
    return Database(
        path=path, desk_id=settings.general.desk_id, engine=engine, writer=DbWriter(writer_factory),
        keyset=keyset, paths=paths, migration_backup=backup, _reader=reader_factory, instance_lock=lock,
    )


def holds_encrypted_data(engine: Engine) -> bool:
    """True when any encrypted column holds a value: then a missing key must never be replaced by a new one."""
    from dxdesk.store.base import Base
    from dxdesk.store.crypto import _Encrypted

    with engine.connect() as conn:
        existing = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")}
        for table in Base.metadata.sorted_tables:
            columns = [c.name for c in table.columns if isinstance(c.type, _Encrypted)]
            if not columns or table.name not in existing:
                continue
            where = " OR ".join(f"{c} IS NOT NULL" for c in columns)
            if conn.exec_driver_sql(f"SELECT 1 FROM {table.name} WHERE {where} LIMIT 1").first() is not None:
                return True
    return False


def _create_private(path: Path) -> None:
    try:
        _create_private_file(path)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):  # this user may not write the folder (or file)
            raise DataFolderReadOnlyError() from exc
        translated = translate_error(exc)  # a full disk
        if translated is not exc:
            raise translated from exc
        raise


def _create_private_file(path: Path) -> None:
    """Create a new database file owner-only *before* SQLite opens it.

    SQLite gives the ``-wal`` and ``-shm`` files it creates the permissions of the
    database file, so a chmod after the first connection would leave the WAL (which
    holds the latest records) readable by every local user for as long as it exists.
    An empty file is a valid empty SQLite database.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_size == 0:  # left empty by an earlier failed start: still ours to fix
            path.chmod(0o600)
        return
    os.close(fd)
    os.chmod(path, 0o600)  # O_CREAT's mode is filtered by the umask; 0600 only ever narrows


def _migrate(engine: Engine, path: Path, paths: AppPaths) -> Path | None:
    fast_head = migrate.head_revision_without_alembic()
    if fast_head is not None:
        with engine.connect() as conn:
            if migrate.stored_revision(conn) == fast_head:
                return None  # current: the usual start, without importing Alembic
    head = migrate.head_revision()
    current = migrate.current_revision(engine)
    if current == head:
        return None
    if current is not None and current not in migrate.known_revisions():
        raise SchemaTooNewError()
    if current is None:
        with engine.connect() as conn:
            tables = [r[0] for r in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        if tables:
            raise StoreError(Msg(
                f"{path.name} は dxdesk のデータベースではありません。",
                f"{path} holds tables but is not a dxdesk database; refusing to touch it.",
            ))
    backup = None
    if current is not None:
        backup = backup_sqlite(path, paths.backup_dir / timestamped_backup_name(f"before-{head}"))
        log.info("schema %s -> %s; backup written to %s", current, head, backup)
    migrate.upgrade(engine, head)
    return backup

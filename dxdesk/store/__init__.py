"""Qt-free local store: SQLite working database, encryption at rest, outbox and sync to PostgreSQL.

Entry points: :func:`dxdesk.store.database.open_database` (returns :class:`Database`),
:class:`dxdesk.store.sync.SyncEngine` / :class:`SyncScheduler`,
:class:`dxdesk.store.connectivity.ConnectivityState`. Models are in
:mod:`dxdesk.store.models`. Submodules are imported lazily by callers so that
``import dxdesk.store`` stays cheap.
"""

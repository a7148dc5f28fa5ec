"""The optional central PostgreSQL: engine creation, credentials and schema preparation.

The server is never required: the desk works from its local SQLite and the sync
engine talks to the server when it can. Connections use a short connect timeout
so an unreachable server costs seconds, not minutes, and never blocks start-up
(nothing here runs at open time).
"""
from __future__ import annotations

import logging

from sqlalchemy import Column, MetaData, Table, create_engine, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError

from dxdesk.i18n import Msg
from dxdesk.paths import AppPaths
from dxdesk.store import migrate
from dxdesk.store.base import Base
from dxdesk.store.crypto import _Encrypted
from dxdesk.store.errors import SchemaTooNewError
from dxdesk.store.servertls import ServerConfigError as ServerConfigError  # re-exported: callers import it here
from dxdesk.store.servertls import ServerTLS, refuse_secrets_and_tls_params
from dxdesk.store.keys import SERVER_PASSWORD_USER, get_secret, set_secret

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 3


def parse_server_url(url: str) -> URL:
    """Validate a PostgreSQL URL and pin the psycopg 3 driver. Passwords in the URL are refused."""
    try:
        parsed = make_url(url.strip())
    except ArgumentError:
        raise ServerConfigError(Msg(
            "サーバーの URL の形式が正しくありません（例: postgresql://dxdesk@server/dxdesk）。",
            "invalid server URL (example: postgresql://dxdesk@server/dxdesk)",
        )) from None
    if parsed.get_backend_name() != "postgresql":
        raise ServerConfigError(Msg(
            "サーバーは PostgreSQL の URL で指定してください（postgresql://...）。",
            "the server URL must be a PostgreSQL URL (postgresql://...)",
        ))
    if parsed.password:
        raise ServerConfigError(Msg(
            "URL にパスワードを含めないでください。パスワードはキーリングに保存されます。",
            "do not put the password in the URL; dxdesk stores it in the keyring",
        ))
    refuse_secrets_and_tls_params(parsed)
    if not parsed.host and not parsed.query.get("host"):
        raise ServerConfigError(Msg("URL にサーバー名がありません。", "the server URL has no host"))
    return parsed.set(drivername="postgresql+psycopg")


def server_password(paths: AppPaths | None = None) -> str | None:
    return get_secret(SERVER_PASSWORD_USER, paths)


def store_server_password(password: str, paths: AppPaths | None = None) -> str:
    return set_secret(SERVER_PASSWORD_USER, password, paths)


def create_server_engine(url: str, password: str | None = None, tls: ServerTLS | None = None) -> Engine:
    """An engine for the server; TLS as ``tls`` says (default: verify-full, refused without a CA file)."""
    parsed = parse_server_url(url)
    tls_query = (tls or ServerTLS()).query()  # raises before anything connects
    if password:
        parsed = parsed.set(password=password)
    # In the URL (not connect_args) so it is visible in the engine; a value in the configured URL wins.
    defaults = {"connect_timeout": str(CONNECT_TIMEOUT_S), "application_name": "dxdesk"}
    parsed = parsed.update_query_dict({k: v for k, v in defaults.items() if k not in parsed.query})
    parsed = parsed.update_query_dict(tls_query)  # the URL may not carry TLS parameters (refused above)
    return create_engine(
        parsed,
        pool_pre_ping=True,
        pool_size=2,
    )


# Arbitrary fixed key ("dxdesk" in ASCII) for the advisory lock that serialises schema upgrades.
SCHEMA_LOCK_KEY = 0x64786465736B


def prepare_server_schema(engine: Engine) -> None:
    """Bring the server schema to head with the same Alembic revisions as the desks.

    Desks switched on together against a new (or newly upgraded) server would all try
    to create the schema at once; the transaction-scoped advisory lock lets the first
    do it while the others wait, then find it at head.
    """
    from alembic.runtime.migration import MigrationContext  # here: importing this module must not load Alembic

    current = migrate.current_revision(engine)
    if current == migrate.head_revision():
        return
    if current is not None and current not in migrate.known_revisions():
        raise SchemaTooNewError()  # a newer dxdesk set the server up: never migrate it "back"
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
        if MigrationContext.configure(conn).get_current_revision() != migrate.head_revision():
            migrate.upgrade_connection(conn)


_RAW = MetaData()


def raw_table(name: str) -> Table:
    """The table with encrypted columns typed as plain text.

    Sync copies ciphertext as-is: the server stores personal fields encrypted with
    the originating desk's key and never sees plaintext or keys.
    """
    existing = _RAW.tables.get(name)
    if existing is not None:
        return existing
    source = Base.metadata.tables[name]
    columns = [
        Column(c.name, c.type.impl_instance if isinstance(c.type, _Encrypted) else c.type,
               primary_key=c.primary_key, nullable=c.nullable)
        for c in source.columns
    ]
    return Table(name, _RAW, *columns)


def encrypted_columns(name: str) -> list[str]:
    return [c.name for c in Base.metadata.tables[name].columns if isinstance(c.type, _Encrypted)]

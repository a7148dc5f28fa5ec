"""#20 item 3 (TLS and secrets in the URL), as the attack: someone on the network poses as the server,
or the URL carries a password. Against a real PostgreSQL serving TLS with a CA made in the test."""
from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

from dxdesk.config import load_settings
from dxdesk.store.errors import StoreError
from dxdesk.store.models import AuditEvent, Clerk
from tools.pgcluster import PgCluster, PgClusterError, pg_binaries_available
from dxdesk.store.server import create_server_engine
from dxdesk.store.servertls import (
    INSECURE, PINNED, VERIFY_FULL, ServerConfigError, ServerTLS, certificate_sha256, redacted_url,
)
from dxdesk.store.sync import MSG_TLS_FAILED, SyncEngine

from .conftest import desk_settings
from .tlscerts import Issued, issue_server_cert, make_ca, self_signed_server_cert

pytestmark = pytest.mark.postgres


def _cluster(cert: Issued) -> Iterator[PgCluster]:
    if not pg_binaries_available():
        pytest.skip("PostgreSQL server binaries not found")
    cluster = PgCluster(tls_cert_pem=cert.cert_pem, tls_key_pem=cert.key_pem)
    try:
        cluster.start()
    except PgClusterError as exc:
        cluster.destroy()
        pytest.fail(f"could not start PostgreSQL with TLS: {exc}")
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="module")
def town_ca(tmp_path_factory) -> tuple[Issued, Path, object]:
    ca, key = make_ca()
    path = tmp_path_factory.mktemp("ca") / "town-ca.pem"
    path.write_bytes(ca.cert_pem)
    return ca, path, key


@pytest.fixture(scope="module")
def tls_server(town_ca) -> Iterator[PgCluster]:
    ca, _path, key = town_ca
    yield from _cluster(issue_server_cert(ca, key))  # type: ignore[arg-type]


def _ssl_in_use(url: str, tls: ServerTLS) -> bool:
    engine = create_server_engine(url, tls=tls)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")).scalar())
    finally:
        engine.dispose()


def _support(db) -> None:
    from datetime import datetime, timezone

    from dxdesk.store.models import SupportSession

    db.writer.run(lambda s: s.add(SupportSession(
        started_at=datetime(2026, 4, 1, 1, tzinfo=timezone.utc), venue="本庁", venue_type="counter",
        device="iphone", age_band="70-74", outcome="resolved", note="秘密のメモ")))


def test_verify_full_with_the_town_ca_connects_over_tls(tls_server, town_ca, make_db):
    _ca, ca_path, _key = town_ca
    url = tls_server.create_database()
    assert _ssl_in_use(url, ServerTLS(VERIFY_FULL, str(ca_path)))
    settings = desk_settings(server_url=url)
    settings.store.server_ca_file = str(ca_path)
    db = make_db(settings=settings)
    _support(db)
    assert SyncEngine(db, settings.store).run_once().sent == 1


def test_a_server_with_another_ca_is_refused(tls_server, make_db, tmp_path):
    """Someone posing as the server with a certificate the town's CA did not sign."""
    other_ca, _key = make_ca("not the town")
    wrong = tmp_path / "other-ca.pem"
    wrong.write_bytes(other_ca.cert_pem)
    settings = desk_settings(server_url=tls_server.create_database())
    settings.store.server_ca_file = str(wrong)
    db = make_db(settings=settings)
    _support(db)
    with pytest.raises(StoreError) as refused:
        SyncEngine(db, settings.store).run_once()
    assert refused.value.message == MSG_TLS_FAILED
    assert db.pending_count() == 1  # nothing was sent


def test_no_ca_configured_means_no_connection_at_all(tls_server, make_db):
    settings = desk_settings(server_url=tls_server.create_database())  # defaults: verify-full, no CA file
    db = make_db(settings=settings)
    _support(db)
    with pytest.raises(ServerConfigError) as refused:
        SyncEngine(db, settings.store).run_once()
    assert "--ca-file" in refused.value.message.en and refused.value.message.ja
    assert db.pending_count() == 1


def test_plaintext_only_with_the_explicit_lab_opt_out(pg_server):
    """The session cluster serves no TLS: refused by default, reachable only with insecure-no-tls."""
    url = pg_server.create_database()
    with pytest.raises(ServerConfigError):
        create_server_engine(url)
    assert _ssl_in_use(url, ServerTLS(INSECURE)) is False


@pytest.mark.parametrize("query", ["sslmode=disable", "sslmode=prefer", "sslrootcert=/tmp/x.pem"])
def test_tls_settings_in_the_url_are_refused(query):
    with pytest.raises(ServerConfigError) as refused:
        create_server_engine(f"postgresql://dxdesk@server.example/dxdesk?{query}", tls=ServerTLS(INSECURE))
    assert "--insecure-no-tls" in refused.value.message.en


def test_cli_set_server_with_the_ca_then_sync(tls_server, town_ca, capsys, dxdesk_home, desk_accounts):
    from dxdesk.cli import main
    from dxdesk.store.database import open_database

    _ca, ca_path, _key = town_ca
    url = tls_server.create_database()
    assert main(["db", "set-server", url, "--no-password", "--as", "admin"]) == 2  # no way to trust the server chosen
    assert "--ca-file" in capsys.readouterr().err
    assert main(["db", "set-server", url, "--no-password", "--ca-file", str(ca_path), "--as", "admin"]) == 0
    store = load_settings().store
    assert store.server_tls == VERIFY_FULL and Path(store.server_ca_file).read_bytes() == ca_path.read_bytes()
    assert Path(store.server_ca_file).stat().st_mode & 0o077 == 0
    db = open_database()
    try:
        _support(db)
    finally:
        db.close()
    capsys.readouterr()
    assert main(["sync"]) == 0
    assert "still waiting 0" in capsys.readouterr().out  # the session, the accounts and their audit events
    assert main(["db", "status"]) == 0
    assert "verify-full" in capsys.readouterr().out


def test_cli_pins_a_self_signed_server_certificate(capsys, dxdesk_home, desk_accounts):
    from dxdesk.cli import main

    cert = self_signed_server_cert()
    fingerprint = certificate_sha256(load_pem_certificate_bytes(cert.cert_pem))
    for cluster in _cluster(cert):
        url = cluster.create_database()
        assert main(["db", "set-server", url, "--no-password", "--pin-sha256", "00" * 32, "--as", "admin"]) == 2
        assert fingerprint in capsys.readouterr().err  # says what the server presents
        assert load_settings().store.server_url == ""  # nothing was changed
        colons = ":".join(fingerprint[i:i + 2] for i in range(0, 64, 2)).upper()
        assert main(["db", "set-server", url, "--no-password", "--pin-sha256", colons, "--as", "admin"]) == 0
        store = load_settings().store
        assert store.server_tls == PINNED and store.server_cert_sha256 == fingerprint
        assert _ssl_in_use(url, ServerTLS.from_settings(store))
        capsys.readouterr()
        assert main(["sync"]) == 0
        # A swapped certificate file is noticed before connecting.
        Path(store.server_ca_file).write_bytes(self_signed_server_cert().cert_pem)
        assert main(["sync"]) == 2
        assert "no longer matches" in capsys.readouterr().err


def load_pem_certificate_bytes(pem: bytes) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    return x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)


def test_insecure_opt_out_is_audited(pg_server, capsys, dxdesk_home, desk_accounts):
    from dxdesk.cli import main
    from dxdesk.store.database import open_database

    url = pg_server.create_database()
    assert main(["db", "set-server", url, "--no-password", "--insecure-no-tls", "--as", "admin"]) == 0
    captured = capsys.readouterr()
    assert "WARNING: no TLS" in captured.err and "NONE" in captured.out
    db = open_database()
    try:
        with db.session() as s:
            events = s.scalars(select(AuditEvent).where(AuditEvent.event_type == "db.set_server")).all()
            admin_id = s.scalars(select(Clerk.id).where(Clerk.login == "admin")).one()
    finally:
        db.close()
    # The administrator's own db.set_server event names the plaintext opt-out.
    assert [(e.details["tls"], e.actor) for e in events] == [(INSECURE, admin_id)]


@pytest.mark.parametrize("url", [
    "postgresql://dxdesk@server.example/dxdesk?password=hunter2secret",
    "postgresql://dxdesk@server.example/dxdesk?sslpassword=hunter2secret&connect_timeout=5",
    "postgresql://dxdesk:hunter2secret@server.example/dxdesk",
])
def test_a_password_in_the_url_is_refused_and_never_stored(url, capsys, dxdesk_home):
    from dxdesk.cli import main

    assert main(["db", "set-server", url, "--no-password", "--insecure-no-tls", "--as", "admin"]) == 2
    captured = capsys.readouterr()
    assert "keyring" in captured.err and "hunter2secret" not in captured.out + captured.err
    settings_file = dxdesk_home / "config" / "settings.toml"
    assert not settings_file.exists() or "hunter2secret" not in settings_file.read_text(encoding="utf-8")


def test_db_status_never_prints_a_password_from_an_old_settings_file(capsys, dxdesk_home):
    """A settings.toml written by an older dxdesk, which stored ?password= as given."""
    from dxdesk.cli import main
    from dxdesk.config import save_settings

    settings = load_settings()
    settings.store.server_url = "postgresql://dxdesk@server.example/dxdesk?password=hunter2secret&application_name=x"
    save_settings(settings)
    assert tomllib.loads((dxdesk_home / "config" / "settings.toml").read_text())["store"]["server_url"]
    assert main(["db", "status"]) == 0
    out = capsys.readouterr().out
    assert "hunter2secret" not in out and "password=***" in out and "server.example" in out


def test_redacted_url_hides_every_form_of_password():
    assert redacted_url("postgresql://u:pw1@h/db") == "postgresql://u:***@h/db"
    assert "pw2" not in redacted_url("postgresql://u@h/db?password=pw2&sslpassword=pw3")
    assert "pw3" not in redacted_url("postgresql://u@h/db?password=pw2&sslpassword=pw3")
    assert redacted_url("not a url :: pw") == "(unreadable URL)"

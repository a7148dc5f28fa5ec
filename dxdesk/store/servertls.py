"""How the desk talks TLS to the town server, and the server URL without secrets.

Three ways, chosen by the administrator with ``dxdesk db set-server`` (settings ``[store]``):

- ``verify-full`` (the default): libpq checks the server certificate against the town's CA
  (``server_ca_file``, a copy kept in the config dir) and the host name against it.
- ``pinned``: the server's own certificate (self-signed is fine), whose SHA-256 the administrator
  confirmed, is the only trust anchor (``sslmode=verify-ca`` with that certificate); the copy's
  fingerprint is checked again before every connection, so swapping the file is noticed.
- ``insecure-no-tls``: plaintext, for a lab only, set explicitly (``--insecure-no-tls``), logged
  as a warning on every connection and recorded in the audit log when set.

Without one of them the desk refuses to connect: libpq's default (``prefer``) silently falls
back to plaintext and checks no certificate, so anyone on the network could be "the server".
TLS settings in the URL itself are refused too (``?sslmode=disable`` would be a quiet way out),
and so is any secret in it (``?password=``): secrets belong in the keyring.
"""
from __future__ import annotations

import hashlib
import logging
import socket
import ssl
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy.engine import URL

from dxdesk.i18n import Msg
from dxdesk.store.errors import StoreError

log = logging.getLogger(__name__)

VERIFY_FULL = "verify-full"
PINNED = "pinned"
INSECURE = "insecure-no-tls"
TLS_MODES = (VERIFY_FULL, PINNED, INSECURE)

# Query parameters a server URL may not carry: secrets (never in settings.toml) and TLS choices
# (made with set-server's options, where the insecure one is explicit and audited).
SECRET_PARAMS = frozenset({"password", "sslpassword"})
TLS_PARAMS = frozenset({"sslmode", "sslrootcert", "sslcrl", "sslcrldir", "requiressl", "sslnegotiation",
                        "sslcert", "sslkey", "sslcompression", "ssl_min_protocol_version"})


class ServerConfigError(StoreError):
    """The server settings (URL, TLS) are unusable; the message says what to do."""


class ServerTLSError(ServerConfigError):
    pass


MSG_NO_TLS = Msg(
    "サーバーとの通信を保護する設定（TLS）がありません。町の CA 証明書を指定してください"
    "（dxdesk db set-server URL --ca-file CA.pem）。",
    "no TLS is configured for the server: give the town's CA certificate "
    "(dxdesk db set-server URL --ca-file CA.pem), or pin the server certificate (--pin-sha256 HEX)",
)


@dataclass(frozen=True)
class ServerTLS:
    mode: str = VERIFY_FULL
    ca_file: str = ""  # the town CA (verify-full) or the pinned server certificate (pinned)
    cert_sha256: str = ""  # pinned mode: the confirmed fingerprint of that certificate

    @classmethod
    def from_settings(cls, store: Any) -> "ServerTLS":
        return cls(getattr(store, "server_tls", VERIFY_FULL) or VERIFY_FULL,
                   getattr(store, "server_ca_file", ""), getattr(store, "server_cert_sha256", ""))

    def query(self) -> dict[str, str]:
        """The libpq parameters for this choice; raises ServerTLSError when it is incomplete."""
        if self.mode == INSECURE:
            log.warning("server connection WITHOUT TLS (insecure-no-tls, lab only): "
                        "passwords and records cross the network readable and the server is not authenticated")
            return {"sslmode": "disable"}
        if self.mode not in TLS_MODES:
            raise ServerTLSError(Msg(f"不明な TLS 設定です: {self.mode}", f"unknown server_tls setting {self.mode!r}"))
        if not self.ca_file:
            raise ServerTLSError(MSG_NO_TLS)
        path = Path(self.ca_file)
        if not path.is_file():
            raise ServerTLSError(Msg(f"証明書ファイルがありません: {path}",
                                     f"the certificate file {path} is missing; run dxdesk db set-server again"))
        if self.mode == PINNED:
            actual = certificate_sha256(load_pem_certificate(path))
            if actual != normalize_fingerprint(self.cert_sha256):
                raise ServerTLSError(Msg(
                    "固定したサーバー証明書のファイルが変更されています。dxdesk db set-server をやり直してください。",
                    f"the pinned server certificate {path} no longer matches its fingerprint; "
                    "run dxdesk db set-server again",
                ))
            return {"sslmode": "verify-ca", "sslrootcert": str(path)}
        return {"sslmode": "verify-full", "sslrootcert": str(path)}


def refuse_secrets_and_tls_params(parsed: URL) -> None:
    keys = {k.lower() for k in parsed.query}
    if keys & SECRET_PARAMS:
        raise ServerTLSError(Msg(
            "URL にパスワードを含めないでください（?password= も不可）。パスワードはキーリングに保存されます。",
            "do not put the password in the URL (not as ?password= either); dxdesk stores it in the keyring",
        ))
    bad = sorted(keys & TLS_PARAMS)
    if bad:
        raise ServerTLSError(Msg(
            f"TLS の設定は URL ではなく dxdesk db set-server のオプションで指定してください（{', '.join(bad)}）。",
            f"TLS is set with dxdesk db set-server's options (--ca-file, --pin-sha256, --insecure-no-tls), "
            f"not in the URL ({', '.join(bad)})",
        ))


def redacted_url(url: str) -> str:
    """The URL for printing and logs: any password (user:pw@ or ?password=) replaced by ***."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if not url:
        return url
    try:
        parsed = make_url(url.strip())
    except ArgumentError:
        return "(unreadable URL)"  # never echo text that may hold a secret
    query = {k: ("***" if k.lower() in SECRET_PARAMS else v) for k, v in parsed.query.items()}
    text = parsed.set(query={}).render_as_string(hide_password=True)  # user:***@host
    if query:
        parts = []
        for k, v in query.items():
            for item in (v if isinstance(v, tuple) else (v,)):
                parts.append(f"{quote(k)}={item if item == '***' else quote(str(item), safe='/:')}")
        text += "?" + "&".join(parts)
    return text


# ---------------------------------------------------------------- certificates

def normalize_fingerprint(text: str) -> str:
    return text.replace(":", "").replace(" ", "").strip().lower()


def load_pem_certificate(path: Path) -> bytes:
    """The DER bytes of the first certificate in a PEM file; ServerTLSError when there is none."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    try:
        certs = x509.load_pem_x509_certificates(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ServerTLSError(Msg(f"証明書ファイルを読めません: {path}",
                                 f"{path} is not a readable PEM certificate file ({exc})")) from None
    return certs[0].public_bytes(Encoding.DER)


def certificate_sha256(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def fetch_server_certificate(host: str, port: int, timeout: float = 5.0) -> bytes:
    """The DER certificate a PostgreSQL server presents (SSLRequest, then a TLS handshake without checks).

    Only used to show/compare the fingerprint when pinning; the connections themselves are
    verified by libpq against the saved copy.
    """
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # nothing is trusted here: the fingerprint is compared by the caller
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(struct.pack("!ii", 8, 80877103))  # PostgreSQL SSLRequest
            if sock.recv(1) != b"S":
                raise ServerTLSError(Msg("サーバーが TLS に対応していません。",
                                         f"the server at {host}:{port} does not offer TLS"))
            with context.wrap_socket(sock, server_hostname=host) as tls:
                der = tls.getpeercert(binary_form=True)
    except OSError as exc:
        raise ServerTLSError(Msg(f"サーバーに接続できません: {host}:{port}",
                                 f"cannot reach {host}:{port} to read its certificate ({exc})")) from None
    if not der:
        raise ServerTLSError(Msg("サーバー証明書を読めません。", "the server sent no certificate"))
    return der


def der_to_pem(der: bytes) -> str:
    return ssl.DER_cert_to_PEM_cert(der)

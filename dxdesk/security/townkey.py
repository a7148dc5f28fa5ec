"""The town key: an Ed25519 key pair with which administrators sign account records.

Pure cryptography, no database (dxdesk.security.accounttrust stores and uses it):

* The **public half** is pinned on every desk (created there with the first administrator, or
  pinned when the desk joins a town's server after the administrator compared its fingerprint).
* The **private half** never exists in clear outside memory. It is stored *wrapped* once per
  administrator: AES-256-GCM under a key derived with scrypt from that administrator's password
  (own salt, not the password hash's), with the public key as associated data. The wraps travel
  with the shared settings, so an administrator can sign at any desk; the server holds them only
  as ciphertext. An administrator's signing key is unwrapped at sign-in and held in memory for the
  signed-in session only.
* An **account record** is signed as canonical JSON of the fields that decide who may sign in as
  what: id, login, display name, role, active, password hash and a version counter (so an old,
  once-valid record cannot be replayed over a newer one).
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from dxdesk.security.passwords import DEFAULT_PARAMS, ScryptParams

WRAP_VERSION = 1
_ACCOUNT_DOMAIN = b"dxdesk-account-v1\n"  # a signature for an account can never be read as anything else
# must_change_password too: a server must not be able to waive the change of an administrator-issued password.
SIGNED_ACCOUNT_FIELDS = ("id", "login", "display_name", "role", "active", "password_hash", "must_change_password",
                         "version")


class TownKeyError(ValueError):
    """A wrap that does not open with this password, or does not belong to the pinned key."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def fingerprint(public_b64: str) -> str:
    """What the administrator compares by eye: 32 hex digits of SHA-256 in groups of four."""
    digest = hashlib.sha256(_unb64(public_b64)).hexdigest()[:32].upper()
    return "-".join(digest[i:i + 4] for i in range(0, 32, 4))


@dataclass(frozen=True)
class TownSigner:
    """The unwrapped private half, held in memory while an administrator is signed in."""

    private: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> TownSigner:
        return cls(Ed25519PrivateKey.generate())

    @property
    def public_b64(self) -> str:
        return _b64(self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    def sign(self, message: bytes) -> str:
        return _b64(self.private.sign(message))

    def sign_account(self, record: Mapping[str, Any]) -> str:
        return self.sign(account_message(record))

    def wrap(self, password: str, params: ScryptParams = DEFAULT_PARAMS) -> dict[str, Any]:
        """The private half encrypted for one administrator's password (stored in shared settings).

        The key derivation costs what a password hash costs (the same parameters), so the wrap is no
        easier to attack offline than the password hash that travels beside it.
        """
        salt, nonce = os.urandom(16), os.urandom(12)
        raw = self.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        public = self.public_b64
        ciphertext = AESGCM(_kek(password, salt, params)).encrypt(nonce, raw, public.encode("ascii"))
        return {"v": WRAP_VERSION, "public": public, "salt": _b64(salt), "nonce": _b64(nonce),
                "n": params.n, "r": params.r, "p": params.p, "ciphertext": _b64(ciphertext)}


def unwrap(wrap: Mapping[str, Any], password: str, expected_public_b64: str) -> TownSigner:
    """Open an administrator's wrap; refuses one that is not for the pinned public key."""
    try:
        if wrap.get("v") != WRAP_VERSION or wrap.get("public") != expected_public_b64:
            raise TownKeyError("this signing key is not the town key pinned on this desk")
        params = ScryptParams(n=int(wrap["n"]), r=int(wrap["r"]), p=int(wrap["p"]))
        raw = AESGCM(_kek(password, _unb64(wrap["salt"]), params)).decrypt(
            _unb64(wrap["nonce"]), _unb64(wrap["ciphertext"]), expected_public_b64.encode("ascii"))
        signer = TownSigner(Ed25519PrivateKey.from_private_bytes(raw))
    except (InvalidTag, KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, TownKeyError):
            raise
        raise TownKeyError("the town signing key does not open with this password") from None
    if signer.public_b64 != expected_public_b64:
        raise TownKeyError("the town signing key does not match the pinned public key")
    return signer


def _kek(password: str, salt: bytes, params: ScryptParams) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=params.n, r=params.r, p=params.p,
                          maxmem=params.maxmem, dklen=32)


def account_message(record: Mapping[str, Any]) -> bytes:
    fields = {name: record.get(name) for name in SIGNED_ACCOUNT_FIELDS}
    fields["active"] = bool(fields["active"])
    fields["must_change_password"] = bool(fields["must_change_password"])
    fields["version"] = int(fields["version"] or 0)
    return _ACCOUNT_DOMAIN + json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def verify_account(record: Mapping[str, Any], public_b64: str) -> bool:
    """True when ``record['signature']`` is the town key's signature of the record's signed fields."""
    signature = record.get("signature")
    if not signature or not public_b64:
        return False
    try:
        key = Ed25519PublicKey.from_public_bytes(_unb64(public_b64))
        key.verify(_unb64(signature), account_message(record))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True

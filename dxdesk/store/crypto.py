"""AES-GCM encryption of personal fields at rest, as SQLAlchemy column types.

Stored form (text): ``v1:<key id>:<base64(nonce || ciphertext+tag)>``. The key id
lets ``dxdesk db rotate-key`` re-encrypt under a new key while rows still carrying
the old id stay readable. The associated data is ``"<table>.<column>"``, so a
ciphertext copied into another column (or table) fails authentication instead of
being silently shown as something else.

The keys are looked up on the engine's dialect (``attach_keyset``): each open
database carries its own keys, and an engine without keys (the central server,
which only ever receives ciphertext) refuses to encrypt or decrypt rather than
writing plaintext.
"""
from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Text
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.types import TypeDecorator

from dxdesk.i18n import Msg
from dxdesk.paths import AppPaths
from dxdesk.store.errors import DamagedRecordError, EncryptionKeyError

PREFIX = "v1"
_NONCE_BYTES = 12
_DIALECT_ATTR = "dxdesk_keyset"


@dataclass
class KeySet:
    """All keys this desk can decrypt with, and the one new values are encrypted with."""

    current: str
    keys: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def generate(cls) -> "KeySet":
        kid = new_key_id()
        return cls(current=kid, keys={kid: AESGCM.generate_key(bit_length=256)})

    def with_new_key(self) -> "KeySet":
        """A copy with a fresh current key; old keys kept so existing rows stay readable."""
        kid = new_key_id()
        return KeySet(current=kid, keys={**self.keys, kid: AESGCM.generate_key(bit_length=256)})

    def only_current(self) -> "KeySet":
        return KeySet(current=self.current, keys={self.current: self.keys[self.current]})

    def to_json(self) -> str:
        return json.dumps(
            {"current": self.current, "keys": {k: base64.b64encode(v).decode() for k, v in self.keys.items()}}
        )

    @classmethod
    def from_json(cls, text: str) -> "KeySet":
        try:
            data = json.loads(text)
            keys = {str(k): base64.b64decode(v) for k, v in data["keys"].items()}
            current = str(data["current"])
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise EncryptionKeyError(
                Msg("暗号化キーの保存形式が正しくありません。", "The stored database key is malformed.")
            ) from exc
        if current not in keys or any(len(k) != 32 for k in keys.values()):
            raise EncryptionKeyError(
                Msg("暗号化キーの保存形式が正しくありません。", "The stored database key is malformed.")
            )
        return cls(current=current, keys=keys)

    def encrypt(self, plaintext: bytes, context: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(self.keys[self.current]).encrypt(nonce, plaintext, context.encode())
        return f"{PREFIX}:{self.current}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, stored: str, context: str) -> bytes:
        try:
            version, kid, payload = stored.split(":", 2)
        except ValueError:
            raise DamagedRecordError(MSG_CANNOT_DECRYPT) from None
        if version != PREFIX:
            raise DamagedRecordError(MSG_CANNOT_DECRYPT)
        key = self.keys.get(kid)
        if key is None:
            raise EncryptionKeyError()
        try:
            raw = base64.b64decode(payload)
            return AESGCM(key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode())
        except (InvalidTag, ValueError):
            raise DamagedRecordError(MSG_CANNOT_DECRYPT) from None

    @staticmethod
    def key_id_of(stored: str) -> str | None:
        parts = stored.split(":", 2)
        return parts[1] if len(parts) == 3 and parts[0] == PREFIX else None


MSG_CANNOT_DECRYPT = Msg(
    "暗号化された個人情報を復号できません（データの破損または改ざんの可能性があります）。"
    "何も変更していません。管理者に連絡してください。必要ならバックアップから復元します（dxdesk db restore）。",
    "An encrypted personal field of a record cannot be decrypted (damaged or tampered with); nothing was changed. "
    "Tell the administrator; if needed, restore a backup (dxdesk db restore).",
)


def new_key_id() -> str:
    return secrets.token_hex(4)


def attach_keyset(engine: Engine, keyset: KeySet | None) -> None:
    """Make ``keyset`` the keys for every encrypted column read or written through ``engine``."""
    setattr(engine.dialect, _DIALECT_ATTR, keyset)


def keyset_of(dialect: Dialect) -> KeySet:
    keyset: KeySet | None = getattr(dialect, _DIALECT_ATTR, None)
    if keyset is None:
        raise EncryptionKeyError(
            Msg("この接続には暗号化キーが設定されていません。", "No encryption key is attached to this connection.")
        )
    return keyset


class _Encrypted(TypeDecorator[Any]):
    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        """``context`` is ``"table.column"``; it is bound into the ciphertext as associated data."""
        super().__init__()
        self.context = context

    def _encode(self, value: Any) -> bytes:
        raise NotImplementedError

    def _decode(self, data: bytes) -> Any:
        raise NotImplementedError

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyset_of(dialect).encrypt(self._encode(value), self.context)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return self._decode(keyset_of(dialect).decrypt(value, self.context))


class EncryptedString(_Encrypted):
    """A text column stored encrypted. ``None`` stays NULL (absence is not secret)."""

    cache_ok = True

    def _encode(self, value: Any) -> bytes:
        if not isinstance(value, str):
            raise TypeError("EncryptedString takes str")
        return value.encode("utf-8")

    def _decode(self, data: bytes) -> str:
        return data.decode("utf-8")


class EncryptedJSON(_Encrypted):
    """Any JSON-serialisable value stored encrypted as one blob."""

    cache_ok = True

    def _encode(self, value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def _decode(self, data: bytes) -> Any:
        return json.loads(data.decode("utf-8"))


def key_storage_description(paths: AppPaths | None = None, desk_id: str | None = None) -> str:
    """Where the database key is kept (English); see dxdesk.store.keys. Re-exported here for ``dxdesk doctor``."""
    from dxdesk.store.keys import key_storage_description as describe  # keys imports this module

    return describe(paths, desk_id)

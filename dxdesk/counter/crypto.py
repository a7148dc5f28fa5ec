"""Encryption of the personal part of a visit journal (AES-GCM).

The key comes from a :class:`KeyProvider`; the real one (keyring-backed) is built in
``dxdesk.store.crypto``. Anything with ``get_key() -> bytes`` works, so this
package does not depend on the store. The visit id is bound as associated data: a
ciphertext copied into another visit's file fails to decrypt instead of silently
swapping two residents' data.
"""
from __future__ import annotations

import base64
import json
import os
from typing import Any, Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from dxdesk.i18n import Msg

from .errors import JournalError

_NONCE_BYTES = 12
ENVELOPE_VERSION = 1


@runtime_checkable
class KeyProvider(Protocol):
    def get_key(self) -> bytes:
        """A 16-, 24- or 32-byte AES key (32 recommended)."""
        ...


class InMemoryKeyProvider:
    """A key that lives only in this process: tests, demos, and a fallback with no keyring."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else AESGCM.generate_key(bit_length=256)

    def get_key(self) -> bytes:
        return self._key


def _aead(provider: KeyProvider) -> AESGCM:
    key = provider.get_key()
    if not isinstance(key, bytes) or len(key) not in (16, 24, 32):
        raise JournalError(Msg(
            "暗号鍵が正しくありません（16/24/32バイトが必要です）",
            "The encryption key is invalid (an AES key of 16, 24 or 32 bytes is needed).",
        ))
    return AESGCM(key)


def seal(provider: KeyProvider, payload: Any, associated: str) -> dict[str, Any]:
    """JSON-serialisable ``payload`` → ``{"v", "nonce", "ct"}`` (base64)."""
    plaintext = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    nonce = os.urandom(_NONCE_BYTES)  # random 96-bit nonce: fine for the few writes one key sees per visit
    ciphertext = _aead(provider).encrypt(nonce, plaintext, associated.encode("utf-8"))
    return {
        "v": ENVELOPE_VERSION,
        "nonce": base64.b64encode(nonce).decode("ascii"),
        "ct": base64.b64encode(ciphertext).decode("ascii"),
    }


def unseal(provider: KeyProvider, envelope: dict[str, Any], associated: str) -> Any:
    try:
        if envelope.get("v") != ENVELOPE_VERSION:
            raise ValueError("envelope version")
        nonce = base64.b64decode(envelope["nonce"], validate=True)
        ciphertext = base64.b64decode(envelope["ct"], validate=True)
        plaintext = _aead(provider).decrypt(nonce, ciphertext, associated.encode("utf-8"))
        return json.loads(plaintext.decode("utf-8"))
    except JournalError:
        raise
    except (InvalidTag, ValueError, KeyError, TypeError):
        # Wrong key, tampering, or a truncated file: all the same to the user.
        raise JournalError(Msg(
            "受付記録を復号できません（鍵が違うか、ファイルが壊れています）",
            "Cannot decrypt the visit journal entry (wrong key or damaged file).",
        )) from None

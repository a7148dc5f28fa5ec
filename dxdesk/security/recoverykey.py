"""The town recovery key: an X25519 key pair that can reopen any desk's keys after a lost PC.

An administrator creates it once (``dxdesk db recovery-setup``). The *public* half is
shared with every desk through the server (``shared_settings``); each desk then stores
its database and audit keys also *wrapped* with it (:mod:`dxdesk.store.escrow`), in its
own database and so on the server and in every backup. The *private* half never lives
on a desk: it is printed on the recovery sheet (a PDF, :mod:`dxdesk.security.recoverysheet`)
and/or saved to a USB file, and is typed or plugged in only to recover.

Wrapping is ECIES-style: a fresh ephemeral X25519 key per wrap, the shared secret
through HKDF-SHA256 into an AES-256-GCM key, and a context string (desk id and key
kind) bound as associated data, so a wrapped key copied to another desk's row fails
to open instead of opening as the wrong key.

The secret is written as 13 groups of 4 base32 characters, followed by a 6-character
check code: a typo on the sheet is caught before anything is tried with it.

The key's fingerprint, what an administrator types from the sheet to confirm a key that
reached a desk through the server, is 16 hex digits shown in groups of 4 (64 bits: an
intruder cannot make a key of their own that matches it; the 8 digits of earlier versions
could be matched by brute force). Desks store it without the dashes (``fingerprint_id``);
rows written before hold the short form, which is still read (``stored_fingerprints``).
"""
from __future__ import annotations

import base64
import hashlib
import os
import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from dxdesk.i18n import Msg
from dxdesk.store.errors import StoreError

WRAP_PREFIX = "r1"
SECRET_HEADER = "dxdesk town recovery key v1"
_RAW = serialization.Encoding.Raw
_NONCE = 12


class RecoveryKeyError(StoreError):
    default_message = Msg(
        "復旧キーが正しくありません。復旧シートの文字を確認して、もう一度入力してください。",
        "The recovery secret is not valid; check it against the recovery sheet and try again.",
    )


FINGERPRINT_DIGITS = 16
_LEGACY_DIGITS = 8  # the fingerprint of earlier versions: still read where it was stored
_HEX = frozenset("0123456789abcdef")
_SEPARATORS = frozenset(" \t-\u2010\u2012\u2013\u2014\u2212\u30fc")  # dashes as typed, and the IME's ー


def _digest(public: bytes) -> str:
    return hashlib.sha256(b"dxdesk-recovery-public:" + public).hexdigest()


def fingerprint_id(public: bytes) -> str:
    """The fingerprint as desks store it (``desk_keys.recovery_fingerprint``, wraps): 16 hex digits."""
    return _digest(public)[:FINGERPRINT_DIGITS]


def show_fingerprint(stored: str) -> str:
    """A stored fingerprint as people read and type it: hex digits in groups of 4, e.g. ``3f2a-91c0-5b7e-0d14``."""
    digits = stored.replace("-", "")
    return "-".join(digits[i:i + 4] for i in range(0, len(digits), 4))


def fingerprint(public: bytes) -> str:
    """The recovery public key's fingerprint as printed on the sheet and shown by desks, e.g. ``3f2a-91c0-5b7e-0d14``."""
    return show_fingerprint(fingerprint_id(public))


def legacy_fingerprint(public: bytes) -> str:
    """The 8-digit form earlier versions stored and printed (``3f2a-91c0``): the first half of the new one."""
    return show_fingerprint(_digest(public)[:_LEGACY_DIGITS])


def stored_fingerprints(public: bytes) -> tuple[str, str]:
    """Every form a desk may have stored this key's fingerprint in: the current one first, then the legacy one."""
    return fingerprint_id(public), legacy_fingerprint(public)


def typed_fingerprint(typed: str) -> str:
    """What was typed from the sheet, as shown: ``3F2A 91C0 5B7E 0D14``, ``3f2a91c05b7e0d14`` and full-width
    ``３Ｆ２Ａ－９１Ｃ０…`` all read ``3f2a-91c0-5b7e-0d14`` (8 digits: the legacy ``3f2a-91c0``); anything
    else comes back trimmed, to be named in the refusal."""
    text = unicodedata.normalize("NFKC", typed).strip().lower()  # an IME's full-width digits and dashes
    digits = "".join(ch for ch in text if ch in _HEX)
    if all(ch in _HEX or ch in _SEPARATORS for ch in text) and len(digits) in (FINGERPRINT_DIGITS, _LEGACY_DIGITS):
        return show_fingerprint(digits)
    return text


def _check_code(private: bytes) -> str:
    return hashlib.sha256(b"dxdesk-recovery-check:" + private).hexdigest()[:6].upper()


@dataclass(frozen=True)
class RecoverySecret:
    """The private half. Never stored on a desk; ``text()`` is what the sheet and the USB file hold."""

    private: bytes

    @classmethod
    def generate(cls) -> "RecoverySecret":
        return cls(X25519PrivateKey.generate().private_bytes(_RAW, serialization.PrivateFormat.Raw,
                                                              serialization.NoEncryption()))

    @property
    def public(self) -> bytes:
        return X25519PrivateKey.from_private_bytes(self.private).public_key().public_bytes(
            _RAW, serialization.PublicFormat.Raw)

    @property
    def grouped(self) -> str:
        text = base64.b32encode(self.private).decode("ascii").rstrip("=")
        return "-".join(text[i:i + 4] for i in range(0, len(text), 4))

    @property
    def check_code(self) -> str:
        return _check_code(self.private)

    def text(self) -> str:
        """The USB file: header, fingerprint, secret, check code (one per line)."""
        return (f"{SECRET_HEADER}\nfingerprint: {fingerprint(self.public)}\n"
                f"secret: {self.grouped}\ncheck: {self.check_code}\n")

    @classmethod
    def parse(cls, text: str) -> "RecoverySecret":
        """From the USB file or what was typed from the sheet (secret, optionally followed by the check code).

        Spaces, dashes and case do not matter; a wrong check code is refused.
        """
        secret_part, check = "", ""
        typed: list[str] = []
        for line in (line.strip() for line in text.strip().splitlines()):
            label, colon, value = line.partition(":")
            key = label.strip().lower()
            if colon and key == "secret":
                secret_part = value
            elif colon and key == "check":
                check = value.strip().upper()
            elif line and not colon and line != SECRET_HEADER:
                typed.append(line)
        if not secret_part:  # typed: the secret, then maybe the check code, on one or more lines
            words = "".join(typed).replace(" ", "").replace("-", "").upper()
            secret_part, check = words[:52], check or words[52:]
        cleaned = secret_part.replace(" ", "").replace("-", "").upper()
        try:
            private = base64.b32decode(cleaned + "====")
        except ValueError:
            raise RecoveryKeyError() from None
        if len(private) != 32:
            raise RecoveryKeyError()
        if check and check != _check_code(private):
            raise RecoveryKeyError(Msg(
                "復旧キーの確認コードが一致しません。入力した文字を復旧シートと見比べてください。",
                "The recovery secret does not match its check code; compare what was typed with the sheet.",
            ))
        return cls(private)


def _kek(shared: bytes, ephemeral: bytes, public: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + public,
                info=b"dxdesk-recovery-wrap-v1").derive(shared)


def wrap(public: bytes, secret: bytes, context: str) -> str:
    """``secret`` sealed for the holder of the recovery key whose public half is ``public``."""
    ephemeral = X25519PrivateKey.generate()
    eph_pub = ephemeral.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(public))
    nonce = os.urandom(_NONCE)
    sealed = AESGCM(_kek(shared, eph_pub, public)).encrypt(nonce, secret, context.encode())
    return f"{WRAP_PREFIX}:{fingerprint_id(public)}:{base64.b64encode(eph_pub + nonce + sealed).decode()}"


def unwrap(recovery: RecoverySecret, wrapped: str, context: str) -> bytes:
    try:
        prefix, fp, payload = wrapped.split(":", 2)
        raw = base64.b64decode(payload)
    except ValueError:
        raise RecoveryKeyError(Msg("復旧用に保存されたキーが壊れています。", "A wrapped key is damaged.")) from None
    public = recovery.public
    if prefix != WRAP_PREFIX or fp not in stored_fingerprints(public):  # a wrap made before: the short form
        raise RecoveryKeyError(Msg(
            f"このキーは別の復旧キー（{show_fingerprint(fp)}）で保護されています。その復旧シートを使ってください。",
            f"This key was wrapped with another recovery key ({show_fingerprint(fp)}); use that recovery sheet.",
        ))
    eph_pub, nonce, sealed = raw[:32], raw[32:32 + _NONCE], raw[32 + _NONCE:]
    shared = X25519PrivateKey.from_private_bytes(recovery.private).exchange(X25519PublicKey.from_public_bytes(eph_pub))
    try:
        return AESGCM(_kek(shared, eph_pub, public)).decrypt(nonce, sealed, context.encode())
    except InvalidTag:
        raise RecoveryKeyError(Msg("復旧用に保存されたキーを開けません（破損または別の端末の行）。",
                                   "A wrapped key cannot be opened (damaged, or another desk's row).")) from None

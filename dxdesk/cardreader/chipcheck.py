"""Is this a genuine chip? The 入力補助AP's signed record (EF 0003) checked up to a trust anchor.

Chain (docs/mynumber-card.md §2.6; MC ``src/data.rs``, ``src/ca.rs``):

* EF 0004 is a card-verifiable certificate ``7F21 { 5F4E <16 B issuer key id, 16 B subject key
  id, 90 exponent, 91 modulus>, 5F37 <signature over the 5F4E value> }``. Its issuer key is not
  on the card: a verifier must hold it (the *trust anchor*).
* EF 0003's DF33 is an RSA PKCS#1 v1.5 / SHA-256 signature, by the EF 0004 key, over every byte
  before DF33 (the digests of EF 0001 and EF 0002, which ``MyNumberCard`` compares already).

J-LIS does not publish the CV issuer keys (docs/cardreader.md, "Genuine chip"), so dxdesk ships
none: a town configures ``[card] chip_trust_anchor`` (a PEM file of RSA public keys) once it has
obtained them through an authoritative channel. Without one the record is still checked against
the card's own certificate, but the result is ``UNTRUSTED`` — shown as a warning, never as a pass.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from dxdesk.cardreader.errors import CardDataError
from dxdesk.cardreader.model import parse_integrity_ef
from dxdesk.cardreader.tlv import TLVError, parse_tlv

log = logging.getLogger(__name__)

TAG_CV_CERTIFICATE = 0x7F21
TAG_CV_BODY = 0x5F4E
TAG_CV_SIGNATURE = 0x5F37
KEY_ID_LENGTH = 16


class ChipStatus(str, Enum):
    VERIFIED = "verified"  # record signed by a key certified by a configured anchor
    UNTRUSTED = "untrusted"  # consistent with the card's own certificate; no anchor to check that against
    FAILED = "failed"  # a signature does not verify: the chip's data cannot be trusted


@dataclass(frozen=True)
class ChipCheck:
    status: ChipStatus
    reason: str = ""  # English, for logs and the CLI; never card data

    @property
    def warning(self) -> bool:
        return self.status is not ChipStatus.VERIFIED


@dataclass(frozen=True)
class CvCertificate:
    issuer_key_id: bytes
    subject_key_id: bytes
    public_key: rsa.RSAPublicKey
    signed_data: bytes  # the 5F4E value
    signature: bytes


def parse_cv_certificate(data: bytes) -> CvCertificate:
    try:
        outer = parse_tlv(data)
        if outer.tag != TAG_CV_CERTIFICATE:
            raise CardDataError(f"CV certificate starts with tag {outer.tag:X}, expected 7F21.")
        parts = {child.tag: child.value for child in outer.children()}
        body = parts[TAG_CV_BODY]
        signature = parts[TAG_CV_SIGNATURE]
        key_parts = _key_items(body)
    except (TLVError, KeyError):
        raise CardDataError("CV certificate (EF 0004) is malformed.") from None
    exponent, modulus = key_parts.get(0x90, b""), key_parts.get(0x91, b"")
    if len(modulus) < len(exponent):  # tolerate the opposite assignment of 90/91
        exponent, modulus = modulus, exponent
    if not modulus or not exponent:
        raise CardDataError("CV certificate (EF 0004) has no RSA key.")
    key = rsa.RSAPublicNumbers(int.from_bytes(exponent, "big"), int.from_bytes(modulus, "big")).public_key()
    return CvCertificate(body[:KEY_ID_LENGTH], body[KEY_ID_LENGTH : 2 * KEY_ID_LENGTH], key, body, signature)


def _key_items(body: bytes) -> dict[int, bytes]:
    items: dict[int, bytes] = {}
    offset = 2 * KEY_ID_LENGTH
    while offset < len(body):
        item = parse_tlv(body, offset)
        items[item.tag] = item.value
        offset = item.end
    return items


def load_trust_anchors(path: str | Path) -> list[rsa.RSAPublicKey]:
    """RSA public keys from a PEM file (``PUBLIC KEY`` blocks); an unreadable file is a ValueError."""
    text = Path(path).read_bytes()
    keys: list[rsa.RSAPublicKey] = []
    marker = b"-----BEGIN PUBLIC KEY-----"
    for chunk in text.split(marker)[1:]:
        key = serialization.load_pem_public_key(marker + chunk.split(b"-----END PUBLIC KEY-----")[0]
                                                + b"-----END PUBLIC KEY-----\n")
        if not isinstance(key, rsa.RSAPublicKey):
            raise ValueError("trust anchor is not an RSA public key")
        keys.append(key)
    if not keys:
        raise ValueError("no PEM public key in the trust anchor file")
    return keys


def _verifies(key: rsa.RSAPublicKey, signature: bytes, data: bytes) -> bool:
    try:
        key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def check_chip(integrity_ef: bytes, certificate_ef: bytes, anchors: list[rsa.RSAPublicKey]) -> ChipCheck:
    """EF 0003's signature under the EF 0004 key, and EF 0004 under one of ``anchors`` (if any)."""
    try:
        record = parse_integrity_ef(integrity_ef)
        certificate = parse_cv_certificate(certificate_ef)
    except CardDataError as exc:
        return ChipCheck(ChipStatus.FAILED, exc.message.en)
    if not _verifies(certificate.public_key, record.signature, record.signed_data):
        return ChipCheck(ChipStatus.FAILED, "EF 0003 signature does not verify with the EF 0004 key")
    if not anchors:
        return ChipCheck(ChipStatus.UNTRUSTED, "no trust anchor configured ([card] chip_trust_anchor)")
    if any(_verifies(anchor, certificate.signature, certificate.signed_data) for anchor in anchors):
        return ChipCheck(ChipStatus.VERIFIED)
    return ChipCheck(ChipStatus.FAILED, "EF 0004 certificate is not signed by a configured trust anchor")

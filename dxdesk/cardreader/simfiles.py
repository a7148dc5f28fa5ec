"""File system content of the simulated card: applications, EFs, keys and a throwaway PKI.

Kept apart from ``simcard.py`` (the command engine) so the engine stays readable.
Layouts follow docs/mynumber-card.md §2-§5; every key here is generated per process
and certifies nothing outside tests.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from dxdesk.cardreader.model import (
    TAG_BASIC_INFO_DIGEST,
    TAG_INTEGRITY,
    TAG_INTEGRITY_SIGNATURE,
    TAG_MY_NUMBER_DIGEST,
    TAG_SEX,
    CardHolder,
    encode_basic_info_ef,
    encode_my_number_ef,
    is_ascii_digits,
)
from dxdesk.cardreader.mynumber import (
    COMMON_AP_AID,
    KEY_CODE_A,
    KEY_CODE_B,
    KEY_TEXT_PIN,
    JPKI_AP_AID,
    JUKI_AP_AID,
    TEXT_AP_AID,
    VISUAL_AP_AID,
)
from dxdesk.cardreader.simvisual import (
    VISUAL_BIRTH_KEY,
    VISUAL_CODE_A_KEY,
    VISUAL_CODE_B_KEY,
    ap_basic_data,
    build_age_record,
    build_card_face,
    visual_keys,
)
from dxdesk.cardreader.tlv import encode_length, encode_tag, encode_tlv, parse_tlv

TEXT_BLOCKED_KEY = 0x0012  # text AP key blocked at issuance (doc §2.1)
# JPKI key FIDs (doc §3.1)
AUTH_PIN = 0x0018
SIGN_PASSWORD = 0x001B
AUTH_PRIVATE_KEY = 0x0017
SIGN_PRIVATE_KEY = 0x001A

JPKI_TOKEN_LABEL = "JPKIAPICCTOKEN2"


@dataclass
class SimKey:
    """A verification key (PIN EF) with its retry counter."""

    secret: bytes
    max_tries: int
    tries_left: int
    accepts: Callable[[bytes], bool]  # format rule for CHANGE REFERENCE DATA


@dataclass
class SimEF:
    """A transparent EF (``content`` = physical bytes, filler included) or a private-key EF."""

    content: bytes = b""
    read_keys: frozenset[int] | None = None  # None = free; otherwise any one verified key opens it
    private_key: rsa.RSAPrivateKey | None = None  # set for key EFs: not readable, used by COMPUTE SIGNATURE
    use_keys: frozenset[int] = frozenset()


@dataclass
class SimApplication:
    name: str
    aid: bytes
    efs: dict[int, SimEF] = field(default_factory=dict)
    keys: dict[int, SimKey] = field(default_factory=dict)


@dataclass(frozen=True)
class ThrowawayPKI:
    """Throwaway keys and CA certificates, generated once per process (RSA-2048 keygen is the slow part)."""

    auth_ca_key: rsa.RSAPrivateKey
    sign_ca_key: rsa.RSAPrivateKey
    auth_key: rsa.RSAPrivateKey
    sign_key: rsa.RSAPrivateKey
    text_ap_key: rsa.RSAPrivateKey  # signs EF 0003 (DF33); its public key is in the EF 0004 CV certificate
    cv_ca_key: rsa.RSAPrivateKey  # issues the EF 0004 CV certificates: the tests' chip trust anchor
    auth_ca_cert: bytes
    sign_ca_cert: bytes


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


_NOT_BEFORE = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
_NOT_AFTER = dt.datetime(2035, 12, 31, tzinfo=dt.timezone.utc)


def _certificate(
    subject: x509.Name, key: rsa.RSAPrivateKey, issuer: x509.Name, issuer_key: rsa.RSAPrivateKey, *, ca: bool, serial: int,
    not_after: dt.datetime = _NOT_AFTER,
) -> bytes:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(min(_NOT_BEFORE, not_after - dt.timedelta(days=5 * 365)))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    return builder.sign(issuer_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "dxdesk TEST ONLY"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


@functools.cache
def throwaway_pki() -> ThrowawayPKI:
    auth_ca_key, sign_ca_key = _new_key(), _new_key()
    auth_ca = _name("Simulated JPKI Auth CA")
    sign_ca = _name("Simulated JPKI Sign CA")
    return ThrowawayPKI(
        auth_ca_key=auth_ca_key,
        sign_ca_key=sign_ca_key,
        auth_key=_new_key(),
        sign_key=_new_key(),
        text_ap_key=_new_key(),
        cv_ca_key=_new_key(),
        auth_ca_cert=_certificate(auth_ca, auth_ca_key, auth_ca, auth_ca_key, ca=True, serial=1),
        sign_ca_cert=_certificate(sign_ca, sign_ca_key, sign_ca, sign_ca_key, ca=True, serial=1),
    )


def padded(content: bytes, fill: int, *, minimum_filler: int = 2, align: int = 32) -> bytes:
    """Content followed by filler, the physical EF being larger than its object (as on the card)."""
    size = len(content) + minimum_filler
    size += -size % align
    return content + bytes([fill]) * (size - len(content))


def _digits_rule(count: int) -> Callable[[bytes], bool]:
    return lambda value: is_ascii_digits(value.decode("latin-1"), count)


def _sign_password_rule(value: bytes) -> bool:
    text = value.decode("latin-1")
    return (
        6 <= len(text) <= 16
        and all(c.isascii() and (c.isdigit() or c.isupper()) for c in text)
        and any(c.isdigit() for c in text)
        and any(c.isupper() for c in text)
    )


def _key(secret: str, tries: int, rule: Callable[[bytes], bool], tries_left: int | None = None) -> SimKey:
    return SimKey(secret.encode("ascii"), tries, tries if tries_left is None else tries_left, rule)


def build_text_ap(
    holder: CardHolder,
    *,
    pin: str,
    code_b: str,
    pin_tries_left: int,
    code_tries: int,
    long_form_lengths: bool,
    corrupt_basic_info: bool,
) -> SimApplication:
    assert holder.my_number is not None
    pki = throwaway_pki()
    ef0001 = encode_my_number_ef(holder.my_number) + b"\xff\xff"  # 17 bytes exactly, as measured
    basic_tlv = encode_basic_info_ef(holder, long_form_lengths=long_form_lengths)
    outer = parse_tlv(basic_tlv)
    first_item = parse_tlv(basic_tlv, outer.value_offset).end  # DF21 ends where DF22 starts
    digests = encode_tlv(TAG_MY_NUMBER_DIGEST, hashlib.sha256(ef0001).digest()) + encode_tlv(
        TAG_BASIC_INFO_DIGEST, hashlib.sha256(basic_tlv[first_item : outer.end]).digest()
    )
    # DF33 signs everything before it: the FF30 header and both digests. The outer length
    # is fixed (2 x 35 + 261 = 0x14B, as on the card), so it can be written before signing.
    signature_len = 5 + 256  # DF33 82 01 00 <256>
    header = encode_tag(TAG_INTEGRITY) + encode_length(len(digests) + signature_len)
    signed = header + digests
    signature = pki.text_ap_key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
    ef0003 = signed + encode_tlv(TAG_INTEGRITY_SIGNATURE, signature, length_octets=2)
    if corrupt_basic_info:
        basic_tlv = _flip_sex(basic_tlv)  # stays well-formed: only the EF 0003 digest can catch it
    app = SimApplication("券面事項入力補助AP", TEXT_AP_AID)
    app.keys = {
        KEY_TEXT_PIN: _key(pin, 3, _digits_rule(4), pin_tries_left),
        TEXT_BLOCKED_KEY: _key("0000", 3, _digits_rule(4), 0),  # blocked at issuance (MC)
        KEY_CODE_A: _key(holder.my_number, code_tries, _digits_rule(12)),
        KEY_CODE_B: _key(code_b, code_tries, _digits_rule(14)),
    }
    app.efs = {
        0x0001: SimEF(ef0001, frozenset({KEY_TEXT_PIN, KEY_CODE_A})),
        0x0002: SimEF(padded(basic_tlv, 0xFF, minimum_filler=16), frozenset({KEY_TEXT_PIN, KEY_CODE_B})),
        0x0003: SimEF(padded(ef0003, 0xFF), frozenset({KEY_TEXT_PIN, KEY_CODE_A, KEY_CODE_B})),
        0x0004: SimEF(padded(cv_certificate(pki), 0xFF)),
        0x0005: SimEF(padded(_ap_basic_info(), 0xFF)),
        0x0008: SimEF(b"\xff" * 16),
    }
    return app


def _flip_sex(basic_tlv: bytes) -> bytes:
    position = basic_tlv.rindex(TAG_SEX.to_bytes(2, "big") + b"\x01") + 3
    swapped = b"2" if basic_tlv[position : position + 1] == b"1" else b"1"
    return basic_tlv[:position] + swapped + basic_tlv[position + 1 :]


def cv_certificate(pki: ThrowawayPKI) -> bytes:
    """EF 0004: ``7F21 { 5F4E <issuer id, subject id, 90 exponent, 91 modulus>, 5F37 signature }``, 568 bytes.

    The signature covers the 5F4E value (MC ``CardVerifiableCertificate``); the issuer is the
    throwaway ``cv_ca_key``, which tests configure as the chip trust anchor.
    """
    numbers = pki.text_ap_key.public_key().public_numbers()
    body = (
        hashlib.sha256(b"issuer").digest()[:16]
        + hashlib.sha256(b"subject").digest()[:16]
        + encode_tlv(0x90, numbers.e.to_bytes(3, "big"))
        + encode_tlv(0x91, numbers.n.to_bytes(256, "big"))
    )
    signature = pki.cv_ca_key.sign(body, padding.PKCS1v15(), hashes.SHA256())
    return encode_tlv(0x7F21, encode_tlv(0x5F4E, body) + encode_tlv(0x5F37, signature))


def _ap_basic_info() -> bytes:
    """EF 0005 ``FF40 {DF41 04, DF42 10, DF43 80}``; DF41 = spec version, ext. APDU support, vendor."""
    return encode_tlv(
        0xFF40,
        encode_tlv(0xDF41, bytes([0x01, 0x03, 0x0E, 0x01])) + encode_tlv(0xDF42, bytes(16)) + encode_tlv(0xDF43, bytes(128)),
    )


def build_jpki_ap(
    holder: CardHolder, *, pin: str, sign_password: str, serial: int, auth_not_after: dt.datetime | None = None,
) -> SimApplication:
    """``auth_not_after``: the 利用者証明用 certificate's notAfter (valid, expiring or expired cards)."""
    pki = throwaway_pki()
    auth_ca = _name("Simulated JPKI Auth CA")
    sign_ca = _name("Simulated JPKI Sign CA")
    # The auth certificate carries no personal data on a real card; the signature certificate does.
    auth_cert = _certificate(_name(f"AUTH {serial:012d}"), pki.auth_key, auth_ca, pki.auth_ca_key, ca=False, serial=serial,
                             not_after=auth_not_after or _NOT_AFTER)
    sign_cert = _certificate(_name(holder.name), pki.sign_key, sign_ca, pki.sign_ca_key, ca=False, serial=serial,
                             not_after=auth_not_after or _NOT_AFTER)
    token_info = JPKI_TOKEN_LABEL.encode("ascii").ljust(32, b" ") + bytes(128)
    app = SimApplication("公的個人認証AP", JPKI_AP_AID)
    app.keys = {
        AUTH_PIN: _key(pin, 3, _digits_rule(4)),
        SIGN_PASSWORD: _key(sign_password, 5, _sign_password_rule),
    }
    app.efs = {
        0x0001: SimEF(padded(sign_cert, 0x00, align=256), frozenset({SIGN_PASSWORD})),
        0x0002: SimEF(padded(pki.sign_ca_cert, 0x00, align=256)),
        0x0006: SimEF(token_info),
        0x0008: SimEF(b"\x8f\x8f\x00"),
        0x000A: SimEF(padded(auth_cert, 0x00, align=256)),
        0x000B: SimEF(padded(pki.auth_ca_cert, 0x00, align=256)),
        AUTH_PRIVATE_KEY: SimEF(private_key=pki.auth_key, use_keys=frozenset({AUTH_PIN})),
        SIGN_PRIVATE_KEY: SimEF(private_key=pki.sign_key, use_keys=frozenset({SIGN_PASSWORD})),
    }
    return app


def build_other_aps(
    holder: CardHolder, *, pin: str, code_b: str, code_tries: int, card_expiry: dt.date, face_seed: str,
) -> list[SimApplication]:
    """券面事項確認AP (with a drawn face and the card's expiry), 共通AP and 住基AP (keys only, see docs)."""
    pki = throwaway_pki()
    visual = SimApplication("券面事項確認AP", VISUAL_AP_AID)
    visual.keys = {fid: _key(secret, code_tries, _digits_rule(digits))
                   for fid, (secret, digits) in visual_keys(holder, code_b).items()}
    any_code = frozenset({VISUAL_CODE_A_KEY, VISUAL_CODE_B_KEY})
    face = build_card_face(holder, seed=face_seed, expiry=card_expiry, card_key=pki.auth_key, record_key=pki.text_ap_key)
    visual.efs = {
        0x0001: SimEF(padded(build_age_record(holder, pki.auth_key, pki.text_ap_key), 0xFF),
                      frozenset({VISUAL_BIRTH_KEY})),
        0x0002: SimEF(padded(face, 0xFF, align=256), any_code),
        0x0003: SimEF(padded(ap_basic_data(), 0xFF)),
        0x0004: SimEF(padded(cv_certificate(pki), 0xFF)),
    }
    common = SimApplication("共通AP", COMMON_AP_AID, keys={0x001C: _key(pin, 3, _digits_rule(4))})
    juki = SimApplication("住基AP", JUKI_AP_AID, keys={0x001C: _key(pin, 3, _digits_rule(4))})
    return [visual, common, juki]


def pkcs1_v15_sign_raw(key: rsa.RSAPrivateKey, data: bytes) -> bytes:
    """RSA with PKCS#1 v1.5 type-1 padding over caller-supplied bytes (a DigestInfo), as the card does."""
    k = (key.key_size + 7) // 8
    if len(data) > k - 11:
        raise ValueError("data too long for the key")
    block = b"\x00\x01" + b"\xff" * (k - 3 - len(data)) + b"\x00" + data
    private = key.private_numbers()
    return pow(int.from_bytes(block, "big"), private.d, private.public_numbers.n).to_bytes(k, "big")

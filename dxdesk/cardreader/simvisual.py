"""The simulated card's 券面事項確認AP: a drawn face, the card-face record, expiry and access rules.

The face is drawn here (ellipses and lines, the word SAMPLE across it), never a photo of anyone,
and encoded as greyscale JPEG 2000 like the real chip's (Pillow's bundled OpenJPEG). Access
follows MC ``src/ap/surface.rs`` (measured): the 生年月日 key opens only EF 0001, 照合番号B opens
EF 0002-0004, 照合番号A also EF 0005 (not modelled: no content). Signatures use the throwaway
PKI of ``simfiles`` and certify nothing outside tests.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import random

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from dxdesk.cardreader.cardface import encode_card_face_ef
from dxdesk.cardreader.model import CardHolder
from dxdesk.cardreader.mynumber import VISUAL_AP_AID
from dxdesk.cardreader.tlv import encode_tlv
from dxdesk.wareki import wareki_yymmdd

VISUAL_BIRTH_KEY = 0x0011
VISUAL_CODE_B_KEY = 0x0012
VISUAL_CODE_A_KEY = 0x0013
PHOTO_SIZE = (150, 190)  # portrait, about the proportions of the card's photo


@functools.cache
def synthetic_face(seed: str) -> bytes:
    """A drawn greyscale face as JPEG 2000 (JP2), different per ``seed`` but stable between runs."""
    from PIL import Image, ImageDraw

    rng = random.Random(hashlib.sha256(seed.encode("utf-8")).digest())
    width, height = PHOTO_SIZE
    image = Image.new("L", PHOTO_SIZE, 225)
    draw = ImageDraw.Draw(image)
    skin, hair = rng.randint(150, 190), rng.randint(30, 80)
    draw.rectangle((0, 0, width, height), fill=rng.randint(200, 235))
    draw.ellipse((15, height - 55, width - 15, height + 60), fill=rng.randint(70, 110))  # shoulders
    head_w = rng.randint(78, 92)
    left = (width - head_w) // 2
    draw.ellipse((left - 4, 22, left + head_w + 4, 100), fill=hair)  # hair
    draw.ellipse((left, 35, left + head_w, 145), fill=skin)  # face
    eye_y = rng.randint(78, 86)
    for x in (left + head_w // 3, left + 2 * head_w // 3):
        draw.ellipse((x - 6, eye_y - 3, x + 6, eye_y + 3), fill=40)
    draw.line((width // 2, eye_y + 8, width // 2 - 4, eye_y + 28), fill=110, width=2)  # nose
    draw.arc((width // 2 - 16, eye_y + 26, width // 2 + 16, eye_y + 46), 20, 160, fill=60, width=3)  # mouth
    draw.text((width // 2 - 21, height - 18), "SAMPLE", fill=250)
    out = io.BytesIO()
    image.save(out, "JPEG2000", irreversible=True, quality_mode="rates", quality_layers=[6])
    return out.getvalue()


@functools.cache
def _bitmap_png(text: str) -> bytes:
    """A 1-bit PNG standing in for the rendered name/address/security code (the real card has these)."""
    from PIL import Image, ImageDraw

    image = Image.new("1", (max(24, 6 * len(text)), 12), 1)
    ImageDraw.Draw(image).text((1, 0), text, fill=0)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _rsa_key_tlvs(key: rsa.RSAPublicKey) -> bytes:
    """``90 exponent, 91 modulus`` as in the card's records (MC)."""
    numbers = key.public_numbers()
    return encode_tlv(0x90, numbers.e.to_bytes(3, "big")) + encode_tlv(0x91, numbers.n.to_bytes(256, "big"))


def build_card_face(
    holder: CardHolder, *, seed: str, expiry: dt.date, card_key: rsa.RSAPrivateKey, record_key: rsa.RSAPrivateKey,
) -> bytes:
    """EF 0002: the three signed groups hashed separately into one signature (MC ``CardFace::verify``)."""
    public = _rsa_key_tlvs(card_key.public_key())
    photo = synthetic_face(seed)
    name_png, address_png, code_png = _bitmap_png("NAME"), _bitmap_png("ADDRESS"), _bitmap_png("0000")
    groups = [
        encode_tlv(0xDF22, holder.birth_date.strftime("%Y%m%d").encode("ascii")) + encode_tlv(0xDF23, holder.sex.value.encode())
        + encode_tlv(0xDF24, public),
        encode_tlv(0xDF25, name_png) + encode_tlv(0xDF26, address_png),
        encode_tlv(0xDF27, photo),
    ]
    digests = b"".join(hashlib.sha256(group).digest() for group in groups)
    signature = record_key.sign(digests, padding.PKCS1v15(), hashes.SHA256())
    return encode_card_face_ef(
        birth_date=holder.birth_date, sex=holder.sex.value, public_key=public, name_png=name_png,
        address_png=address_png, photo_jp2=photo, signature=signature, expiry=expiry, code_png=code_png,
    )


def build_age_record(holder: CardHolder, card_key: rsa.RSAPrivateKey, record_key: rsa.RSAPrivateKey) -> bytes:
    """EF 0001 ``FF10 {DF11 birth, DF12 key, DF13 signature}`` (opened by the 生年月日 key alone)."""
    signed = encode_tlv(0xDF11, holder.birth_date.strftime("%Y%m%d").encode("ascii")) + encode_tlv(
        0xDF12, _rsa_key_tlvs(card_key.public_key()))
    return encode_tlv(0xFF10, signed + encode_tlv(0xDF13, record_key.sign(signed, padding.PKCS1v15(), hashes.SHA256())))


def ap_basic_data(municipality_code: str = "13221") -> bytes:
    """EF 0003 ``FF30 {DF31 layout, DF32 key id, DF33 version, DF34 municipality}`` (free)."""
    return encode_tlv(0xFF30, encode_tlv(0xDF31, bytes.fromhex("06030E01")) + encode_tlv(0xDF32, bytes(16))
                      + encode_tlv(0xDF33, b"\x01") + encode_tlv(0xDF34, municipality_code.encode("ascii")))


def visual_keys(holder: CardHolder, code_b: str) -> dict[int, tuple[str, int]]:
    """Key FID → (secret, digits) of this AP."""
    assert holder.my_number is not None
    return {
        VISUAL_BIRTH_KEY: (wareki_yymmdd(holder.birth_date), 6),
        VISUAL_CODE_B_KEY: (code_b, 14),
        VISUAL_CODE_A_KEY: (holder.my_number, 12),
    }


VALIDITY_PRESETS = ("valid", "expiring", "expired")


def validity_preset(name: str, today: dt.date) -> dt.date:
    """Last valid day for a simulated card or certificate: ``valid`` (2 years on), ``expiring`` (in
    30 days, inside the default 3-month warning), ``expired`` (30 days ago)."""
    offsets = {"valid": 730, "expiring": 30, "expired": -30}
    if name not in offsets:
        raise ValueError(f"validity must be one of {', '.join(VALIDITY_PRESETS)}")
    return today + dt.timedelta(days=offsets[name])


__all__ = ["VISUAL_AP_AID", "ap_basic_data", "build_age_record", "build_card_face", "synthetic_face", "validity_preset", "visual_keys"]

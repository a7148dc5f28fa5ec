"""The 券面事項確認AP's card-face record (EF 0002) and its JPEG 2000 face photo.

Layout (docs/mynumber-card.md §4; MC ``src/ap/surface.rs``, measured on cards)::

    FF20 { DF21 <offset table, one u16 per item>, DF22 birth YYYYMMDD, DF23 sex,
           DF24 RSA key, DF25 name image (PNG), DF26 address image (PNG),
           DF27 face photo (JPEG 2000, greyscale), DF28 signature,
           DF29 expiry YYYYMMDD, DF2A security-code image }

The expiry and the security-code image lie after the signature and are not covered by it.

Privacy: the photo is the most sensitive thing the counter ever handles. ``CardFace`` and
``FacePhoto`` never show it in ``repr``; nothing here writes it anywhere. The caller keeps it
in memory for the identify step and drops it when the visit closes.
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from dxdesk.cardreader.errors import CardDataError
from dxdesk.cardreader.model import parse_card_date
from dxdesk.cardreader.tlv import TLVError, encode_length, encode_tlv, parse_tlv

TAG_CARD_FACE = 0xFF20
TAG_FACE_OFFSETS = 0xDF21
TAG_FACE_BIRTH = 0xDF22
TAG_FACE_SEX = 0xDF23
TAG_FACE_KEY = 0xDF24
TAG_NAME_IMAGE = 0xDF25
TAG_ADDRESS_IMAGE = 0xDF26
TAG_PHOTO = 0xDF27
TAG_FACE_SIGNATURE = 0xDF28
TAG_EXPIRY = 0xDF29
TAG_CODE_IMAGE = 0xDF2A
FACE_ITEM_TAGS = (TAG_FACE_BIRTH, TAG_FACE_SEX, TAG_FACE_KEY, TAG_NAME_IMAGE, TAG_ADDRESS_IMAGE, TAG_PHOTO,
                  TAG_FACE_SIGNATURE, TAG_EXPIRY, TAG_CODE_IMAGE)

JP2_SIGNATURE = bytes.fromhex("0000000C6A5020200D0A870A")  # JP2 file-format signature box
J2K_CODESTREAM = bytes.fromhex("FF4FFF51")  # a bare JPEG 2000 codestream (SOC + SIZ)
MAX_PHOTO_PIXELS = 1_000_000  # a card photo is a few hundred pixels square; refuse decompression bombs


@dataclass(frozen=True, repr=False)
class FacePhoto:
    """A decoded face photo: greyscale raster (``mode`` "L") for the clerk's screen only."""

    width: int
    height: int
    raster: bytes  # width * height bytes, row by row

    def __repr__(self) -> str:
        return f"FacePhoto({self.width}x{self.height})"


@dataclass(frozen=True, repr=False)
class CardFace:
    """What the identify step uses from EF 0002: the photo (still encoded) and the card's expiry."""

    birth_date: dt.date
    expiry: dt.date
    photo_jp2: bytes
    signature: bytes

    def __repr__(self) -> str:
        return f"CardFace(expiry={self.expiry.isoformat()}, photo={len(self.photo_jp2)} bytes)"


def parse_card_face_ef(data: bytes) -> CardFace:
    """EF 0002 of the 券面事項確認AP → CardFace; the offset table is checked against the items."""
    try:
        outer = parse_tlv(data)
        if outer.tag != TAG_CARD_FACE:
            raise CardDataError(f"Card-face EF starts with tag {outer.tag:X}, expected FF20.")
        children = outer.children()
    except TLVError as exc:
        raise CardDataError(f"Card-face EF malformed at offset {exc.offset}.") from None
    items = {child.tag: child for child in children}
    missing = [f"{tag:X}" for tag in (TAG_FACE_OFFSETS, TAG_FACE_BIRTH, TAG_PHOTO, TAG_EXPIRY) if tag not in items]
    if missing:
        raise CardDataError(f"Card-face EF lacks {', '.join(missing)}.")
    table = items[TAG_FACE_OFFSETS].value
    offsets = [int.from_bytes(table[i : i + 2], "big") for i in range(0, len(table) - 1, 2)]
    present = [child for child in children if child.tag != TAG_FACE_OFFSETS]
    # As MC does: an offset table that disagrees with the items means a damaged record.
    if offsets != [child.offset for child in present][: len(offsets)]:
        raise CardDataError("Card-face EF offset table does not match its items.")
    return CardFace(
        birth_date=parse_card_date(items[TAG_FACE_BIRTH].value),
        expiry=parse_card_date(items[TAG_EXPIRY].value),
        photo_jp2=bytes(items[TAG_PHOTO].value),
        signature=bytes(items[TAG_FACE_SIGNATURE].value) if TAG_FACE_SIGNATURE in items else b"",
    )


def decode_photo(jp2: bytes) -> FacePhoto:
    """Decode the chip's JPEG 2000 photo (Pillow's bundled OpenJPEG) to a greyscale raster, in memory only."""
    if not (jp2.startswith(JP2_SIGNATURE) or jp2.startswith(J2K_CODESTREAM)):
        raise CardDataError("The face photo on the card is not JPEG 2000.")
    from PIL import Image  # imported here: only the identify read needs it

    try:
        with Image.open(io.BytesIO(jp2), formats=["JPEG2000"]) as image:
            if image.width * image.height > MAX_PHOTO_PIXELS:
                raise CardDataError("The face photo on the card is implausibly large.")
            grey = image.convert("L")
            return FacePhoto(grey.width, grey.height, grey.tobytes())
    except (OSError, ValueError, Image.DecompressionBombError):
        raise CardDataError("The face photo on the card could not be decoded.") from None


def encode_card_face_ef(
    *, birth_date: dt.date, sex: str, public_key: bytes, name_png: bytes, address_png: bytes, photo_jp2: bytes,
    signature: bytes, expiry: dt.date, code_png: bytes,
) -> bytes:
    """The TLV of EF 0002 with a correct offset table (the simulator's card; the layout above)."""
    items = [
        encode_tlv(TAG_FACE_BIRTH, birth_date.strftime("%Y%m%d").encode("ascii")),
        encode_tlv(TAG_FACE_SEX, sex.encode("ascii")),
        encode_tlv(TAG_FACE_KEY, public_key),
        encode_tlv(TAG_NAME_IMAGE, name_png),
        encode_tlv(TAG_ADDRESS_IMAGE, address_png),
        encode_tlv(TAG_PHOTO, photo_jp2),
        encode_tlv(TAG_FACE_SIGNATURE, signature),
        encode_tlv(TAG_EXPIRY, expiry.strftime("%Y%m%d").encode("ascii")),
        encode_tlv(TAG_CODE_IMAGE, code_png),
    ]
    table_len = 3 + 2 * len(items)
    body_len = table_len + sum(len(i) for i in items)
    position = 2 + len(encode_length(body_len)) + table_len
    offsets = bytearray()
    for item in items:
        offsets += position.to_bytes(2, "big")
        position += len(item)
    return encode_tlv(TAG_CARD_FACE, encode_tlv(TAG_FACE_OFFSETS, bytes(offsets)) + b"".join(items))

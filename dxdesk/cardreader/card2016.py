"""The card issued since 2016 (four APs, 照合番号B of 14 digits), as one :class:`CardProfile`.

Extra reads for 本人確認 (docs/cardreader.md, "Identity reads"):

* 券面事項確認AP (``VISUAL_AP_AID``): VERIFY 照合番号B on key 0012 (after the tries query, same
  lockout policy as the text AP), then EF 0002 = card face with the JPEG 2000 photo and the
  card's expiry (MC ``src/ap/surface.rs``; MYNA ``src/visual.rs`` reads the same EF with 照合番号A).
* 公的個人認証AP: EF 000A, the 利用者証明用 certificate, readable with no PIN (MYNA, OSC).
* 入力補助AP EF 0003/0004 for the chip signature check (``chipcheck``).

The PIN route opens neither the card face (it needs 照合番号A or B) nor the expiry: it reports the
certificate's expiry only.
"""
from __future__ import annotations

import datetime as dt
import logging

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from dxdesk.cardreader.apdu import INS_SELECT, INS_VERIFY, MAX_SHORT_LE, SW_OK, CommandAPDU, Transport, read_binary_all
from dxdesk.cardreader.cardface import CardFace, decode_photo, parse_card_face_ef
from dxdesk.cardreader.chipcheck import ChipCheck, check_chip
from dxdesk.cardreader.errors import (
    CardDataError,
    Credential,
    InvalidPinFormatError,
    LowTriesError,
    PinBlockedError,
    error_for_status,
)
from dxdesk.cardreader.generations import IdentityExtras, IdentityRead
from dxdesk.cardreader.model import is_ascii_digits
from dxdesk.cardreader.mynumber import JPKI_AP_AID, TEXT_AP_AID, VISUAL_AP_AID, MyNumberCard

log = logging.getLogger(__name__)

VISUAL_CODE_B_KEY = 0x0012
VISUAL_CARD_FACE = 0x0002
JPKI_AUTH_CERTIFICATE = 0x000A


def _select(transport: Transport, p1: int, ident: bytes, what: str) -> None:
    _, sw = transport.transmit(CommandAPDU(0x00, INS_SELECT, p1, 0x0C, ident).to_bytes())
    if sw != SW_OK:
        raise error_for_status(sw, what)


def read_auth_certificate_not_after(transport: Transport) -> dt.datetime:
    """notAfter (UTC) of the JPKI 利用者証明用 certificate: SELECT AP, SELECT 000A, read the DER. No PIN."""
    _select(transport, 0x04, JPKI_AP_AID, "SELECT JPKI AP")
    _select(transport, 0x02, JPKI_AUTH_CERTIFICATE.to_bytes(2, "big"), "SELECT EF 000A")
    der = read_binary_all(transport, header_len=MAX_SHORT_LE)
    try:
        return x509.load_der_x509_certificate(der).not_valid_after_utc
    except ValueError:
        raise CardDataError("The authentication certificate on the card is not valid DER.") from None


def read_card_face(transport: Transport, code_b: str, *, allow_last_try: bool = False) -> CardFace:
    """VERIFY 照合番号B in the 券面事項確認AP and read its card-face EF (photo + expiry)."""
    if not is_ascii_digits(code_b, 14):
        raise InvalidPinFormatError(Credential.CODE_B)
    _select(transport, 0x04, VISUAL_AP_AID, "SELECT 券面事項確認AP")
    _select(transport, 0x02, VISUAL_CODE_B_KEY.to_bytes(2, "big"), "SELECT EF 0012")
    _, sw = transport.transmit(CommandAPDU(0x00, INS_VERIFY, 0x00, 0x80).to_bytes())
    if sw & 0xFFF0 == 0x63C0:
        tries = sw & 0x0F
    elif sw == SW_OK:  # already verified since power-on (some cards): a good VERIFY reset the counter
        tries = 3
    elif sw in (0x6983, 0x6984):
        tries = 0
    else:
        raise error_for_status(sw, "VERIFY (query)")
    if tries == 0:
        raise PinBlockedError(Credential.CODE_B)
    if tries <= 1 and not allow_last_try:
        raise LowTriesError(tries, Credential.CODE_B)
    secret = bytearray(b"\x00\x20\x00\x80\x0e" + code_b.encode("ascii"))
    try:
        _, sw = transport.transmit(bytes(secret))
    finally:
        secret[:] = bytes(len(secret))
    if sw != SW_OK:
        raise error_for_status(sw, "VERIFY", Credential.CODE_B)
    _select(transport, 0x02, VISUAL_CARD_FACE.to_bytes(2, "big"), "SELECT EF 0002")
    return parse_card_face_ef(read_binary_all(transport, header_len=MAX_SHORT_LE))


class Card2016:
    """Profile of the current card: text AP + 券面事項確認AP + JPKI AP, selected by AID."""

    name = "2016"
    identifying_aids = (TEXT_AP_AID, VISUAL_AP_AID, JPKI_AP_AID)

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    @classmethod
    def matches(cls, transport: Transport) -> bool:
        """True when every one of this generation's APs answers SELECT with 9000 (never the ATR)."""
        for aid in cls.identifying_aids:
            _, sw = transport.transmit(CommandAPDU(0x00, INS_SELECT, 0x04, 0x0C, aid).to_bytes())
            if sw != SW_OK:
                return False
        return True

    def auth_cert_not_after(self) -> dt.datetime:
        return read_auth_certificate_not_after(self._transport)

    def read_identity(
        self, *, pin: str | None = None, code_b: str | None = None, include_my_number: bool = False,
        allow_last_try: bool = False, anchors: list[rsa.RSAPublicKey] | None = None,
    ) -> IdentityRead:
        """The four items (and the number if asked) plus photo, expiry, certificate expiry and chip check."""
        card = MyNumberCard(self._transport)
        holder = card.read(pin=pin, code_b=code_b, include_my_number=include_my_number, allow_last_try=allow_last_try)
        pin = None
        return IdentityRead(holder, self.read_extras(card, code_b=code_b, anchors=anchors,
                                                     allow_last_try=allow_last_try))

    def read_extras(
        self, card: MyNumberCard, *, code_b: str | None = None, anchors: list[rsa.RSAPublicKey] | None = None,
        allow_last_try: bool = False,
    ) -> IdentityExtras:
        """After ``card`` (the text AP, on this transport) has read and checked the four items."""
        card.select_text_ap()  # detection selected other APs since: make the text AP current again
        chip = self._chip_check(card, anchors or [])
        face: CardFace | None = None
        photo = None
        if code_b is not None:
            face = read_card_face(self._transport, code_b, allow_last_try=allow_last_try)
            photo = decode_photo(face.photo_jp2)  # the encoded photo is not kept past this point
        code_b = None
        return IdentityExtras(
            profile=self.name, card_expiry=face.expiry if face else None, photo=photo,
            auth_cert_not_after=self.auth_cert_not_after(), chip=chip,
        )

    def _chip_check(self, card: MyNumberCard, anchors: list[rsa.RSAPublicKey]) -> ChipCheck:
        if card.integrity_ef is None:  # read() always checks integrity; this would be a programming error
            raise CardDataError("EF 0003 was not read.")
        result = check_chip(card.integrity_ef, card.read_certificate_ef(), anchors)
        if result.warning:
            log.warning("chip signature check: %s (%s)", result.status.value, result.reason)
        return result

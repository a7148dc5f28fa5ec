"""The My Number Card protocol (券面事項入力補助AP) over any Transport.

Flow (docs/mynumber-card.md §2.5): SELECT AP → SELECT PIN EF → remaining-tries query
(spends nothing) → VERIFY → read EF 0001/0002 → EF 0003 digests checked against what
was read.

EFs are read by short EF identifier (``00 B0 80|fid 00 00``: no SELECT EF, and one
256-byte read covers a whole basic-4 record), which several peers use on real cards
(§1, MBE, JSA). A card that refuses SFI addressing (6A86, 6A81, 6A82, 6981, 6986) is
read the documented way instead for the rest of the session: SELECT EF, then a 7-byte
header and the rest. A remaining-tries query made just before (``remaining_tries``,
e.g. for the PIN prompt) is reused by the VERIFY that follows, so the key is not
queried twice; the read runs on an exclusive connection, so nothing else can spend a
try in between.

Lockout policy: a PIN or 照合番号 is sent only after the query shows at least two
tries left, unless the caller passes ``allow_last_try=True`` (the UI should offer the
PIN-less 照合番号B route or manual entry instead). Wrongly shaped input is refused
before anything reaches the card, because it is unknown whether the card would
charge a try for it.
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import logging

from dxdesk.cardreader.apdu import (
    INS_SELECT,
    INS_VERIFY,
    MAX_SHORT_LE,
    SW_OK,
    CommandAPDU,
    Transport,
    read_binary_all,
    read_binary_to_end,
)
from dxdesk.cardreader.errors import (
    Credential,
    IntegrityError,
    InvalidPinFormatError,
    LowTriesError,
    PinBlockedError,
    UnexpectedStatusError,
    error_for_status,
)
from dxdesk.cardreader.model import (
    BasicInfoRecord,
    CardHolder,
    is_ascii_digits,
    parse_basic_info_ef,
    parse_integrity_ef,
    parse_my_number_ef,
)

log = logging.getLogger(__name__)

TEXT_AP_AID = bytes.fromhex("D3921000310001010408")  # 券面事項入力補助AP
JPKI_AP_AID = bytes.fromhex("D392F000260100000001")  # 公的個人認証AP
VISUAL_AP_AID = bytes.fromhex("D3921000310001010402")  # 券面事項確認AP
COMMON_AP_AID = bytes.fromhex("D3921000310001010100")  # 共通AP
JUKI_AP_AID = bytes.fromhex("D3921000310001010401")  # 住基AP
ISD_AID = bytes.fromhex("A0000001510000")  # GlobalPlatform card manager

EF_MY_NUMBER = 0x0001
EF_BASIC_INFO = 0x0002
EF_INTEGRITY = 0x0003
EF_CV_CERTIFICATE = 0x0004
KEY_TEXT_PIN = 0x0011
KEY_CODE_A = 0x0014
KEY_CODE_B = 0x0015

TEXT_PIN_MAX_TRIES = 3
# 照合番号 counters: 10 per one source, 3 per another; 3 is the safe assumption for
# reporting a verified key's count.
CODE_MAX_TRIES_ASSUMED = 3
SW_TECHNICAL_PROBLEM = 0x6F00
# What a card without SFI addressing may answer to READ BINARY with P1 = 80|sfi: wrong
# P1-P2, function not supported, file not found, incompatible file, no current EF.
SFI_REFUSED = frozenset({0x6A86, 0x6A81, 0x6A82, 0x6981, 0x6986})


class MyNumberCard:
    """Reads the text AP of one inserted card. Not thread-safe: use it from the card thread only."""

    def __init__(self, transport: Transport, *, use_sfi: bool = True) -> None:
        """``use_sfi=False`` reads with SELECT EF + offsets only (the §2.5 transcript, byte for byte)."""
        self._transport = transport
        self._use_sfi = use_sfi
        self._selected_df: bytes | None = None
        self._current_ef: int | None = None
        # Tries from the last query, per key; valid only while that key EF stays current
        # and no VERIFY was sent since.
        self._queried_tries: dict[int, int] = {}
        # EF 0003 as last read by the integrity check, for the chip signature check (chipcheck.py).
        self.integrity_ef: bytes | None = None

    @property
    def uses_sfi(self) -> bool:
        """False once the card refused an SFI read (or when constructed so)."""
        return self._use_sfi

    # --- selection ---------------------------------------------------------------

    def select_text_ap(self) -> None:
        """SELECT the 券面事項入力補助AP; NotMyNumberCardError when the card has no such AP."""
        apdu = CommandAPDU(0x00, INS_SELECT, 0x04, 0x0C, TEXT_AP_AID).to_bytes()
        self._selected_df = None
        self._current_ef = None
        self._queried_tries.clear()
        _, sw = self._transport.transmit(apdu)
        if sw == SW_TECHNICAL_PROBLEM:
            # One card answered the first command after a power cycle with 6F00 (doc §6.2);
            # SELECT changes nothing on failure, so sending it once more is safe.
            log.debug("SELECT answered 6F00; retrying once")
            _, sw = self._transport.transmit(apdu)
        self._check(sw, "SELECT AP")
        self._selected_df = TEXT_AP_AID

    def _ensure_text_ap(self) -> None:
        if self._selected_df != TEXT_AP_AID:
            self.select_text_ap()

    def _select_ef(self, fid: int) -> None:
        self._ensure_text_ap()
        self._current_ef = None
        _, sw = self._transport.transmit(CommandAPDU(0x00, INS_SELECT, 0x02, 0x0C, fid.to_bytes(2, "big")).to_bytes())
        self._check(sw, f"SELECT EF {fid:04X}")
        self._current_ef = fid

    @staticmethod
    def _check(sw: int, command_name: str, credential: Credential | None = None) -> None:
        if sw != SW_OK:
            raise error_for_status(sw, command_name, credential)

    # --- PIN and 照合番号 ----------------------------------------------------------------

    def remaining_tries(self) -> int:
        """Tries left on the text-AP PIN, by the empty VERIFY that spends nothing (0 = blocked)."""
        return self._query_tries(KEY_TEXT_PIN, Credential.TEXT_PIN)

    def remaining_code_b_tries(self) -> int:
        return self._query_tries(KEY_CODE_B, Credential.CODE_B)

    def _query_tries(self, key_fid: int, credential: Credential) -> int:
        self._select_ef(key_fid)
        _, sw = self._transport.transmit(CommandAPDU(0x00, INS_VERIFY, 0x00, 0x80).to_bytes())
        if sw & 0xFFF0 == 0x63C0:
            tries = sw & 0x0F
        elif sw == SW_OK:
            # Some cards answer 9000 when the key is already verified since power-on. A good
            # VERIFY resets the counter, so the count is the key's initial one.
            tries = TEXT_PIN_MAX_TRIES if credential is Credential.TEXT_PIN else CODE_MAX_TRIES_ASSUMED
        elif sw in (0x6983, 0x6984):
            tries = 0
        else:
            raise error_for_status(sw, "VERIFY (query)")
        self._queried_tries[key_fid] = tries
        return tries

    def verify_pin(self, pin: str, *, allow_last_try: bool = False) -> None:
        """VERIFY the 4-digit text-AP PIN (opens EF 0001, 0002 and 0003).

        Raises InvalidPinFormatError (nothing sent), PinBlockedError, LowTriesError
        (nothing sent: one try left and ``allow_last_try`` not set) or WrongPinError.
        """
        if not isinstance(pin, str) or not is_ascii_digits(pin, 4):
            raise InvalidPinFormatError(Credential.TEXT_PIN)
        secret = bytearray(pin.encode("ascii"))
        del pin
        self._verify(KEY_TEXT_PIN, Credential.TEXT_PIN, secret, allow_last_try)

    def verify_code_b(self, code: str, *, allow_last_try: bool = False) -> None:
        """VERIFY 照合番号B (14 digits: 和暦 birth YYMMDD + expiry year + security code).

        The PIN-less route: opens EF 0002 (the four basic items) but not the My Number.
        """
        if not isinstance(code, str) or not is_ascii_digits(code, 14):
            raise InvalidPinFormatError(Credential.CODE_B)
        secret = bytearray(code.encode("ascii"))
        del code
        self._verify(KEY_CODE_B, Credential.CODE_B, secret, allow_last_try)

    def _verify(self, key_fid: int, credential: Credential, secret: bytearray, allow_last_try: bool) -> None:
        try:
            tries_left = self._queried_tries.pop(key_fid, None) if self._current_ef == key_fid else None
            if tries_left is None:
                tries_left = self._query_tries(key_fid, credential)  # also selects the key EF
            self._queried_tries.clear()  # whatever happens next, a VERIFY may change the counters
            if tries_left == 0:
                raise PinBlockedError(credential)
            if tries_left <= 1 and not allow_last_try:
                raise LowTriesError(tries_left, credential)
            apdu = bytearray([0x00, INS_VERIFY, 0x00, 0x80, len(secret)]) + secret
            try:
                _, sw = self._transport.transmit(bytes(apdu))
            finally:
                # Best effort: Python cannot wipe the immutable copy handed to the transport,
                # but no object of ours keeps the secret after this point.
                apdu[:] = bytes(len(apdu))
            self._check(sw, "VERIFY", credential)
        finally:
            secret[:] = bytes(len(secret))

    # --- reading -------------------------------------------------------------------

    def read_my_number(self, *, check_integrity: bool = True) -> str:
        """The 12-digit individual number. Needs a verified PIN; call only when the procedure requires it."""
        raw = self._read_my_number_ef()
        if check_integrity:
            self._check_integrity(raw, None)
        return parse_my_number_ef(raw)

    def read_basic_info(self, *, check_integrity: bool = True) -> CardHolder:
        """Name, address, birth date and sex (never the number). Needs the PIN or 照合番号B."""
        record = self._read_basic_info_ef()
        if check_integrity:
            self._check_integrity(None, record)
        return record.holder

    def read(
        self,
        pin: str | None = None,
        code_b: str | None = None,
        include_my_number: bool = False,
        *,
        allow_last_try: bool = False,
        check_integrity: bool = True,
    ) -> CardHolder:
        """Select, verify (PIN or 照合番号B), read the basic four (and the number if asked), check integrity.

        Both credentials are format-checked before the first APDU, so a typo sends nothing.
        """
        if pin is not None and code_b is not None:
            raise ValueError("pass either pin or code_b, not both")
        if pin is not None and (not isinstance(pin, str) or not is_ascii_digits(pin, 4)):
            raise InvalidPinFormatError(Credential.TEXT_PIN)
        if code_b is not None and (not isinstance(code_b, str) or not is_ascii_digits(code_b, 14)):
            raise InvalidPinFormatError(Credential.CODE_B)
        # Keeps the AP (and a just-made query) selected by remaining_tries() on this connection.
        self._ensure_text_ap()
        if pin is not None:
            self.verify_pin(pin, allow_last_try=allow_last_try)
        elif code_b is not None:
            self.verify_code_b(code_b, allow_last_try=allow_last_try)
        pin = code_b = None  # drop our references as soon as VERIFY is done
        number_raw = self._read_my_number_ef() if include_my_number else None
        record = self._read_basic_info_ef()
        if check_integrity:
            self._check_integrity(number_raw, record)
        number = parse_my_number_ef(number_raw) if number_raw is not None else None
        return dataclasses.replace(record.holder, my_number=number)

    def read_certificate_ef(self) -> bytes:
        """EF 0004, the AP's card-verifiable certificate (free: no PIN or 照合番号 needed)."""
        return self._read_ef(EF_CV_CERTIFICATE)

    def _read_my_number_ef(self) -> bytes:
        # The whole physical EF (17 bytes, filler included) in one Le=00 read: EF 0003's
        # digest covers the filler too.
        return self._read_ef(EF_MY_NUMBER, whole_file=True)

    def _read_basic_info_ef(self) -> BasicInfoRecord:
        return parse_basic_info_ef(self._read_ef(EF_BASIC_INFO))

    def _read_ef(self, fid: int, *, whole_file: bool = False) -> bytes:
        """The BER object at the start of EF ``fid`` (or, with ``whole_file``, every physical byte)."""
        self._ensure_text_ap()
        if self._use_sfi:
            # An SFI read may make the EF current even when it fails (6982 without a PIN), so
            # the key EF selected by a remaining-tries query can no longer be assumed current:
            # a VERIFY with P2=80 must select it again rather than reuse the query.
            self._current_ef = None
            try:
                if whole_file:
                    data = read_binary_to_end(self._transport, sfi=fid)
                else:
                    # Le 00 at once: a basic-4 record fits in 256 bytes, so one APDU usually
                    # does it; a longer object continues by offset (the EF is current now).
                    data = read_binary_all(self._transport, header_len=MAX_SHORT_LE, sfi=fid)
                self._current_ef = fid
                return data
            except UnexpectedStatusError as exc:
                if exc.sw not in SFI_REFUSED:
                    raise
                log.info("card refused READ BINARY by SFI (SW %04X); selecting EFs from now on", exc.sw)
                self._use_sfi = False
        self._select_ef(fid)
        return read_binary_to_end(self._transport) if whole_file else read_binary_all(self._transport)

    def _check_integrity(self, my_number_ef: bytes | None, basic_info: BasicInfoRecord | None) -> None:
        """Compare SHA-256 digests with EF 0003 (DF31: EF 0001 as stored; DF32: EF 0002 from DF22 on).

        The DF33 signature is not verified: its key is certified only by J-LIS's CV
        chain, which this project does not hold. The digests still catch corrupted or
        altered data from a damaged card or a broken reader.
        """
        self.integrity_ef = self._read_ef(EF_INTEGRITY)
        record = parse_integrity_ef(self.integrity_ef)
        if my_number_ef is not None and not hmac.compare_digest(
            hashlib.sha256(my_number_ef).digest(), record.my_number_digest
        ):
            raise IntegrityError()
        if basic_info is not None and not hmac.compare_digest(
            hashlib.sha256(basic_info.digest_input).digest(), record.basic_info_digest
        ):
            raise IntegrityError()

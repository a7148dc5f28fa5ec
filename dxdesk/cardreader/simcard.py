"""A simulated My Number Card: one command engine for in-process tests and for vpcd.

``SimulatedCard.process(apdu) -> response bytes`` implements the checklist of
docs/mynumber-card.md §8: SELECT by DF name / EF id, READ BINARY with offsets and
SFI, VERIFY with retry counters and the remaining-tries query, CHANGE REFERENCE
DATA, JPKI COMPUTE SIGNATURE, access rules, and per-DF security state. It never
raises on bad input; it answers the status word a card would (6700, 6D00, 6E00 …).
Deviations from real cards are listed in docs/cardreader.md.
"""
from __future__ import annotations

import datetime as dt
import hmac
import logging
import threading
from collections.abc import Callable

from dxdesk.cardreader.apdu import CommandAPDU
from dxdesk.cardreader.errors import CardRemovedError
from dxdesk.cardreader.model import verification_code_b
from dxdesk.cardreader.mynumber import ISD_AID, JPKI_AP_AID, KEY_TEXT_PIN, TEXT_AP_AID
from dxdesk.cardreader.simfiles import (
    SimApplication,
    SimEF,
    SimKey,
    build_jpki_ap,
    build_other_aps,
    build_text_ap,
    pkcs1_v15_sign_raw,
)
from dxdesk.cardreader.testdata import FictionalPerson
from dxdesk.cardreader.validity import card_expiry_from_code_b

log = logging.getLogger(__name__)

ATR = bytes.fromhex("3BE000FF8131FE4514")  # contact ATR matched by OpenSC's jpki driver

SW_OK = 0x9000
SW_WRONG_LENGTH = 0x6700
SW_CHANNEL_NOT_SUPPORTED = 0x6881
SW_SM_NOT_SUPPORTED = 0x6882
SW_CHAINING_NOT_SUPPORTED = 0x6884
SW_INCOMPATIBLE_FILE = 0x6981
SW_SECURITY_STATUS = 0x6982
SW_BLOCKED = 0x6984
SW_NO_CURRENT_EF = 0x6986
SW_SM_REFUSED_RW = 0x69FC
SW_WRONG_DATA = 0x6A80
SW_NOT_FOUND = 0x6A82
SW_WRONG_P1P2 = 0x6A86
SW_REFERENCE_NOT_FOUND = 0x6A88
SW_WRONG_OFFSET = 0x6B00
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00
SW_TECHNICAL = 0x6F00

Response = tuple[bytes, int]


class SimulatedCard:
    """One fictional person's card. Thread-safe: vpcd bridges and tests may share it."""

    def __init__(
        self,
        person: FictionalPerson,
        *,
        pin: str | None = None,
        code_b: str | None = None,
        sign_password: str | None = None,
        pin_tries_left: int = 3,
        code_tries: int = 10,
        keep_verification_on_reset: bool = True,
        query_answers_9000_when_verified: bool = False,
        long_form_lengths: bool = False,
        corrupt_basic_info: bool = False,
        first_command_6f00: bool = False,
        sfi_supported: bool = True,
        serial: int = 1,
        card_expiry: dt.date | None = None,
        auth_cert_not_after: dt.datetime | None = None,
    ) -> None:
        """Build the card's file system.

        ``code_tries``: retry count of 照合番号A/B (10 per MC, 3 per SCT — the sources disagree).
        ``keep_verification_on_reset``: a warm reset keeps VERIFY results (MC measured this).
        ``query_answers_9000_when_verified``: the query of a verified key answers 9000 (some cards).
        ``long_form_lengths``: EF 0002 uses ``82``/``81`` length forms even when short ones fit.
        ``corrupt_basic_info``: EF 0002 differs from what EF 0003's digest covers.
        ``first_command_6f00``: the first command after power-on answers 6F00 (seen once by MC).
        ``sfi_supported``: False makes READ BINARY by short EF identifier answer 6A86, as a card
        without SFI addressing would (exercises the reader's SELECT EF fallback).
        ``card_expiry``: the card's expiry (default: the holder's birthday in the person's expiry
        year); its year is also the one in 照合番号B unless ``code_b`` is given.
        ``auth_cert_not_after``: notAfter of the JPKI certificates (default 2035-12-31; see
        ``simvisual.validity_preset`` for valid / expiring / expired).
        """
        holder = person.holder
        pin = person.pin if pin is None else pin
        self.card_expiry = card_expiry or card_expiry_from_code_b(person.expiry_year, holder.birth_date)
        if code_b is None:
            code_b = verification_code_b(holder.birth_date, self.card_expiry.year, person.security_code)
        self.code_b = code_b
        self.person = person
        self.keep_verification_on_reset = keep_verification_on_reset
        self.query_answers_9000_when_verified = query_answers_9000_when_verified
        self.first_command_6f00 = first_command_6f00
        self.sfi_supported = sfi_supported
        text = build_text_ap(
            holder,
            pin=pin,
            code_b=code_b,
            pin_tries_left=pin_tries_left,
            code_tries=code_tries,
            long_form_lengths=long_form_lengths,
            corrupt_basic_info=corrupt_basic_info,
        )
        jpki = build_jpki_ap(holder, pin=pin, sign_password=sign_password or person.sign_password, serial=serial,
                             auth_not_after=auth_cert_not_after)
        others = build_other_aps(holder, pin=pin, code_b=code_b, code_tries=code_tries, card_expiry=self.card_expiry,
                                 face_seed=person.key)
        apps = [text, jpki, *others]
        self._apps: dict[bytes, SimApplication] = {app.aid: app for app in apps}
        self._lock = threading.RLock()
        self._powered = False
        self._pending_6f00 = False
        self._app: SimApplication | None = None  # None = MF level
        self._ef: int | None = None  # current EF or key FID within the current DF
        self._security_df: bytes | None = None  # DF the verified keys belong to
        self._verified: set[int] = set()
        self.apdu_count = 0
        self._handlers: dict[tuple[int, int], Callable[[CommandAPDU], Response]] = {
            (0x00, 0xA4): self._select,
            (0x00, 0xB0): self._read_binary,
            (0x00, 0x20): self._verify,
            (0x00, 0x24): self._change_reference_data,
            (0x80, 0x2A): self._compute_signature,
        }

    @classmethod
    def from_person(cls, person: FictionalPerson, **options: object) -> SimulatedCard:
        return cls(person, **options)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"SimulatedCard({self.person!r}, powered={self._powered})"

    # --- power -------------------------------------------------------------------

    @property
    def atr(self) -> bytes:
        return ATR

    @property
    def powered(self) -> bool:
        return self._powered

    def power_on(self) -> None:
        with self._lock:
            self._powered = True
            self._pending_6f00 = self.first_command_6f00
            self._app, self._ef = None, None
            self._clear_security()

    def power_off(self) -> None:
        with self._lock:
            self._powered = False
            self._app, self._ef = None, None
            self._clear_security()

    def reset(self) -> None:
        """Warm reset: back to MF; VERIFY results survive unless configured otherwise (doc §6.4)."""
        with self._lock:
            self._powered = True
            self._app, self._ef = None, None
            if not self.keep_verification_on_reset:
                self._clear_security()

    def _clear_security(self) -> None:
        self._verified.clear()
        self._security_df = None

    # --- inspection for tests ----------------------------------------------------

    @property
    def selected_aid(self) -> bytes | None:
        return self._app.aid if self._app else None

    def tries_left(self, key_fid: int = KEY_TEXT_PIN, aid: bytes = TEXT_AP_AID) -> int:
        return self._apps[aid].keys[key_fid].tries_left

    def set_tries_left(self, key_fid: int, tries_left: int, aid: bytes = TEXT_AP_AID) -> None:
        with self._lock:
            key = self._apps[aid].keys[key_fid]
            key.tries_left = max(0, min(tries_left, key.max_tries))

    def is_verified(self, key_fid: int = KEY_TEXT_PIN, aid: bytes = TEXT_AP_AID) -> bool:
        return self._security_df == aid and key_fid in self._verified

    def file_content(self, fid: int, aid: bytes = TEXT_AP_AID) -> bytes:
        return self._apps[aid].efs[fid].content

    # --- command processing --------------------------------------------------------

    def process(self, apdu: bytes) -> bytes:
        """Response data + SW1 SW2 for one command APDU. Never raises."""
        with self._lock:
            self.apdu_count += 1
            try:
                data, sw = self._dispatch(bytes(apdu))
            except Exception:  # a simulator bug must not take down the vpcd bridge or a test's transport
                log.exception("simulated card failed on INS %02X", apdu[1] if len(apdu) > 1 else 0)
                data, sw = b"", SW_TECHNICAL
            return data + sw.to_bytes(2, "big")

    def _dispatch(self, apdu: bytes) -> Response:
        if not self._powered:
            return b"", SW_TECHNICAL
        if self._pending_6f00:
            self._pending_6f00 = False
            return b"", SW_TECHNICAL
        if len(apdu) < 4:
            return b"", SW_WRONG_LENGTH
        cla, ins = apdu[0], apdu[1]
        if 0x40 <= cla <= 0x7F:  # further interindustry class = logical channels 4..19
            return b"", SW_CHANNEL_NOT_SUPPORTED
        if cla == 0xFF or cla & 0x60:  # not first-interindustry (0x0X/0x1X) nor proprietary 0x8X/0x9X
            return b"", SW_CLA_NOT_SUPPORTED
        if cla & 0x03:
            return b"", SW_CHANNEL_NOT_SUPPORTED
        handler = self._handlers.get((cla & 0x80, ins))
        if handler is None:
            return b"", SW_INS_NOT_SUPPORTED
        if cla & 0x0C:  # secure messaging: refused, with the SWs MC measured
            return b"", SW_SM_REFUSED_RW if ins in (0xB0, 0x20) else SW_SM_NOT_SUPPORTED
        if cla & 0x10:
            return b"", SW_CHAINING_NOT_SUPPORTED
        try:
            command = CommandAPDU.from_bytes(apdu)
        except ValueError:
            return b"", SW_WRONG_LENGTH
        return handler(command)

    def _select(self, cmd: CommandAPDU) -> Response:
        if cmd.p1 == 0x04:  # by DF name
            if not cmd.data:
                return b"", SW_WRONG_LENGTH
            # An unknown AID is "not found" whatever P2 asks for: OpenSC's other drivers probe
            # with P2 00 (FCI) and must read a plain "no such application" (doc §3.3).
            app = self._apps.get(cmd.data)
            if app is None and cmd.data != ISD_AID:
                return b"", SW_NOT_FOUND
            if cmd.p2 != 0x0C:
                return b"", SW_WRONG_P1P2
            if app is None:  # the ISD: restores the power-on MF state, security state included
                # Selecting the ISD is a change of application like any other (§8.5): a VERIFY
                # of the text AP must not survive a detour through it back into the text AP.
                self._app, self._ef = None, None
                self._clear_security()
                return b"", SW_OK
            if self._security_df != app.aid:  # security state is per DF: a DF change drops it
                self._clear_security()
                self._security_df = app.aid
            self._app, self._ef = app, None
            return b"", SW_OK
        if cmd.p1 == 0x02:  # EF under the current DF
            if cmd.p2 != 0x0C:
                return b"", SW_WRONG_P1P2
            if len(cmd.data) != 2:
                return b"", SW_WRONG_LENGTH
            fid = int.from_bytes(cmd.data, "big")
            if self._app is None or (fid not in self._app.efs and fid not in self._app.keys):
                return b"", SW_NOT_FOUND
            self._ef = fid
            return b"", SW_OK
        if cmd.p1 == 0x00:
            if cmd.data:  # the MF (3F00) and anything else by FID at this level: not found (MC)
                return b"", SW_NOT_FOUND
            # Measured: 6A86 straight after reset, 9000 without changing the DF when an AP is selected.
            return b"", SW_OK if self._app else SW_WRONG_P1P2
        return b"", SW_WRONG_P1P2

    def _read_binary(self, cmd: CommandAPDU) -> Response:
        if cmd.data or cmd.le is None:
            return b"", SW_WRONG_LENGTH
        if cmd.p1 & 0x80:  # SFI in P1 bits 1-5, offset in P2
            if not self.sfi_supported or cmd.p1 & 0x60 or not cmd.p1 & 0x1F:
                return b"", SW_WRONG_P1P2
            fid = cmd.p1 & 0x1F
            if self._app is None or (fid not in self._app.efs and fid not in self._app.keys):
                return b"", SW_NOT_FOUND
            self._ef = fid  # ISO 7816-4: an SFI read makes the EF current
            offset = cmd.p2
        else:
            offset = (cmd.p1 << 8) | cmd.p2
        ef = self._current_ef()
        if isinstance(ef, int):
            return b"", ef
        if ef.private_key is not None:
            return b"", SW_INCOMPATIBLE_FILE
        if ef.read_keys is not None and not (ef.read_keys & self._verified):
            return b"", SW_SECURITY_STATUS
        if offset >= len(ef.content):
            return b"", SW_WRONG_OFFSET
        return ef.content[offset : offset + cmd.le], SW_OK  # min(Le, remaining), 90 00

    def _current_ef(self) -> SimEF | int:
        """The current transparent EF, or the SW to answer."""
        if self._app is None or self._ef is None:
            return SW_NO_CURRENT_EF
        if self._ef in self._app.keys:
            return SW_INCOMPATIBLE_FILE
        return self._app.efs[self._ef]

    def _key_for(self, p2: int) -> tuple[int, SimKey] | int:
        """Resolve the key of VERIFY / CHANGE REFERENCE DATA: P2 80 = current EF, 80|sfi = by SFI."""
        if p2 == 0x80:
            if self._app is None or self._ef is None:
                return SW_NO_CURRENT_EF
            fid = self._ef
        elif 0x81 <= p2 <= 0x9E:
            fid = p2 & 0x1F
        else:
            return SW_WRONG_P1P2
        if self._app is None or fid not in self._app.keys:
            return SW_REFERENCE_NOT_FOUND
        return fid, self._app.keys[fid]

    def _verify(self, cmd: CommandAPDU) -> Response:
        if cmd.p1 != 0x00:
            return b"", SW_WRONG_P1P2
        resolved = self._key_for(cmd.p2)
        if isinstance(resolved, int):
            return b"", resolved
        fid, key = resolved
        if not cmd.data:  # the query: spends nothing
            if key.tries_left == 0:
                return b"", 0x63C0
            if fid in self._verified and self.query_answers_9000_when_verified:
                return b"", SW_OK
            return b"", 0x63C0 | key.tries_left
        if key.tries_left == 0:
            return b"", SW_BLOCKED
        # Raw bytes, no case folding, constant time. A wrong length costs a try too: the
        # sources do not say whether a real card charges for it, so assume the worst.
        if hmac.compare_digest(cmd.data, key.secret):
            key.tries_left = key.max_tries
            self._verified.add(fid)
            return b"", SW_OK
        key.tries_left -= 1
        self._verified.discard(fid)
        return b"", 0x63C0 | key.tries_left

    def _change_reference_data(self, cmd: CommandAPDU) -> Response:
        if cmd.p1 != 0x01:  # only "new value after a successful VERIFY" (as MYNA uses it)
            return b"", SW_WRONG_P1P2
        resolved = self._key_for(cmd.p2)
        if isinstance(resolved, int):
            return b"", resolved
        fid, key = resolved
        if key.tries_left == 0:
            return b"", SW_BLOCKED
        if fid not in self._verified:
            return b"", SW_SECURITY_STATUS
        if not key.accepts(cmd.data):
            return b"", SW_WRONG_DATA
        key.secret = bytes(cmd.data)
        return b"", SW_OK

    def _compute_signature(self, cmd: CommandAPDU) -> Response:
        if cmd.p1 != 0x00:  # only "pad the given DigestInfo" is modelled
            return b"", SW_WRONG_P1P2
        if self._app is None or self._app.aid != JPKI_AP_AID:
            return b"", SW_NO_CURRENT_EF
        if cmd.p2 == 0x80:
            fid = self._ef
        elif 0x81 <= cmd.p2 <= 0x9E:
            fid = cmd.p2 & 0x1F
        else:
            return b"", SW_WRONG_P1P2
        ef = self._app.efs.get(fid) if fid is not None else None
        if ef is None or ef.private_key is None:
            return b"", SW_NO_CURRENT_EF if fid is None else SW_INCOMPATIBLE_FILE
        if not ef.use_keys & self._verified:
            return b"", SW_SECURITY_STATUS
        if not cmd.data or len(cmd.data) > ef.private_key.key_size // 8 - 11:
            return b"", SW_WRONG_LENGTH
        return pkcs1_v15_sign_raw(ef.private_key, cmd.data), SW_OK


class SimulatedTransport:
    """Runs a SimulatedCard in-process behind the Transport interface.

    ``remove()`` pulls the card (power off; every later transmit raises
    CardRemovedError); ``remove_after(n)`` lets n more APDUs through first, to test a
    card pulled mid-read; ``insert()`` puts it back (cold power-on).
    """

    def __init__(self, card: SimulatedCard) -> None:
        self.card = card
        self._present = True
        self._remaining: int | None = None
        if not card.powered:
            card.power_on()

    @property
    def present(self) -> bool:
        return self._present

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        if self._remaining is not None:
            if self._remaining == 0:
                self.remove()
            else:
                self._remaining -= 1
        if not self._present:
            raise CardRemovedError()
        response = self.card.process(apdu)
        return response[:-2], int.from_bytes(response[-2:], "big")

    def remove(self) -> None:
        self._present = False
        self._remaining = None
        self.card.power_off()

    def remove_after(self, n_apdus: int) -> None:
        self._remaining = n_apdus

    def insert(self) -> None:
        self._present = True
        self._remaining = None
        self.card.power_on()

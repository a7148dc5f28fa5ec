"""The text-AP protocol against the simulated card: transcript, lockout policy, routes, errors, privacy."""
from __future__ import annotations

import logging

import pytest

from dxdesk.cardreader import testdata
from dxdesk.cardreader.apdu import RecordingTransport, TracingTransport
from dxdesk.cardreader.errors import (
    CardDataError,
    CardRemovedError,
    Credential,
    IntegrityError,
    InvalidPinFormatError,
    LowTriesError,
    NotMyNumberCardError,
    PinBlockedError,
    SecurityStatusError,
    WrongPinError,
)
from dxdesk.cardreader.mynumber import KEY_CODE_B, MyNumberCard
from dxdesk.cardreader.simcard import SimulatedCard, SimulatedTransport

KOKUTOU = testdata.PERSON_KOKUTOU


def setup(person: testdata.FictionalPerson = KOKUTOU, *, use_sfi: bool = True, **options: object):
    card = SimulatedCard.from_person(person, **options)
    transport = SimulatedTransport(card)
    recorder = RecordingTransport(transport)
    return card, transport, recorder, MyNumberCard(recorder, use_sfi=use_sfi)


# The documented exchange (docs/mynumber-card.md §2.5), byte for byte: what MyNumberCard
# sends with SELECT EF addressing (use_sfi=False, or after a card refused an SFI read).
TRANSCRIPT = [
    ("00 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 08", "", 0x9000),
    ("00 A4 02 0C 02 00 11", "", 0x9000),
    ("00 20 00 80", "", 0x63C3),
    ("00 20 00 80 04 31 32 33 34", "", 0x9000),
    ("00 A4 02 0C 02 00 01", "", 0x9000),
    ("00 B0 00 00 00", "FF 10 0C 35 33 37 36 38 36 36 37 37 31 38 38 FF FF", 0x9000),
    ("00 A4 02 0C 02 00 02", "", 0x9000),
    ("00 B0 00 00 07", "FF 20 65 DF 21 08 00", 0x9000),
    ("00 B0 00 07 61", testdata.KOKUTOU_EF0002[7:].hex(" "), 0x9000),
]


def test_documented_transcript_byte_for_byte() -> None:
    _, _, recorder, card = setup(use_sfi=False)
    holder = card.read(pin="1234", include_my_number=True)
    expected = [(bytes.fromhex(c), bytes.fromhex(d), sw) for c, d, sw in TRANSCRIPT]
    assert recorder.exchanges[: len(expected)] == expected
    # Then the integrity record: SELECT 0003 and its reads, nothing else.
    rest = recorder.commands[len(expected) :]
    assert rest[0] == bytes.fromhex("00 A4 02 0C 02 00 03")
    assert all(c[:2] == b"\x00\xb0" for c in rest[1:])
    assert holder.my_number == "537686677188"
    assert holder.name == "黒桐\u3000幹也"


# The default: EFs addressed by short identifier, each object in one Le=00 read.
SFI_TRANSCRIPT = [
    ("00 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 08", 0x9000),
    ("00 A4 02 0C 02 00 11", 0x9000),
    ("00 20 00 80", 0x63C3),
    ("00 20 00 80 04 31 32 33 34", 0x9000),
    ("00 B0 81 00 00", 0x9000),  # EF 0001: 17 bytes, filler included
    ("00 B0 82 00 00", 0x9000),  # EF 0002: the whole 104-byte record
    ("00 B0 83 00 00", 0x9000),  # EF 0003: 256 of its 336 bytes ...
    ("00 B0 01 00 50", 0x9000),  # ... and the other 80
]


def test_sfi_transcript_reads_number_and_four_items_in_eight_apdus() -> None:
    _, _, recorder, card = setup()
    holder = card.read(pin="1234", include_my_number=True)
    assert [(c.hex(" ").upper(), sw) for c, _, sw in recorder.exchanges] == SFI_TRANSCRIPT
    assert recorder.exchanges[4][1] == bytes.fromhex("FF 10 0C 35 33 37 36 38 36 36 37 37 31 38 38 FF FF")
    assert holder == KOKUTOU.holder
    assert card.uses_sfi


def test_query_before_the_prompt_is_not_repeated_by_verify() -> None:
    """The service queries tries, asks for the PIN, then reads: one query, not two."""
    _, _, recorder, card = setup()
    assert card.remaining_tries() == 3
    card.read(pin="1234", include_my_number=True, check_integrity=False)
    assert [c.hex(" ").upper() for c in recorder.commands] == [c for c, _ in SFI_TRANSCRIPT[:6]]


def test_a_stale_query_is_not_reused_after_a_wrong_pin() -> None:
    sim, _, recorder, card = setup()
    card.remaining_tries()
    with pytest.raises(WrongPinError):
        card.verify_pin("0000")
    recorder.exchanges.clear()
    card.verify_pin("1234")
    assert [c.hex(" ").upper() for c in recorder.commands] == [
        "00 A4 02 0C 02 00 11", "00 20 00 80", "00 20 00 80 04 31 32 33 34"
    ]
    assert sim.tries_left() == 3


def test_card_without_sfi_falls_back_to_select_for_the_session() -> None:
    _, _, recorder, card = setup(sfi_supported=False)
    holder = card.read(pin="1234", include_my_number=True)
    assert holder == KOKUTOU.holder and not card.uses_sfi
    after_verify = [c.hex(" ").upper() for c in recorder.commands[4:]]
    assert after_verify[:3] == ["00 B0 81 00 00", "00 A4 02 0C 02 00 01", "00 B0 00 00 00"]
    assert sum(1 for c in recorder.commands if c[1] == 0xB0 and c[2] & 0x80) == 1  # refused once, never retried
    assert "00 A4 02 0C 02 00 03" in after_verify


def test_sfi_read_without_credentials_is_denied_not_retried() -> None:
    _, _, recorder, card = setup()
    with pytest.raises(SecurityStatusError):
        card.read_basic_info()
    assert card.uses_sfi  # 6982 is an access rule, not a sign of missing SFI support
    assert bytes.fromhex("00 A4 02 0C 02 00 02") not in recorder.commands


def test_verify_after_a_denied_read_selects_the_key_again() -> None:
    """A denied SFI read moves the card's current EF: the query made before it cannot be reused."""
    sim, _, recorder, card = setup()
    assert card.remaining_tries() == 3
    with pytest.raises(SecurityStatusError):
        card.read_basic_info()
    recorder.exchanges.clear()
    card.verify_pin("1234")
    assert [c.hex(" ").upper() for c in recorder.commands] == [
        "00 A4 02 0C 02 00 11", "00 20 00 80", "00 20 00 80 04 31 32 33 34"
    ]
    assert sim.is_verified() and sim.tries_left() == 3


def test_remaining_tries_spends_nothing() -> None:
    sim, _, _, card = setup()
    card.select_text_ap()
    assert [card.remaining_tries() for _ in range(5)] == [3] * 5
    assert sim.tries_left() == 3


def test_remaining_tries_when_already_verified_answers_9000() -> None:
    _, _, recorder, card = setup(query_answers_9000_when_verified=True)
    card.verify_pin("1234")
    assert card.remaining_tries() == 3
    assert recorder.exchanges[-1][2] == 0x9000


def test_wrong_pin_decrements_and_reports_tries() -> None:
    sim, _, _, card = setup()
    with pytest.raises(WrongPinError) as info:
        card.verify_pin("9999")
    assert info.value.tries_left == 2 and sim.tries_left() == 2
    assert "残りは2回" in info.value.message.ja
    card.verify_pin("1234")  # a good VERIFY resets the counter
    assert sim.tries_left() == 3


def test_third_wrong_pin_blocks_then_6984() -> None:
    sim, _, recorder, card = setup()
    with pytest.raises(WrongPinError):
        card.verify_pin("0000", allow_last_try=True)
    with pytest.raises(WrongPinError) as info:
        card.verify_pin("0000", allow_last_try=True)
    assert info.value.tries_left == 1
    with pytest.raises(PinBlockedError):
        card.verify_pin("0000", allow_last_try=True)  # card answers 63C0
    assert recorder.exchanges[-1][2] == 0x63C0
    assert card.remaining_tries() == 0
    with pytest.raises(PinBlockedError):
        card.verify_pin("1234", allow_last_try=True)  # refused locally: query says blocked
    # And the card itself answers 6984 to a VERIFY on the blocked key.
    assert SimulatedTransport(sim).transmit(bytes.fromhex("00 20 00 80 04 31 32 33 34")) == (b"", 0x6984)


@pytest.mark.parametrize("tries_left", [1, 0])
def test_low_tries_refusal_sends_no_verify(tries_left: int) -> None:
    sim, _, recorder, card = setup(pin_tries_left=tries_left)
    with pytest.raises(LowTriesError if tries_left else PinBlockedError) as info:
        card.verify_pin("1234")
    assert not any(c[1] == 0x20 and len(c) > 4 for c in recorder.commands)
    assert sim.tries_left() == tries_left
    if tries_left:
        assert info.value.tries_left == 1
        assert "照合番号B" in info.value.message.ja


def test_last_try_allowed_when_asked() -> None:
    sim, _, _, card = setup(pin_tries_left=1)
    card.verify_pin("1234", allow_last_try=True)
    assert sim.tries_left() == 3


@pytest.mark.parametrize("pin", ["123", "12345", "１２３４", "abcd", " 1234", "1234 ", "", "12.4"])
def test_invalid_pin_formats_send_nothing(pin: str) -> None:
    _, _, recorder, card = setup()
    with pytest.raises(InvalidPinFormatError):
        card.verify_pin(pin)
    with pytest.raises(InvalidPinFormatError):
        card.read(pin=pin)
    assert recorder.exchanges == []


@pytest.mark.parametrize("code", ["5502172035228", "550217203522850", "５５０２１７２０３５２２８５", "55021720352A85"])
def test_invalid_code_b_formats_send_nothing(code: str) -> None:
    _, _, recorder, card = setup()
    with pytest.raises(InvalidPinFormatError) as info:
        card.verify_code_b(code)
    assert info.value.credential is Credential.CODE_B
    assert recorder.exchanges == []


def test_code_b_route_reads_four_items_but_not_the_number() -> None:
    sim, _, _, card = setup()
    holder = card.read(code_b=KOKUTOU.code_b)
    assert holder.address == KOKUTOU.holder.address and holder.my_number is None
    with pytest.raises(SecurityStatusError):
        card.read_my_number()
    with pytest.raises(SecurityStatusError):
        MyNumberCard(SimulatedTransport(sim)).read(code_b=KOKUTOU.code_b, include_my_number=True)


def test_wrong_code_b_reports_code_b_tries() -> None:
    sim, _, _, card = setup(code_tries=3)
    with pytest.raises(WrongPinError) as info:
        card.verify_code_b("55021720350000")
    assert info.value.credential is Credential.CODE_B and info.value.tries_left == 2
    assert sim.tries_left(KEY_CODE_B) == 2
    assert sim.tries_left() == 3  # the PIN counter is separate


def test_without_credentials_reading_is_denied() -> None:
    _, _, _, card = setup()
    with pytest.raises(SecurityStatusError) as info:
        card.read()
    assert "暗証番号" in info.value.message.ja


def test_my_number_is_read_only_when_asked() -> None:
    _, _, recorder, card = setup()
    holder = card.read(pin="1234")
    assert holder.my_number is None
    assert not any(c[1] == 0xB0 and c[2] == 0x81 for c in recorder.commands)
    n_without = len(recorder.commands)
    _, _, recorder, card = setup()
    card.read(pin="1234", include_my_number=True)
    assert len(recorder.commands) == n_without + 1  # one READ BINARY by SFI, no SELECT


def test_integrity_corruption_is_detected() -> None:
    _, _, _, card = setup(corrupt_basic_info=True)
    with pytest.raises(IntegrityError):
        card.read(pin="1234")
    holder = card.read_basic_info(check_integrity=False)  # parses fine: only the digest tells
    assert holder.sex is not KOKUTOU.holder.sex


@pytest.mark.parametrize(
    ("person", "long_form"),
    [
        (testdata.PERSON_LONG_ADDRESS, False),  # 81 lengths
        (testdata.PERSON_VERY_LONG_ADDRESS, False),  # 82 lengths, EF 0002 > 256 bytes
        (testdata.PERSON_KOKUTOU, True),  # forced 82/81 on a short record
        (testdata.PERSON_RARE_KANJI, True),
    ],
    ids=["81", "82-over-256", "forced-long", "rare-kanji"],
)
def test_long_form_lengths_are_read(person: testdata.FictionalPerson, long_form: bool) -> None:
    _, _, recorder, card = setup(person, long_form_lengths=long_form)
    holder = card.read(pin=person.pin, include_my_number=True)
    assert holder == person.holder
    if person is testdata.PERSON_VERY_LONG_ADDRESS:
        # EF 0002 is longer than one short read: SFI read of 256 bytes, then the rest by offset.
        assert bytes.fromhex("00 B0 82 00 00") in recorder.commands
        assert any(c[:4] == bytes.fromhex("00 B0 01 00") for c in recorder.commands)


def test_unknown_aid_means_not_a_my_number_card() -> None:
    class OtherCard:
        def transmit(self, apdu: bytes) -> tuple[bytes, int]:
            return b"", 0x6A82

    with pytest.raises(NotMyNumberCardError) as info:
        MyNumberCard(OtherCard()).read(pin="1234")
    assert "マイナンバーカードではない" in info.value.message.ja


def test_6f00_after_power_on_is_retried_once() -> None:
    _, _, recorder, card = setup(first_command_6f00=True)
    assert card.read(pin="1234").name == KOKUTOU.holder.name
    assert recorder.commands[0] == recorder.commands[1]


@pytest.mark.parametrize("after", [0, 3, 5, 7])  # of 8: mid-VERIFY, between and inside EF reads
def test_card_removed_mid_read(after: int) -> None:
    _, transport, _, card = setup(testdata.PERSON_VERY_LONG_ADDRESS)
    transport.remove_after(after)
    with pytest.raises(CardRemovedError) as info:
        card.read(pin=testdata.PERSON_VERY_LONG_ADDRESS.pin)
    assert "置き直して" in info.value.message.ja


@pytest.mark.parametrize("use_sfi", [True, False])
def test_truncated_file_is_card_data_error(use_sfi: bool) -> None:
    class Truncating:
        """Cuts EF 0002 short: 6282 (end of file) after 50 bytes, or 6B00 on the read after the header."""

        def __init__(self, inner: SimulatedTransport) -> None:
            self.inner = inner

        def transmit(self, apdu: bytes) -> tuple[bytes, int]:
            if apdu == bytes.fromhex("00 B0 82 00 00"):
                data, _ = self.inner.transmit(apdu)
                return data[:50], 0x6282
            if apdu[:4] == bytes.fromhex("00 B0 00 07"):
                return b"", 0x6B00
            return self.inner.transmit(apdu)

    sim = SimulatedCard.from_person(KOKUTOU)
    with pytest.raises(CardDataError, match="File ended"):
        MyNumberCard(Truncating(SimulatedTransport(sim)), use_sfi=use_sfi).read(pin="1234")


def test_tracing_logs_no_pin_number_or_name(caplog: pytest.LogCaptureFixture) -> None:
    sim = SimulatedCard.from_person(KOKUTOU)
    logger = logging.getLogger("test.apdu.trace")
    card = MyNumberCard(TracingTransport(SimulatedTransport(sim), logger))
    with caplog.at_level(logging.DEBUG, logger="test.apdu.trace"):
        holder = card.read(pin="1234", include_my_number=True)
        with pytest.raises(WrongPinError):
            card.verify_pin("5678")
    text = caplog.text
    assert holder.my_number == "537686677188"
    assert "00 20 00 80 04 XX XX XX XX" in text
    assert "<17 bytes> 9000" in text
    forbidden = [
        "31 32 33 34", "31323334", "1234", "35 36 37 38", "5678",
        "537686677188", "35 33 37 36",  # the number as digits or hex
        "黒桐", "幹也", "E9 BB 92", "清瀬",  # name and address, as text or UTF-8 hex
        "FF 10 0C", "FF 20 65",  # response TLV headers
    ]
    for needle in forbidden:
        assert needle not in text, needle


def test_no_pin_attribute_is_kept() -> None:
    _, _, _, card = setup()
    card.verify_pin("1234")
    card.verify_code_b(KOKUTOU.code_b)
    # Nothing else is remembered: addressing state, tries counts and EF 0003 (digests and a signature,
    # kept for the chip check), never a secret.
    assert set(vars(card)) == {"_transport", "_selected_df", "_use_sfi", "_current_ef", "_queried_tries", "integrity_ef"}
    state = repr({k: v for k, v in vars(card).items() if k != "_transport"})  # the recorder keeps the APDUs
    assert "1234" not in state and KOKUTOU.code_b not in state

"""The simulated card on its own: status words, access rules, security state, SFI, JPKI."""
from __future__ import annotations

import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from hypothesis import given, settings
from hypothesis import strategies as st

from dxdesk.cardreader import testdata
from dxdesk.cardreader.errors import CardRemovedError
from dxdesk.cardreader.model import parse_integrity_ef
from dxdesk.cardreader.mynumber import JPKI_AP_AID, KEY_CODE_A, KEY_CODE_B, KEY_TEXT_PIN, TEXT_AP_AID
from dxdesk.cardreader.simcard import ATR, SimulatedCard, SimulatedTransport
from dxdesk.cardreader.tlv import parse_tlv

KOKUTOU = testdata.PERSON_KOKUTOU
SELECT_TEXT = "00 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 08"
SELECT_JPKI = "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01"
VERIFY_1234 = "00 20 00 80 04 31 32 33 34"


@pytest.fixture(scope="module")
def shared_card() -> SimulatedCard:
    """One card for read-only checks (building is cheap, but module scope keeps JPKI tests quick)."""
    return SimulatedCard.from_person(KOKUTOU)


def run(card: SimulatedCard, *hex_apdus: str) -> list[tuple[bytes, int]]:
    out = []
    for apdu in hex_apdus:
        response = card.process(bytes.fromhex(apdu))
        out.append((response[:-2], int.from_bytes(response[-2:], "big")))
    return out


def sws(card: SimulatedCard, *hex_apdus: str) -> list[int]:
    return [sw for _, sw in run(card, *hex_apdus)]


def fresh(**options: object) -> SimulatedCard:
    card = SimulatedCard.from_person(KOKUTOU, **options)
    card.power_on()
    return card


def test_atr_and_unpowered_card() -> None:
    card = SimulatedCard.from_person(KOKUTOU)
    assert card.atr == ATR == bytes.fromhex("3B E0 00 FF 81 31 FE 45 14")
    assert sws(card, SELECT_TEXT) == [0x6F00]  # nothing answers before power-on
    card.power_on()
    assert sws(card, SELECT_TEXT) == [0x9000]


def test_select_rules() -> None:
    card = fresh()
    assert sws(card, "00 A4 00 00") == [0x6A86]  # straight after reset (measured)
    assert sws(card, "00 A4 04 0C 05 A0 00 00 03 97") == [0x6A82]  # unknown AID (e.g. a PIV probe)
    # OpenSC's other drivers probe with P2 00 (FCI wanted): still "not found", never 6A86 or 9000.
    assert sws(card, "00 A4 04 00 09 A0 00 00 03 08 00 00 10 00 00", "00 A4 04 00 06 D2 76 00 01 24 01") == [
        0x6A82, 0x6A82,
    ]
    assert sws(card, "00 A4 02 0C 02 00 01") == [0x6A82]  # no EF at MF level
    for aid in ("D3921000310001010408", "D392F000260100000001", "D3921000310001010402",
                "D3921000310001010100", "D3921000310001010401"):
        assert sws(card, f"00 A4 04 0C 0A {aid}") == [0x9000]
    assert sws(card, "00 A4 00 00") == [0x9000]  # AP selected: 9000, DF unchanged
    assert card.selected_aid == bytes.fromhex("D3921000310001010401")
    assert sws(card, SELECT_TEXT, "00 A4 02 0C 02 00 99", "00 A4 02 0C 02 3F 00", "00 A4 00 00 02 3F 00") == [
        0x9000, 0x6A82, 0x6A82, 0x6A82,
    ]
    assert sws(card, "00 A4 04 00 0A D3 92 10 00 31 00 01 01 04 08", "00 A4 09 0C 02 00 01") == [0x6A86, 0x6A86]
    assert sws(card, "00 A4 04 0C 07 A0 00 00 01 51 00 00") == [0x9000]  # ISD: back to MF state
    assert card.selected_aid is None


@pytest.mark.parametrize(
    ("apdu", "sw"),
    [
        ("00 CA 00 45 00", 0x6D00),  # GET DATA: not modelled
        ("00 B2 01 0C 00", 0x6D00),  # READ RECORD
        ("00 2A 9E 9A 00", 0x6D00),  # ISO PSO in the interindustry class
        ("FF CA 00 00 00", 0x6E00),  # PC/SC pseudo-APDU reaching the card
        ("A0 A4 00 00 02 3F 00", 0x6E00),  # GSM class
        ("01 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 08", 0x6881),  # logical channel 1
        ("40 B0 00 00 00", 0x6881),  # further interindustry class: channel 4
        ("0C A4 04 0C 0A D3 92 10 00 31 00 01 01 04 08", 0x6882),  # secure messaging
        ("0C B0 00 00 00", 0x69FC),
        ("0C 20 00 80", 0x69FC),
        ("10 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 08", 0x6884),  # chaining
        ("00 A4 04 0C 0A D3 92", 0x6700),  # Lc larger than the data
        ("00 A4", 0x6700),
        ("", 0x6700),
    ],
)
def test_everything_else_is_refused(apdu: str, sw: int) -> None:
    assert sws(fresh(), apdu) == [sw]


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=300))
def test_garbage_never_raises(shared_card: SimulatedCard, raw: bytes) -> None:
    shared_card.power_on()
    response = shared_card.process(raw)
    assert len(response) >= 2
    assert response[-2:] != b"\x6f\x00"  # 6F00 would mean the engine itself failed


def test_read_binary_offset_and_le_semantics() -> None:
    card = fresh()
    assert sws(card, SELECT_TEXT, "00 A4 02 0C 02 00 08") == [0x9000, 0x9000]  # 16 x FF, free
    assert run(card, "00 B0 00 00 00") == [(b"\xff" * 16, 0x9000)]  # Le 00 = 256 -> what is there
    assert run(card, "00 B0 00 0A 04") == [(b"\xff" * 4, 0x9000)]
    assert run(card, "00 B0 00 0E 10") == [(b"\xff" * 2, 0x9000)]  # min(Le, remaining)
    assert sws(card, "00 B0 00 10 01", "00 B0 7F FF 01") == [0x6B00, 0x6B00]  # offset >= size
    assert sws(card, "00 B0 00 00", "00 B0 00 00 01 00 00") == [0x6700, 0x6700]  # no Le / has data
    assert sws(card, "00 A4 02 0C 02 00 11", "00 B0 00 00 00") == [0x9000, 0x6981]  # a key EF
    assert sws(fresh(), SELECT_TEXT, "00 B0 00 00 00") == [0x9000, 0x6986]  # no current EF


def test_sfi_read_and_verify_without_select() -> None:
    card = fresh()
    assert sws(card, SELECT_TEXT, "00 B0 81 00 00") == [0x9000, 0x6982]  # 0001 by SFI: protected
    assert sws(card, "00 20 00 91 04 31 32 33 34") == [0x9000]  # VERIFY PIN 0011 by SFI
    data, sw = run(card, "00 B0 81 03 0C")[0]  # MBE's "number by SFI, offset 3"
    assert (data, sw) == (b"537686677188", 0x9000)
    assert run(card, "00 B0 82 02 01")[0] == (b"\x65", 0x9000)  # EF 0002 length byte by SFI
    assert run(card, "00 B0 00 00 03")[0] == (bytes.fromhex("FF 20 65"), 0x9000)  # SFI made 0002 current
    assert sws(card, "00 B0 9F 00 01", "00 B0 A1 00 01") == [0x6A82, 0x6A86]


def test_access_rules_per_credential() -> None:
    def readable(card: SimulatedCard) -> dict[str, int]:
        return {fid: sws(card, f"00 A4 02 0C 02 {fid}", "00 B0 00 00 01")[1] for fid in ("0001", "0002", "0003")}

    number = KOKUTOU.my_number.encode().hex()
    code_b = KOKUTOU.code_b.encode().hex()
    card = fresh()
    run(card, SELECT_TEXT)
    assert readable(card) == {"0001": 0x6982, "0002": 0x6982, "0003": 0x6982}
    assert sws(card, f"00 20 00 94 0C {number}") == [0x9000]  # 照合番号A
    assert readable(card) == {"0001": 0x9000, "0002": 0x6982, "0003": 0x9000}
    card = fresh()
    assert sws(card, SELECT_TEXT, f"00 20 00 95 0E {code_b}") == [0x9000, 0x9000]  # 照合番号B
    assert readable(card) == {"0001": 0x6982, "0002": 0x9000, "0003": 0x9000}
    card = fresh()
    assert sws(card, SELECT_TEXT, "00 20 00 91 04 31 32 33 34") == [0x9000, 0x9000]
    assert readable(card) == {"0001": 0x9000, "0002": 0x9000, "0003": 0x9000}
    for free in ("0004", "0005"):
        assert sws(card, f"00 A4 02 0C 02 {free}", "00 B0 00 00 01")[1] == 0x9000


def test_retry_counters_and_blocked_key() -> None:
    card = fresh(code_tries=10)
    run(card, SELECT_TEXT)
    assert sws(card, "00 20 00 95") == [0x63CA]
    assert sws(card, "00 A4 02 0C 02 00 11", "00 20 00 80 04 30 30 30 30", "00 20 00 80 03 31 32 33",
               "00 20 00 80 04 31 32 33 35", "00 20 00 80", VERIFY_1234) == [
        0x9000, 0x63C2, 0x63C1, 0x63C0, 0x63C0, 0x6984,
    ]
    assert sws(card, "00 A4 02 0C 02 00 12", "00 20 00 80", VERIFY_1234) == [0x9000, 0x63C0, 0x6984]
    assert sws(card, "00 20 01 80", "00 20 00 00", "00 20 00 85") == [0x6A86, 0x6A86, 0x6A88]


def test_compare_is_exact_bytes() -> None:
    card = SimulatedCard.from_person(KOKUTOU)
    card.power_on()
    assert sws(card, SELECT_JPKI, "00 A4 02 0C 02 00 1B", "00 20 00 80 08 74 65 73 74 31 32 33 34") == [
        0x9000, 0x9000, 0x63C4,  # "test1234" is not "TEST1234": no case folding on the card
    ]


def test_security_state_cleared_on_power_off_and_df_change() -> None:
    card = fresh()
    assert sws(card, SELECT_TEXT, "00 20 00 91 04 31 32 33 34") == [0x9000, 0x9000]
    assert card.is_verified(KEY_TEXT_PIN)
    card.power_off()
    card.power_on()
    assert not card.is_verified(KEY_TEXT_PIN)
    assert sws(card, SELECT_TEXT, "00 B0 82 00 01") == [0x9000, 0x6982]
    assert sws(card, "00 20 00 91 04 31 32 33 34", SELECT_TEXT, "00 B0 82 00 01") == [0x9000, 0x9000, 0x9000]
    assert sws(card, SELECT_JPKI, SELECT_TEXT, "00 B0 82 00 01") == [0x9000, 0x9000, 0x6982]  # DF change


def test_selecting_the_isd_clears_the_security_state() -> None:
    card = fresh()
    select_isd = "00 A4 04 0C 07 A0 00 00 01 51 00 00"
    assert sws(card, SELECT_TEXT, "00 20 00 91 04 31 32 33 34") == [0x9000, 0x9000]  # PIN by SFI
    assert card.is_verified(KEY_TEXT_PIN)
    assert sws(card, select_isd) == [0x9000]
    assert not card.is_verified(KEY_TEXT_PIN)
    # Back in the text AP, the protected EF needs the PIN again.
    assert sws(card, SELECT_TEXT, "00 B0 82 00 01") == [0x9000, 0x6982]


@pytest.mark.parametrize("keep", [True, False])
def test_warm_reset_switch(keep: bool) -> None:
    card = fresh(keep_verification_on_reset=keep)
    run(card, SELECT_TEXT, "00 20 00 91 04 31 32 33 34")
    card.reset()
    assert card.selected_aid is None
    assert sws(card, SELECT_TEXT, "00 B0 82 00 01") == [0x9000, 0x9000 if keep else 0x6982]


def test_change_reference_data() -> None:
    card = fresh()
    assert sws(card, SELECT_TEXT, "00 24 01 91 04 35 36 37 38") == [0x9000, 0x6982]  # not verified yet
    assert sws(card, "00 20 00 91 04 31 32 33 34", "00 24 01 91 03 35 36 37") == [0x9000, 0x6A80]
    assert sws(card, "00 24 01 91 04 35 36 37 38", "00 20 00 91 04 35 36 37 38") == [0x9000, 0x9000]


def test_integrity_and_certificate_files_have_the_documented_shape(shared_card: SimulatedCard) -> None:
    ef0003 = shared_card.file_content(0x0003)
    assert ef0003[:5] == bytes.fromhex("FF 30 82 01 4B") and parse_tlv(ef0003).end == 336
    record = parse_integrity_ef(ef0003)
    assert record.my_number_digest == testdata.KOKUTOU_EF0001_DIGEST
    assert record.basic_info_digest == testdata.KOKUTOU_EF0002_DIGEST
    cv = shared_card.file_content(0x0004)
    assert cv[:4] == bytes.fromhex("7F 21 82 02") and parse_tlv(cv).end == 568
    body = parse_tlv(parse_tlv(cv).value).value
    exponent = parse_tlv(body, 32)
    modulus = parse_tlv(body, exponent.end).value  # 90 exponent, 91 modulus (MC)
    key = x509.load_der_x509_certificate(shared_card.file_content(0x000A, JPKI_AP_AID).rstrip(b"\0")).public_key()
    assert len(modulus) == 256 and key.key_size == 2048  # RSA-2048 like the real card
    assert shared_card.file_content(0x0001) == bytes.fromhex("FF 10 0C") + b"537686677188\xff\xff"


def test_jpki_public_certificates_and_protected_signature_certificate() -> None:
    card = fresh()
    run(card, SELECT_JPKI)
    for fid in ("000A", "000B", "0002"):
        assert sws(card, f"00 A4 02 0C 02 {fid}") == [0x9000]
        header, sw = run(card, "00 B0 00 00 04")[0]
        assert sw == 0x9000 and header[:2] == b"\x30\x82"
        size = int.from_bytes(header[2:], "big") + 4
        der = b"".join(run(card, f"00 B0 {off >> 8:02X} {off & 0xFF:02X} {min(256, size - off) & 0xFF:02X}")[0][0]
                       for off in range(0, size, 256))
        assert x509.load_der_x509_certificate(der).not_valid_after_utc.year == 2035
    assert sws(card, "00 A4 02 0C 02 00 01", "00 B0 00 00 04") == [0x9000, 0x6982]
    assert sws(card, "00 A4 02 0C 02 00 18", "00 20 00 80", "00 A4 02 0C 02 00 1B", "00 20 00 80") == [
        0x9000, 0x63C3, 0x9000, 0x63C5,
    ]
    password = KOKUTOU.sign_password.encode().hex()
    assert sws(card, f"00 20 00 80 {len(KOKUTOU.sign_password):02X} {password}") == [0x9000]
    assert sws(card, "00 A4 02 0C 02 00 01", "00 B0 00 00 04") == [0x9000, 0x9000]
    assert card.tries_left(0x001B, JPKI_AP_AID) == 5


def test_jpki_compute_signature_needs_the_pin() -> None:
    card = fresh()
    message = b"counter visit"
    digest_info = bytes.fromhex("3031300D060960864801650304020105000420") + hashlib.sha256(message).digest()
    sign = f"80 2A 00 80 {len(digest_info):02X} {digest_info.hex()} 00"
    assert sws(card, SELECT_JPKI, "00 A4 02 0C 02 00 17", sign) == [0x9000, 0x9000, 0x6982]
    assert sws(card, "00 A4 02 0C 02 00 18", VERIFY_1234, "00 A4 02 0C 02 00 17") == [0x9000] * 3
    signature, sw = run(card, sign)[0]
    assert sw == 0x9000 and len(signature) == 256
    cert = x509.load_der_x509_certificate(card.file_content(0x000A, JPKI_AP_AID).rstrip(b"\0"))
    cert.public_key().verify(signature, message, padding.PKCS1v15(), hashes.SHA256())  # raises if wrong
    assert sws(card, "80 2A 00 9A 03 01 02 03 00") == [0x6982]  # sign key by SFI: password not given


def test_transport_removal_and_reinsertion() -> None:
    card = SimulatedCard.from_person(KOKUTOU)
    transport = SimulatedTransport(card)
    assert card.powered and transport.transmit(bytes.fromhex(SELECT_TEXT)) == (b"", 0x9000)
    transport.remove_after(1)
    assert transport.transmit(bytes.fromhex("00 A4 02 0C 02 00 11"))[1] == 0x9000
    with pytest.raises(CardRemovedError):
        transport.transmit(bytes.fromhex("00 20 00 80"))
    assert not card.powered and not transport.present
    with pytest.raises(CardRemovedError):
        transport.transmit(bytes.fromhex(SELECT_TEXT))
    transport.insert()
    assert card.selected_aid is None
    assert transport.transmit(bytes.fromhex(SELECT_TEXT)) == (b"", 0x9000)


def test_code_counters_are_configurable() -> None:
    card = SimulatedCard.from_person(KOKUTOU, code_tries=3)
    assert card.tries_left(KEY_CODE_A, TEXT_AP_AID) == 3 and card.tries_left(KEY_CODE_B) == 3


def test_sfi_reads_can_be_switched_off() -> None:
    card = SimulatedCard.from_person(testdata.PERSON_KOKUTOU, sfi_supported=False)
    card.power_on()
    assert sws(card, SELECT_TEXT, "00 B0 85 00 00", "00 A4 02 0C 02 00 05", "00 B0 00 00 04") == [
        0x9000, 0x6A86, 0x9000, 0x9000,
    ]

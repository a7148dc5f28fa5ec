"""The simulated card's JPKI AP as OpenSC's jpki driver sees it, through pcscd + vpcd.

OpenSC is an independent implementation of the card protocol: if ``pkcs15-tool`` lists
and reads the certificates, the simulator's SELECT/VERIFY-query/READ BINARY behaviour
matches what real JPKI clients send (docs/mynumber-card.md §3.3).
"""
from __future__ import annotations

import threading

import pytest
from cryptography import x509

from dxdesk.cardreader.mynumber import JPKI_AP_AID
from tools.opensc import pkcs15_tool_path, run_pkcs15_tool
from dxdesk.cardreader.simcard import SimulatedCard
from dxdesk.cardreader.testdata import PERSON_KOKUTOU

pytestmark = [
    pytest.mark.pcsc,
    pytest.mark.skipif(pkcs15_tool_path() is None, reason="pkcs15-tool not installed (Debian package opensc)"),
]

READER0 = "Virtual PCD 00 00"
EF_AUTH_CERT = 0x000A
EF_SIGN_CERT = 0x0001


class RecordedCard:
    """A SimulatedCard that remembers every (command, SW) it answered, for asserting on OpenSC's traffic."""

    def __init__(self, card: SimulatedCard) -> None:
        self.card = card
        self.atr = card.atr
        self.exchanges: list[tuple[bytes, int]] = []
        self._lock = threading.Lock()

    def power_on(self) -> None:
        self.card.power_on()

    def power_off(self) -> None:
        self.card.power_off()

    def reset(self) -> None:
        self.card.reset()

    def process(self, apdu: bytes) -> bytes:
        response = self.card.process(apdu)
        with self._lock:
            self.exchanges.append((bytes(apdu), int.from_bytes(response[-2:], "big")))
        return response

    def sw_after_select(self, fid: int, command_prefix: bytes) -> list[int]:
        """SWs of commands starting with ``command_prefix`` sent while EF ``fid`` was the last selected."""
        select = bytes.fromhex("00A4020C02") + fid.to_bytes(2, "big")
        current: bytes | None = None
        found = []
        with self._lock:
            for command, sw in self.exchanges:
                if command[:5] == select[:5]:
                    current = command
                elif current == select and command.startswith(command_prefix):
                    found.append(sw)
        return found


def _der(card: SimulatedCard, fid: int) -> bytes:
    content = card.file_content(fid, JPKI_AP_AID)  # DER 30 82 hh ll ... then 00 filler
    return content[: 4 + int.from_bytes(content[2:4], "big")]


@pytest.fixture
def jpki_card(insert_card) -> RecordedCard:
    recorded = RecordedCard(SimulatedCard.from_person(PERSON_KOKUTOU))
    insert_card(recorded)
    return recorded


def test_list_certificates_shows_auth_cert_and_keeps_sign_cert_private(jpki_card: RecordedCard) -> None:
    result = run_pkcs15_tool(READER0, "--list-certificates")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count("X.509 Certificate [") == 4  # auth, sign, and both CAs (pkcs15-jpki.c)
    auth_block = out.split("X.509 Certificate [User Authentication Certificate]", 1)[1].split("X.509", 1)[0]
    assert "Path           : 000a" in auth_block and "Encoded serial" in auth_block  # read and parsed
    sign_block = out.split("X.509 Certificate [Digital Signature Certificate]", 1)[1].split("X.509", 1)[0]
    assert "private" in sign_block and "Encoded serial" not in sign_block  # listed, but never read
    # What the card saw: the auth cert was read in full, the sign cert refused with 6982.
    assert set(jpki_card.sw_after_select(EF_AUTH_CERT, b"\x00\xb0")) == {0x9000}
    assert jpki_card.sw_after_select(EF_SIGN_CERT, b"\x00\xb0") == [0x6982]
    # The GET_INFO queries OpenSC needs (63Cx, §3.3) spent nothing.
    assert jpki_card.card.tries_left(0x0018, JPKI_AP_AID) == 3
    assert jpki_card.card.tries_left(0x001B, JPKI_AP_AID) == 5


def test_read_certificate_1_is_the_simulated_auth_certificate(jpki_card: RecordedCard) -> None:
    result = run_pkcs15_tool(READER0, "--read-certificate", "1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("-----BEGIN CERTIFICATE-----")
    from_opensc = x509.load_pem_x509_certificate(result.stdout.encode("ascii"))
    expected = x509.load_der_x509_certificate(_der(jpki_card.card, EF_AUTH_CERT))
    assert from_opensc == expected
    # 4-byte header read, then the whole DER in 256-byte chunks (Le 00), as OpenSC's driver does.
    reads = [c for c, _ in jpki_card.exchanges if c[:2] == b"\x00\xb0"]
    assert reads[0] == bytes.fromhex("00 B0 00 00 04")
    assert all(c[4] == 0x00 for c in reads[1:-1])


def test_sign_certificate_is_not_readable_without_the_password(jpki_card: RecordedCard) -> None:
    result = run_pkcs15_tool(READER0, "--read-certificate", "2")
    assert result.returncode != 0
    assert "BEGIN CERTIFICATE" not in result.stdout
    assert jpki_card.sw_after_select(EF_SIGN_CERT, b"\x00\xb0") == [0x6982]
    assert jpki_card.card.tries_left(0x001B, JPKI_AP_AID) == 5


def test_other_drivers_probing_does_not_claim_the_card(jpki_card: RecordedCard) -> None:
    """Without OPENSC_DRIVER, every driver before jpki probes with its own AIDs; all must be refused."""
    result = run_pkcs15_tool(READER0, "--list-certificates", driver=None)
    assert result.returncode == 0, result.stderr
    assert "User Authentication Certificate" in result.stdout
    foreign_selects = [
        sw for c, sw in jpki_card.exchanges if c[:3] == b"\x00\xa4\x04" and c[5 : 5 + c[4]] != JPKI_AP_AID
    ]
    assert foreign_selects and 0x9000 not in foreign_selects
    assert set(foreign_selects) == {0x6A82}

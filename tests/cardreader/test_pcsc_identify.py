"""`dxdesk card status` / `card identify` through pcscd and vpcd for cards whose certificate or card is
valid, expiring within 3 months, or expired (issue #18), and the chip check against the simulator's PKI."""
from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from cryptography.hazmat.primitives import serialization

from dxdesk.cardreader.simcard import SimulatedCard
from dxdesk.cardreader.simfiles import throwaway_pki
from dxdesk.cardreader.simvisual import PHOTO_SIZE, validity_preset
from dxdesk.cardreader.testdata import PERSON_KOKUTOU
from dxdesk.cli import main
from dxdesk.config import load_settings, save_settings
from dxdesk.timeutil import local_today

from .conftest import ACCOUNT_PASSWORD, card_read_events

pytestmark = pytest.mark.pcsc

READER0 = "Virtual PCD 00 00"
IDENTIFY_KEYS = {"name", "address", "birth_date", "sex", "card_expiry", "card_state", "face_photo",
                 "auth_cert_not_after", "suggested_procedures"}
STATE = {"valid": "valid", "expiring": "expiring_soon", "expired": "expired"}


def _card(cert: str = "valid", card: str = "valid") -> SimulatedCard:
    last_cert_day = validity_preset(cert, local_today())
    return SimulatedCard.from_person(
        PERSON_KOKUTOU, card_expiry=validity_preset(card, local_today()),
        auth_cert_not_after=dt.datetime.combine(last_cert_day, dt.time(14, 59, 59), dt.timezone.utc))


def _run(monkeypatch, capsys, argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("validity", ["valid", "expiring", "expired"])
def test_status_json_reports_the_auth_certificate_without_a_pin(validity, insert_card, monkeypatch, capsys) -> None:
    card = _card(cert=validity)
    insert_card(card)
    code, out, _ = _run(monkeypatch, capsys, ["card", "status", "--reader", READER0, "--json"])
    status = json.loads(out)
    assert code == 0 and status["tries_left"] == 3
    assert status["auth_cert_not_after"] == validity_preset(validity, local_today()).isoformat()
    assert status["auth_cert_state"] == STATE[validity]
    assert card.tries_left() == 3  # nothing spent


@pytest.mark.parametrize("validity", ["valid", "expiring", "expired"])
def test_identify_with_code_b_reads_photo_expiry_and_suggests_renewals(
    validity, insert_card, card_accounts, monkeypatch, capsys,
) -> None:
    card = _card(cert=validity, card=validity)
    insert_card(card)
    code, out, err = _run(monkeypatch, capsys, ["card", "identify", "--as", "clerk", "--reader", READER0,
                                               "--code-b-stdin", "--json"], f"{ACCOUNT_PASSWORD}\n{card.code_b}\n")
    assert code == 0, err
    result = json.loads(out)
    assert set(result) == IDENTIFY_KEYS
    assert (result["name"], result["birth_date"], result["sex"]) == ("黒桐\u3000幹也", "1980-02-17", "male")
    assert result["face_photo"] == {"width": PHOTO_SIZE[0], "height": PHOTO_SIZE[1]}
    assert result["card_expiry"] == validity_preset(validity, local_today()).isoformat()
    assert result["card_state"] == STATE[validity]
    assert result["auth_cert_not_after"] == validity_preset(validity, local_today()).isoformat()
    expected = [] if validity == "valid" else ["denshi_shomeisho_koshin", "mynacard_koshin"]
    assert result["suggested_procedures"] == expected
    # No trust anchor is configured: the chip check says so loudly instead of passing.
    assert "WARNING: chip signature check untrusted" in err
    [event] = card_read_events()
    assert (event.result, event.items) == ("success", ("basic4", "pinless", "face_photo"))
    assert event.details["chip"] == "untrusted" and card.code_b not in json.dumps(event.details)


def test_identify_with_pin_reports_the_certificate_but_no_photo(insert_card, card_accounts, monkeypatch, capsys) -> None:
    insert_card(_card(cert="expired"))
    code, out, err = _run(monkeypatch, capsys, ["card", "identify", "--as", "clerk", "--reader", READER0,
                                               "--pin-stdin", "--json"], f"{ACCOUNT_PASSWORD}\n1234\n")
    assert code == 0, err
    result = json.loads(out)
    assert set(result) == IDENTIFY_KEYS
    assert (result["face_photo"], result["card_expiry"], result["card_state"]) == (None, None, None)
    assert result["suggested_procedures"] == ["denshi_shomeisho_koshin"]
    [event] = card_read_events()
    assert event.items == ("basic4",)


def _trust(pem: bytes, tmp_path) -> None:
    anchor = tmp_path / "anchor.pem"
    anchor.write_bytes(pem)
    settings = load_settings()
    settings.card.chip_trust_anchor = str(anchor)
    save_settings(settings)


@pytest.mark.parametrize("anchor, chip, warning", [
    ("cv_ca_key", "verified", ""),
    ("auth_ca_key", "failed", "WARNING: chip signature check failed: EF 0004 certificate is not signed by a "
                               "configured trust anchor"),
])
def test_chip_check_against_a_configured_anchor(anchor, chip, warning, insert_card, card_accounts, monkeypatch,
                                                capsys, tmp_path) -> None:
    """The simulator's own CV issuer verifies; any other key fails loudly (stderr, audit), never passes."""
    _trust(getattr(throwaway_pki(), anchor).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo), tmp_path)
    card = _card()
    insert_card(card)
    code, out, err = _run(monkeypatch, capsys, ["card", "identify", "--as", "clerk", "--reader", READER0,
                                               "--code-b-stdin"], f"{ACCOUNT_PASSWORD}\n{card.code_b}\n")
    assert code == 0 and "face_photo:" in out and "'width': 150" in out
    assert (warning in err) if warning else ("WARNING" not in err)
    [event] = card_read_events()
    assert event.details["chip"] == chip


def test_identity_bench_through_pcscd(pcscd_service, capsys) -> None:
    from tools.bench.identity import PARTS, bench_identity

    assert bench_identity(3) == 0
    out = capsys.readouterr().out
    print(out)  # the numbers of docs/performance.md (pytest -s shows them)
    assert all(part in out for part in PARTS) and "goal for photo + expiry" in out

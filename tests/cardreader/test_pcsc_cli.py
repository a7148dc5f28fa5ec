"""`dxdesk card ...` end to end through the real stack, plus the read benchmark."""
from __future__ import annotations

import pytest

from dxdesk.cardreader import cli as card_cli
from dxdesk.cardreader import service as card_service
from dxdesk.cardreader.apdu import RecordingTransport
from tools.bench.__main__ import main as bench_main
from tools.bench.card import APDU_TARGET, apdu_profile, bench_card_read, classify, read_flow
from tools.opensc import pkcs15_tool_path
from dxdesk.cardreader.simcard import SimulatedCard, SimulatedTransport
from dxdesk.cardreader.testdata import PERSON_KOKUTOU
from dxdesk.cli import main

from .conftest import card_read_events

READER0 = "Virtual PCD 00 00"
PIN_PROMPT = "Card PIN (4 digits, 3 tries left; empty to cancel): "
REASON = "転入届の本人確認"


class FakePrompts:
    """Answers getpass: the account password for "Password for ..." prompts, else the card PIN."""

    def __init__(self, password: str, pin: str = "1234") -> None:
        self.password, self.pin = password, pin
        self.prompts: list[str] = []

    def __call__(self, prompt: str = "") -> str:
        self.prompts.append(prompt)
        return self.password if prompt.startswith("Password for ") else self.pin


@pytest.fixture
def prompts(card_accounts, monkeypatch) -> FakePrompts:
    fake = FakePrompts(card_accounts["password"])
    monkeypatch.setattr(card_cli.getpass, "getpass", fake)
    return fake


@pytest.fixture
def demo_card_only(monkeypatch) -> None:
    """Training mode's card service with no PC/SC readers at all: the built-in fictional card answers."""
    real = card_service.CardService

    def without_readers(*args, **kwargs):
        return real(*args, list_reader_infos=lambda: [], training=True, **kwargs)

    monkeypatch.setattr(card_service, "CardService", without_readers)


def test_read_needs_a_signed_in_account(prompts, capsys) -> None:
    assert main(["card", "read"]) == 2
    assert "needs --as LOGIN" in capsys.readouterr().err
    assert prompts.prompts == []  # neither a password nor a PIN was asked


def test_my_number_needs_a_reason_before_any_prompt(prompts, capsys) -> None:
    assert main(["card", "read", "--as", "clerk", "--my-number"]) == 2
    assert "--reason" in capsys.readouterr().err
    assert prompts.prompts == []


def test_role_without_card_permission_is_refused_and_audited(prompts, demo_card_only, capsys) -> None:
    assert main(["card", "read", "--as", "vol"]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("dxdesk: ") and "黒桐" not in captured.out
    assert prompts.prompts == ["Password for vol: "]  # refused before the card is asked for a PIN
    [event] = card_read_events()
    assert (event.result, event.items) == ("denied", ("basic4",))


def test_read_as_clerk_is_audited_with_items_and_reason(prompts, demo_card_only, capsys) -> None:
    args = ["card", "read", "--as", "clerk", "--my-number", "--jimu-type", "juminhyo", "--reason", REASON]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "TRAINING" in out and "黒桐\u3000幹也" in out and "**** **** 7188" in out and "537686677188" not in out
    assert prompts.prompts == ["Password for clerk: ", PIN_PROMPT]
    [event] = card_read_events()
    assert (event.event_type, event.result, event.items) == ("card.read", "success", ("basic4", "my_number"))
    assert (event.jimu_type, event.reason) == ("住民票関係", REASON)
    assert event.details == {"via": "cli", "method": "pin", "simulated": True}
    assert event.actor and event.hash.startswith("h1:")


def test_failed_read_is_audited_without_card_data(card_accounts, demo_card_only, monkeypatch, capsys) -> None:
    monkeypatch.setattr(card_cli.getpass, "getpass", FakePrompts(card_accounts["password"], pin="0000"))
    assert main(["card", "read", "--as", "clerk"]) == 2
    assert "Wrong PIN" in capsys.readouterr().err
    [event] = card_read_events()
    assert (event.result, event.items, event.reason) == ("failure", ("basic4",), "")
    assert event.details["error"] and "0000" not in str(event.details)


def test_pin_cannot_be_given_on_the_command_line(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["card", "read", "--pin", "1234"])
    assert "unrecognized arguments" in capsys.readouterr().err


def test_sim_rejects_bad_options(capsys) -> None:
    assert main(["card", "sim", "--person", "nobody"]) == 2
    assert "choose one of" in capsys.readouterr().err
    assert main(["card", "sim", "--pin", "12a4"]) == 2
    assert main(["card", "sim", "--tries", "7"]) == 2


def test_bench_opensc_needs_pcsc(capsys) -> None:
    assert bench_main(["card", "--opensc"]) == 2
    assert "--opensc needs --pcsc" in capsys.readouterr().err


def test_bench_in_process_reports_mean_and_p95(capsys) -> None:
    result = bench_card_read(3, pcsc=False)
    stats = result["in_process"]
    assert stats["n"] == 3 and 0 < stats["min_ms"] <= stats["mean_ms"]
    assert stats["p95_ms"] >= stats["min_ms"]
    assert result["dxdesk_only"]["integrity on"]["n"] == 30
    out = capsys.readouterr().out
    assert "mean" in out and "8 APDUs" in out


def test_bench_apdu_profile_per_phase() -> None:
    """Status + four items + number: 6 APDUs, 8 with the integrity record (target: at most 8)."""
    on, off = apdu_profile(), apdu_profile(check_integrity=False)
    assert dict(off) == {"status": 3, "VERIFY": 1, "EF 0001 number": 1, "EF 0002 four items": 1}
    assert dict(on) == {**off, "EF 0003 integrity": 2}
    assert sum(on.values()) <= APDU_TARGET


def test_bench_classifies_select_based_reads_too() -> None:
    recorder = RecordingTransport(SimulatedTransport(SimulatedCard.from_person(PERSON_KOKUTOU, sfi_supported=False)))
    read_flow(recorder, PERSON_KOKUTOU.pin)
    counts = classify(recorder.commands)
    # The refused SFI read counts for EF 0001; then SELECT + 1 read, SELECT + header + rest, SELECT + 3 reads.
    assert counts["EF 0001 number"] == 3 and counts["EF 0002 four items"] == 3
    assert counts["EF 0003 integrity"] == 4 and "other" not in counts


@pytest.mark.pcsc
def test_readers_status_and_read_through_pcscd(insert_card, prompts, capsys) -> None:
    insert_card(SimulatedCard.from_person(PERSON_KOKUTOU))

    assert main(["card", "readers"]) == 0
    out = capsys.readouterr().out
    assert f"{READER0}: card present, ATR 3B E0 00 FF 81 31 FE 45 14" in out

    assert main(["card", "status", "--reader", READER0]) == 0
    out = capsys.readouterr().out
    assert "card:    present" in out and "PIN tries left: 3" in out

    assert prompts.prompts == []  # readers and status show no personal data: no sign-in

    assert main(["card", "read", "--as", "clerk", "--my-number", "--reason", REASON, "--reader", READER0]) == 0
    out = capsys.readouterr().out
    assert "黒桐\u3000幹也" in out and "1980-02-17" in out
    assert "**** **** 7188" in out and "537686677188" not in out
    assert prompts.prompts == ["Password for clerk: ", PIN_PROMPT]
    [event] = card_read_events()
    assert (event.items, event.reason, event.details["simulated"]) == (("basic4", "my_number"), REASON, False)


@pytest.mark.pcsc
def test_cli_read_errors_are_one_line(insert_card, card_accounts, monkeypatch, capsys) -> None:
    insert_card(SimulatedCard.from_person(PERSON_KOKUTOU))
    monkeypatch.setattr(card_cli.getpass, "getpass", FakePrompts(card_accounts["password"], pin="0000"))
    assert main(["card", "read", "--as", "clerk", "--reader", READER0]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "dxdesk: Wrong PIN (4 digits); 2 tries left."


@pytest.mark.pcsc
def test_bench_through_pcscd(pcscd_service, card_state, capsys) -> None:
    has_opensc = pkcs15_tool_path() is not None  # installed by scripts/bootstrap.sh
    result = bench_card_read(5, pcsc=True, opensc=has_opensc)
    pcsc = result["pcsc"]
    assert isinstance(pcsc, dict), pcsc
    for label, apdus in (("integrity on", 8), ("integrity off", 6)):
        stats = pcsc[label]
        assert stats["n"] == 5 and stats["apdus"] == apdus
        assert stats["card_apdus"] == apdus  # the card saw exactly what the client counted
        assert 0 < stats["exchange_ms"] < stats["mean_ms"]
    if has_opensc:
        opensc = pcsc["opensc"]
        assert isinstance(opensc, dict), opensc
        assert opensc["apdus"] == 11  # select AP, 2 x (select PIN EF + query), select 000A, 4-byte header, 4 chunks
        assert "pkcs15-tool --read-certificate 1" in capsys.readouterr().out
    card_state(READER0, present=False)  # the bench pulled its card out again

"""`dxdesk card ...` end to end through the real stack, plus the read benchmark."""
from __future__ import annotations

import pytest

from dxdesk.cardreader import cli as card_cli
from dxdesk.cardreader.bench import bench_card_read
from dxdesk.cardreader.simcard import SimulatedCard
from dxdesk.cardreader.testdata import PERSON_KOKUTOU
from dxdesk.cli import main

READER0 = "Virtual PCD 00 00"


def test_pin_cannot_be_given_on_the_command_line(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["card", "read", "--pin", "1234"])
    assert "unrecognized arguments" in capsys.readouterr().err


def test_sim_rejects_bad_options(capsys) -> None:
    assert main(["card", "sim", "--person", "nobody"]) == 2
    assert "choose one of" in capsys.readouterr().err
    assert main(["card", "sim", "--pin", "12a4"]) == 2
    assert main(["card", "sim", "--tries", "7"]) == 2


def test_bench_in_process_reports_mean_and_p95(capsys) -> None:
    result = bench_card_read(3, pcsc=False)
    stats = result["in_process"]
    assert stats["n"] == 3 and 0 < stats["min_ms"] <= stats["mean_ms"]
    assert stats["p95_ms"] >= stats["min_ms"]
    assert "mean" in capsys.readouterr().out


@pytest.mark.pcsc
def test_readers_status_and_read_through_pcscd(insert_card, monkeypatch, capsys) -> None:
    insert_card(SimulatedCard.from_person(PERSON_KOKUTOU))
    prompts: list[str] = []

    def fake_getpass(prompt: str) -> str:
        prompts.append(prompt)
        return "1234"

    monkeypatch.setattr(card_cli.getpass, "getpass", fake_getpass)

    assert main(["card", "readers"]) == 0
    out = capsys.readouterr().out
    assert f"{READER0}: card present, ATR 3B E0 00 FF 81 31 FE 45 14" in out

    assert main(["card", "status", "--reader", READER0]) == 0
    out = capsys.readouterr().out
    assert "card:    present" in out and "PIN tries left: 3" in out

    assert main(["card", "read", "--my-number", "--reader", READER0]) == 0
    out = capsys.readouterr().out
    assert "黒桐\u3000幹也" in out and "1980-02-17" in out
    assert "**** **** 7188" in out and "537686677188" not in out
    assert prompts == ["Card PIN (4 digits, 3 tries left; empty to cancel): "]


@pytest.mark.pcsc
def test_cli_read_errors_are_one_line(insert_card, monkeypatch, capsys) -> None:
    insert_card(SimulatedCard.from_person(PERSON_KOKUTOU))
    monkeypatch.setattr(card_cli.getpass, "getpass", lambda prompt: "0000")
    assert main(["card", "read", "--reader", READER0]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "dxdesk: Wrong PIN (4 digits); 2 tries left."


@pytest.mark.pcsc
def test_bench_through_pcscd(pcscd_service, card_state) -> None:
    result = bench_card_read(5, pcsc=True)
    assert isinstance(result["pcsc"], dict), result["pcsc"]
    assert result["pcsc"]["n"] == 5
    card_state(READER0, present=False)  # the bench pulled its card out again

"""`dxdesk card ... --json` as a kiosk front end or an RPA robot reads it: through pcscd and vpcd.

Standard input carries the account password and then the PIN (or 照合番号B), exactly as a front
end writes them; stdout must be one JSON document, success or error.
"""
from __future__ import annotations

import io
import json

import pytest

from dxdesk.cardreader.simcard import SimulatedCard
from dxdesk.cardreader.testdata import PERSON_KOKUTOU
from dxdesk.cli import main

from .conftest import ACCOUNT_PASSWORD, card_read_events

pytestmark = pytest.mark.pcsc

READER0 = "Virtual PCD 00 00"
REASON = "転入届の本人確認"
HOLDER_KEYS = {"name", "name_family", "name_given", "address", "birth_date", "sex", "my_number", "reader"}


def run_json(monkeypatch, capsys, args: list[str], stdin: str = "") -> tuple[int, dict]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main([*args, "--json"])
    out = capsys.readouterr().out
    [line] = out.splitlines()  # one document, nothing else on stdout
    return code, json.loads(line)


def read_args(*extra: str, route: str = "--pin-stdin") -> list[str]:
    return ["card", "read", "--as", "clerk", "--reader", READER0, route, *extra]


def test_readers_and_status(insert_card, card_accounts, monkeypatch, capsys) -> None:
    insert_card(SimulatedCard.from_person(PERSON_KOKUTOU))
    code, doc = run_json(monkeypatch, capsys, ["card", "readers"])
    assert code == 0 and doc["count"] == len(doc["readers"])
    [reader0] = [r for r in doc["readers"] if r["name"] == READER0]
    assert reader0["card_present"] is True and reader0["atr"].startswith("3BE000FF8131FE45")

    code, doc = run_json(monkeypatch, capsys, ["card", "status", "--reader", READER0])
    assert code == 0
    assert (doc["reader"], doc["card_present"], doc["tries_left"], doc["simulated"]) == (READER0, True, 3, False)


def test_read_returns_the_contract_keys_and_the_number_for_a_clerk_with_a_reason(
        insert_card, card_accounts, monkeypatch, capsys) -> None:
    insert_card(SimulatedCard.from_person(PERSON_KOKUTOU))
    code, doc = run_json(monkeypatch, capsys, read_args("--my-number", "--reason", REASON),
                         f"{ACCOUNT_PASSWORD}\n1234\n")
    assert code == 0 and set(doc) == HOLDER_KEYS
    assert doc == {"name": "黒桐\u3000幹也", "name_family": "黒桐", "name_given": "幹也",
                   "address": "東京都清瀬市観布子南１２－７－２０２", "birth_date": "1980-02-17", "sex": "male",
                   "my_number": "537686677188", "reader": READER0}
    [event] = card_read_events()
    assert event.items == ("basic4", "my_number") and event.reason == REASON
    assert event.details["my_number_shown"] == "whole" and event.details["output"] == "json"


def test_read_without_the_number_leaves_it_null(insert_card, card_accounts, monkeypatch, capsys) -> None:
    insert_card(SimulatedCard.from_person(PERSON_KOKUTOU))
    code, doc = run_json(monkeypatch, capsys, read_args(), f"{ACCOUNT_PASSWORD}\n1234\n")
    assert code == 0 and doc["my_number"] is None and doc["name_given"] == "幹也"
    assert "my_number_shown" not in card_read_events()[0].details


def test_wrong_pin_is_an_error_object_with_tries_left(insert_card, card_accounts, monkeypatch, capsys) -> None:
    insert_card(SimulatedCard.from_person(PERSON_KOKUTOU))
    code, doc = run_json(monkeypatch, capsys, read_args(), f"{ACCOUNT_PASSWORD}\n0000\n")
    assert code == 2
    assert doc == {"error": "wrong_pin", "message": "Wrong PIN (4 digits); 2 tries left.", "tries_left": 2}
    assert card_read_events()[0].result == "failure"


def test_blocked_card_is_an_error_object_with_no_tries(insert_card, card_accounts, monkeypatch, capsys) -> None:
    insert_card(SimulatedCard.from_person(PERSON_KOKUTOU, pin_tries_left=0))
    code, doc = run_json(monkeypatch, capsys, read_args(), f"{ACCOUNT_PASSWORD}\n1234\n")
    assert code == 2 and (doc["error"], doc["tries_left"]) == ("pin_blocked", 0)
    assert "blocked" in doc["message"]


def test_one_try_left_is_refused_before_the_pin(insert_card, card_accounts, monkeypatch, capsys) -> None:
    insert_card(SimulatedCard.from_person(PERSON_KOKUTOU, pin_tries_left=1))
    code, doc = run_json(monkeypatch, capsys, read_args(), f"{ACCOUNT_PASSWORD}\n1234\n")
    assert code == 2 and (doc["error"], doc["tries_left"]) == ("low_tries", 1)


def test_code_b_route_reads_the_four_items(insert_card, card_accounts, monkeypatch, capsys) -> None:
    insert_card(SimulatedCard.from_person(PERSON_KOKUTOU, pin_tries_left=0))  # PIN blocked: the reason for route B
    code, doc = run_json(monkeypatch, capsys, read_args(route="--code-b-stdin"),
                         f"{ACCOUNT_PASSWORD}\n{PERSON_KOKUTOU.code_b}\n")
    assert code == 0 and doc["name"] == "黒桐\u3000幹也" and doc["my_number"] is None
    assert card_read_events()[0].details["method"] == "code_b"

    code, doc = run_json(monkeypatch, capsys, read_args(route="--code-b-stdin"), f"{ACCOUNT_PASSWORD}\n12345\n")
    assert code == 2 and doc["error"] == "invalid_pin_format" and "14" in doc["message"]

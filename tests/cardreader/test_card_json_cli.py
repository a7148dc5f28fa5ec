"""`dxdesk card read --json` refusals that happen before any card is touched, and the error object's shape."""
from __future__ import annotations

import io
import json

from dxdesk.cardreader.errors import PinBlockedError, WrongPinError
from dxdesk.cli import UserError, main
from dxdesk.jsonout import error_document


def test_error_document_shapes() -> None:
    assert error_document(WrongPinError(1)) == {
        "error": "wrong_pin", "message": "Wrong PIN (4 digits); 1 tries left.", "tries_left": 1}
    assert error_document(PinBlockedError())["tries_left"] == 0
    assert error_document(UserError("give --as"))["error"] == "invalid_request"


def test_refusals_before_sign_in_are_error_objects(card_accounts, monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    for args, needle in ((["--code-b-stdin", "--my-number", "--reason", "x"], "four basic items"),
                         (["--code-b-stdin", "--pin-stdin"], "two different routes"),
                         (["--pin-stdin"], "--as LOGIN")):
        assert main(["card", "read", *args, "--json"]) == 2
        captured = capsys.readouterr()
        doc = json.loads(captured.out)
        assert doc["error"] == "invalid_request" and needle in doc["message"] and doc["tries_left"] is None
        assert captured.err == ""

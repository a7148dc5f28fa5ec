"""Card errors: bilingual, English str(), no card data, and the one status-word mapping."""
from __future__ import annotations

import pytest

from dxdesk.cardreader import errors
from dxdesk.cardreader.errors import Credential, error_for_status

SIMPLE = [
    errors.NoReaderError, errors.NoCardError, errors.NotMyNumberCardError, errors.CardRemovedError,
    errors.ReaderBusyError, errors.ReaderUnavailableError, errors.SecurityStatusError, errors.IntegrityError,
    errors.CardDataError,
]


@pytest.mark.parametrize(
    "exc",
    [cls() for cls in SIMPLE]
    + [
        errors.WrongPinError(2), errors.WrongPinError(1, Credential.CODE_B), errors.PinBlockedError(),
        errors.LowTriesError(1), errors.UnexpectedStatusError(0x6A86, "SELECT EF 0002"),
        *[errors.InvalidPinFormatError(c) for c in Credential],
    ],
    ids=lambda e: type(e).__name__,
)
def test_messages_are_bilingual_and_str_is_english(exc: errors.CardError) -> None:
    assert isinstance(exc, errors.CardError)
    assert str(exc) == exc.message.en and exc.message.ja and exc.message.en
    assert exc.message.ja != exc.message.en
    assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in exc.message.ja)


def test_last_try_warning_and_blocked_advice() -> None:
    assert "あと1回間違えるとロック" in errors.WrongPinError(1).message.ja
    assert "照合番号B" in errors.PinBlockedError().message.ja
    assert "暗証番号" in errors.PinBlockedError(Credential.CODE_B).message.ja.split("。")[1]


@pytest.mark.parametrize(
    ("sw", "command", "credential", "expected", "attrs"),
    [
        (0x6982, "READ BINARY", None, errors.SecurityStatusError, {}),
        (0x6984, "VERIFY", Credential.TEXT_PIN, errors.PinBlockedError, {}),
        (0x6983, "VERIFY", Credential.CODE_B, errors.PinBlockedError, {"credential": Credential.CODE_B}),
        (0x63C2, "VERIFY", Credential.TEXT_PIN, errors.WrongPinError, {"tries_left": 2}),
        (0x63C0, "VERIFY", Credential.TEXT_PIN, errors.PinBlockedError, {}),
        (0x6A82, "SELECT AP", None, errors.NotMyNumberCardError, {}),
        (0x6A82, "SELECT EF 0002", None, errors.UnexpectedStatusError, {"sw": 0x6A82}),
        (0x63C2, "READ BINARY", None, errors.UnexpectedStatusError, {"command_name": "READ BINARY"}),
    ],
)
def test_status_mapping(sw, command, credential, expected, attrs) -> None:
    exc = error_for_status(sw, command, credential)
    assert type(exc) is expected
    for name, value in attrs.items():
        assert getattr(exc, name) == value

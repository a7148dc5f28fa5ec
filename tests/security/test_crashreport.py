from __future__ import annotations

import sys
from dataclasses import dataclass

from dxdesk.cardreader.errors import CardError
from dxdesk.security.crashreport import safe_crash_report

NUMBER = "123456789018"


@dataclass
class CardHolder:
    name: str
    address: str
    my_number: str


def _holder() -> CardHolder:
    return CardHolder("山田 太郎", "東京都千代田区千代田1-1", NUMBER)


def _report(func) -> str:
    try:
        func()
    except BaseException:
        return safe_crash_report(*sys.exc_info())
    raise AssertionError("did not raise")


def _assert_clean(text: str) -> None:
    for secret in (NUMBER, "1234 5678 9018", "山田", "千代田区", "CardHolder("):
        assert secret not in text, secret


def test_locals_and_message_data_do_not_leak():
    def process_card():
        holder = _holder()
        number = holder.my_number  # noqa: F841 - a local that must not appear
        raise ValueError(f"cannot parse {NUMBER} for visit")

    text = _report(process_card)
    _assert_clean(text)
    assert "process_card" in text and "test_crashreport.py" in text and "line " in text
    assert "builtins.ValueError: cannot parse [REDACTED] for visit" in text


def test_card_error_messages_are_dropped_entirely():
    def read_card():
        holder = _holder()  # noqa: F841
        raise CardError()

    text = _report(read_card)
    _assert_clean(text)
    assert "CardError: [message withheld: card error]" in text
    assert CardError().message.en not in text


def test_chained_exceptions_keep_frames_and_stay_clean():
    def inner():
        holder = _holder()
        raise KeyError(holder.name)

    def outer():
        try:
            inner()
        except KeyError as exc:
            raise RuntimeError(f"lookup failed for {NUMBER}") from exc

    text = _report(outer)
    assert "inner" in text and "outer" in text and "led to the following" in text
    assert text.index("KeyError") < text.index("RuntimeError")  # the cause is printed first, like Python does
    # A name cannot be recognised by a regex; a KeyError's message is its key, so it is withheld entirely.
    assert "KeyError: [message withheld: lookup key]" in text
    assert "RuntimeError: lookup failed for [REDACTED]" in text
    _assert_clean(text)


def test_dates_in_error_messages_are_withheld():
    import sys

    from dxdesk.security.crashreport import safe_crash_report

    try:
        raise ValueError("Invalid isoformat string: '1980-02-17' (also 19800217, 1980/2/17)")
    except ValueError:
        text = safe_crash_report(*sys.exc_info())
    for birth in ("1980-02-17", "19800217", "1980/2/17"):
        assert birth not in text
    assert "Invalid isoformat string" in text


def test_purge_scheduler_can_start_again_after_stop():
    from datetime import timedelta

    from dxdesk.security.purgeschedule import PurgeScheduler

    class Never:
        clock = staticmethod(lambda: None)

        def last_purge(self):
            raise RuntimeError("database closed")  # the loop logs and waits; we only test the thread life

    scheduler = PurgeScheduler(Never(), interval=timedelta(days=1))
    scheduler.start()
    scheduler.stop(timeout=5)
    scheduler.start()
    assert scheduler._thread is not None and scheduler._thread.is_alive()
    scheduler.stop(timeout=5)
    assert scheduler._thread is None

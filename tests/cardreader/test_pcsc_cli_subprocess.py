"""The real commands as a clerk's script would run them: `dxdesk card sim` and `dxdesk card read` as processes.

Everything between them is real: the sim process connects to vpcd, pcscd reports the
card, the read process talks PC/SC. The account password and then the PIN go in through ``--pin-stdin``, never argv.
"""
from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dxdesk.paths import app_paths

from .conftest import ACCOUNT_PASSWORD, CLERK_LOGIN, card_read_events

pytestmark = pytest.mark.pcsc

READER0 = "Virtual PCD 00 00"
_TIMEOUT_S = 30.0
AS_CLERK = ("--as", CLERK_LOGIN)
REASON = ("--reason", "転入届の本人確認")


def pin_input(pin: str = "1234") -> str:
    """What a kiosk front end writes to `card read --pin-stdin`: the account password, then the PIN."""
    return f"{ACCOUNT_PASSWORD}\n{pin}\n"


def _dxdesk_command() -> list[str]:
    # The console script installed with the package is the command a user runs.
    script = Path(sys.executable).with_name("dxdesk")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dxdesk"]


class SimProcess:
    """`dxdesk card sim ...` in the background; its stdout lines arrive on a queue."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [*_dxdesk_command(), "card", "sim", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._drain, name="sim-stdout", daemon=True).start()

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line.rstrip("\n"))
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)  # EOF

    def wait_for_line(self, start: str) -> str:
        while True:
            try:
                line = self.lines.get(timeout=_TIMEOUT_S)
            except queue.Empty:
                pytest.fail(f"`dxdesk card sim` printed no {start!r} line; output so far: {self.output}")
            if line is None:
                stderr = self.proc.stderr.read() if self.proc.stderr else ""
                pytest.fail(f"`dxdesk card sim` ended before {start!r}: {self.output} {stderr}")
            if line.startswith(start):
                return line

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # the sim removes its card cleanly on SIGTERM
        return self.proc.wait(_TIMEOUT_S)


@pytest.fixture
def sim(pcscd_service, card_state, card_accounts) -> Iterator[Callable[..., SimProcess]]:
    started: list[SimProcess] = []

    def start(*args: str) -> SimProcess:
        process = SimProcess(*args)
        started.append(process)
        process.wait_for_line("card inserted")
        card_state(READER0, present=True)
        return process

    yield start
    for process in started:
        process.stop()
        card_state(READER0, present=False)


def dxdesk(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_dxdesk_command(), *args], input=stdin, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dxdesk: "), result.stderr
    for needle in needles:
        assert needle in lines[0]


def assert_secrets_nowhere(*texts: str) -> None:
    log_file = app_paths().log_file
    logged = log_file.read_text(encoding="utf-8") if log_file.exists() else ""
    for text in (*texts, logged):
        assert "537686677188" not in text  # the fictional My Number, shown masked only
    assert "1234" not in logged


def test_sim_then_read_with_the_pin_on_stdin(sim) -> None:
    sim()
    result = dxdesk("card", "read", *AS_CLERK, "--reader", READER0, "--my-number", *REASON, "--pin-stdin",
                    stdin=pin_input())
    assert result.returncode == 0, result.stderr
    assert f"reader:  {READER0}" in result.stdout
    assert "黒桐\u3000幹也" in result.stdout and "1980-02-17" in result.stdout
    assert "My Number:  **** **** 7188" in result.stdout
    assert result.stderr == ""
    assert_secrets_nowhere(result.stdout, result.stderr)
    [event] = card_read_events()
    assert (event.result, event.items, event.reason) == ("success", ("basic4", "my_number"), REASON[1])
    assert ACCOUNT_PASSWORD not in app_paths().log_file.read_text(encoding="utf-8")


def test_read_without_an_account_is_refused_before_the_card(sim) -> None:
    sim()
    result = dxdesk("card", "read", "--reader", READER0, "--pin-stdin", stdin=pin_input())
    assert_one_line_error(result, "--as LOGIN")
    wrong = dxdesk("card", "read", *AS_CLERK, "--reader", READER0, "--pin-stdin", stdin=pin_input().upper())
    assert_one_line_error(wrong)
    assert "黒桐" not in result.stdout + wrong.stdout
    status = dxdesk("card", "status", "--reader", READER0)
    assert "PIN tries left: 3" in status.stdout  # no PIN was tried
    assert card_read_events() == []


def test_wrong_pin_then_status_shows_the_spent_try(sim) -> None:
    sim()
    result = dxdesk("card", "read", *AS_CLERK, "--reader", READER0, "--pin-stdin", stdin=pin_input("0000"))
    assert_one_line_error(result, "Wrong PIN", "2 tries left")
    status = dxdesk("card", "status", "--reader", READER0)
    assert status.returncode == 0 and "PIN tries left: 2" in status.stdout


def test_card_pulled_mid_read(sim) -> None:
    # 4 APDUs = SELECT AP, SELECT PIN EF, query, VERIFY: the card goes right after the PIN was accepted.
    process = sim("--remove-after", "4")
    result = dxdesk("card", "read", *AS_CLERK, "--reader", READER0, "--my-number", *REASON, "--pin-stdin",
                    stdin=pin_input())
    assert_one_line_error(result, "removed")
    assert "黒桐" not in result.stdout
    process.wait_for_line("card removed (removed after 4 APDUs")
    assert process.proc.wait(_TIMEOUT_S) == 0  # the sim ends by itself once its card is out
    assert_secrets_nowhere(result.stdout, result.stderr)


def test_blocked_card_is_refused_without_asking_for_the_pin(sim) -> None:
    sim("--tries", "0")
    result = dxdesk("card", "read", *AS_CLERK, "--reader", READER0, "--pin-stdin", stdin=pin_input())
    assert_one_line_error(result, "blocked")
    status = dxdesk("card", "status", "--reader", READER0)
    assert "PIN tries left: 0" in status.stdout


def test_empty_stdin_cancels_the_read(sim) -> None:
    sim()
    result = dxdesk("card", "read", *AS_CLERK, "--reader", READER0, "--pin-stdin",
                    stdin=f"{ACCOUNT_PASSWORD}\n")  # signed in, then no PIN line
    assert_one_line_error(result, "cancelled")
    status = dxdesk("card", "status", "--reader", READER0)
    assert "PIN tries left: 3" in status.stdout  # cancelling spent nothing


def test_read_without_pcscd_is_one_line(env_without_pcscd: dict[str, str], card_accounts) -> None:
    # Outside training mode no PC/SC service is an error saying which service to start.
    result = subprocess.run(
        [*_dxdesk_command(), "card", "read", *AS_CLERK, "--pin-stdin"],
        input=pin_input(), capture_output=True, text=True, timeout=_TIMEOUT_S, env=env_without_pcscd, check=False,
    )
    assert_one_line_error(result, "service is not running", "systemctl start pcscd")

"""Fixtures for the real PC/SC stack: pcscd + vsmartcard's vpcd driver + a simulated card.

``pcscd_service`` (per test module) makes sure a pcscd with the vpcd readers runs: it
reuses one that already answers with the "Virtual PCD" readers, otherwise starts
``pcscd --foreground --debug`` and waits for its "daemon ready" line (an event,
not a sleep), and stops that pcscd by pid at the end. Tests that need it are
marked ``pcsc`` and skip with a reason only when pcscd or the vpcd driver is not
installed; in CI both are (scripts/bootstrap.sh).

``insert_card`` plugs a card into a vpcd slot through :mod:`dxdesk.cardreader.vpcd`
on a background thread and waits until pcscd reports it present; on teardown it
pulls the card and waits until pcscd reports the slot empty, so every test starts
from a known reader state.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from smartcard import scard

from dxdesk.cardreader.pcsc import wait_for_card_state
from dxdesk.cardreader.vpcd import VPCD_PORT, VpcdCardServer, VirtualCard

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
VPCD_CONF = Path("/etc/reader.conf.d/vpcd")
READER0 = "Virtual PCD 00 00"  # vpcd slot 0, TCP 35963
READER1 = "Virtual PCD 00 01"  # vpcd slot 1, TCP 35964: left empty for "no card" tests
PCSCD_SOCKET = Path("/run/pcscd/pcscd.comm")
_READY_LINE = "daemon ready"
_START_TIMEOUT_S = 15.0
_PCSCD_LOG: deque[str] | None = None  # log tail of a pcscd started by pcscd_service


def _missing_stack() -> str | None:
    if shutil.which("pcscd") is None:
        return "pcscd is not installed (Debian package pcscd; scripts/bootstrap.sh installs it)"
    if not VPCD_DRIVER.exists() or not VPCD_CONF.exists():
        return "vsmartcard-vpcd is not installed (no vpcd driver/config; scripts/bootstrap.sh installs it)"
    return None


def _readers() -> list[str] | None:
    """Reader names, or None when no pcscd answers."""
    hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return None
    try:
        hresult, readers = scard.SCardListReaders(ctx, [])
        return list(readers) if hresult == scard.SCARD_S_SUCCESS else []
    finally:
        scard.SCardReleaseContext(ctx)


def _wait_for_reader(reader: str, timeout_s: float) -> list[str]:
    """Wait until pcscd lists ``reader``; pcscd publishes its readers just after "daemon ready".

    Waits on pcsc-lite's PnP pseudo-reader, which changes whenever the reader list
    does, instead of polling.
    """
    # pcscd prints "daemon ready" a few milliseconds before its socket exists and
    # offers no other readiness signal, so this one step retries on a short, bounded wait.
    pause = threading.Event()
    for _ in range(int(timeout_s / 0.01)):
        hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult == scard.SCARD_S_SUCCESS:
            break
        pause.wait(0.01)
    else:
        return []
    try:
        pnp_state = scard.SCARD_STATE_UNAWARE
        readers: list[str] = []
        for _ in range(20):  # each round waits for a reader-list change; 20 changes is plenty
            hresult, found = scard.SCardListReaders(ctx, [])
            readers = list(found) if hresult == scard.SCARD_S_SUCCESS else []
            if reader in readers:
                return readers
            hresult, result = scard.SCardGetStatusChange(
                ctx, int(timeout_s * 1000), [("\\\\?PnP?\\Notification", pnp_state)]
            )
            if hresult != scard.SCARD_S_SUCCESS:
                return readers
            pnp_state = result[0][1] & ~scard.SCARD_STATE_CHANGED
        return readers
    finally:
        scard.SCardReleaseContext(ctx)


class PcscdService:
    """The pcscd the tests talk to; ``restart()`` works only for one started here."""

    def __init__(self, started_here: bool) -> None:
        self.started_here = started_here
        self.log: deque[str] = deque(maxlen=200)  # pcscd's own log tail, for failure reports
        self._proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        if PCSCD_SOCKET.exists():
            # Left over from a crashed pcscd (nothing answered on it); pcscd refuses to start over it.
            PCSCD_SOCKET.unlink()
        ready = threading.Event()
        proc = subprocess.Popen(
            ["pcscd", "--foreground", "--debug"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        self._proc = proc

        def drain() -> None:
            # Keeps reading for pcscd's whole life so its pipe never fills and blocks it.
            assert proc.stdout is not None
            for line in proc.stdout:
                self.log.append(line.rstrip())
                if _READY_LINE in line:
                    ready.set()
            ready.set()  # EOF: pcscd exited; the check below reports it

        threading.Thread(target=drain, name="pcscd-log", daemon=True).start()
        if not ready.wait(_START_TIMEOUT_S) or proc.poll() is not None:
            self.stop()
            pytest.fail("pcscd did not start:\n" + "\n".join(self.log))
        readers = _wait_for_reader(READER0, _START_TIMEOUT_S)
        if READER0 not in readers:
            self.stop()
            pytest.fail(f"pcscd started but the vpcd reader {READER0!r} is missing (readers: {readers})")

    def stop(self) -> None:
        if self._proc is None:
            return
        self._proc.terminate()  # by pid: never a broad pkill
        try:
            self._proc.wait(10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._proc = None

    def restart(self) -> None:
        if not self.started_here:
            pytest.skip("pcscd was not started by the tests; not restarting someone else's daemon")
        self.stop()
        self.start()


# Module scope, not session: a pcscd left running would show the empty vpcd readers to every
# later test in the run, and tests elsewhere rely on "no reader attached".
@pytest.fixture(scope="module")
def pcscd_service() -> Iterator[PcscdService]:
    global _PCSCD_LOG
    reason = _missing_stack()
    if reason:
        pytest.skip(reason)
    readers = _readers()
    if readers is not None:
        if READER0 not in readers:
            pytest.fail(
                f"a pcscd is already running without the vpcd readers (found {readers}); it was probably started "
                "before vsmartcard-vpcd was installed: stop it (systemctl stop pcscd.socket pcscd) and re-run"
            )
        yield PcscdService(started_here=False)
        return
    service = PcscdService(started_here=True)
    _PCSCD_LOG = service.log
    try:
        service.start()
        yield service
    finally:
        service.stop()
        _PCSCD_LOG = None


class InsertedCard:
    """A card being served to vpcd on a background thread."""

    def __init__(self, card: VirtualCard, reader: str, port: int, remove_after: int | None) -> None:
        self.card = card
        self.reader = reader
        self.server = VpcdCardServer(card, "127.0.0.1", port, remove_after=remove_after)
        self.server.connect()
        self.thread = threading.Thread(target=self.server.serve, name=f"vpcd-card-{port}", daemon=True)
        self.thread.start()
        self.atr = wait_for_card_state(reader, present=True)

    def remove(self) -> None:
        """Pull the card out and wait until pcscd has noticed."""
        self.server.stop()
        self.thread.join(5)
        assert not self.thread.is_alive(), "vpcd card thread did not stop"
        wait_for_card_state(self.reader, present=False)


@pytest.fixture
def insert_card(pcscd_service: PcscdService) -> Iterator[Callable[..., InsertedCard]]:
    """``insert_card(card, slot=0, remove_after=None)`` -> InsertedCard; removed again at teardown."""
    inserted: list[InsertedCard] = []

    def insert(card: VirtualCard, slot: int = 0, remove_after: int | None = None) -> InsertedCard:
        reader = READER0 if slot == 0 else READER1
        item = InsertedCard(card, reader, VPCD_PORT + slot, remove_after)
        inserted.append(item)
        return item

    yield insert
    # Newest first: a card removed during the test may have been replaced by a later one in the
    # same slot, and waiting for that slot to be empty only makes sense once the later one is out.
    for item in reversed(inserted):
        if item.thread.is_alive() or not item.server.finished.is_set():
            item.remove()
        else:
            wait_for_card_state(item.reader, present=False)


@pytest.fixture
def env_without_pcscd(tmp_path: Path) -> dict[str, str]:
    """Environment for a subprocess whose pcsc-lite looks for pcscd at a socket that does not exist.

    pcsc-lite reads PCSCLITE_CSOCK_NAME once per process, so this only works in a
    child process; the tests' pcscd keeps serving every other test.
    """
    env = dict(os.environ)
    env["PCSCLITE_CSOCK_NAME"] = str(tmp_path / "no-pcscd-here.comm")
    return env


@pytest.fixture
def card_state() -> Callable[..., bytes]:
    """``card_state(reader, present, timeout_s=5)``: wait until pcscd reports that state."""
    return wait_for_card_state


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    # A failing real-stack test is far easier to diagnose with what pcscd itself saw.
    if report.failed and _PCSCD_LOG and "pcscd_service" in getattr(item, "fixturenames", ()):
        noise = ("winscard_svc.c", "RefReader", "MSGSendReaderStates", "winscard_msg_srv.c", "pcscdaemon.c:133")
        tail = [line for line in list(_PCSCD_LOG)[-120:] if not any(n in line for n in noise)]
        report.sections.append(("pcscd log (tail)", "\n".join(tail)))
    return report


# -- accounts for `dxdesk card read`, which acts for a signed-in clerk -----------------------------

CLERK_LOGIN = "clerk"
SUPPORTER_LOGIN = "vol"  # a role without READ_CARD
ACCOUNT_PASSWORD = "correct horse 1"


@pytest.fixture
def card_accounts() -> dict[str, str]:
    """A clerk and a supporter in this test's DXDESK_HOME (cheap scrypt: the same code path, not the cost)."""
    from dxdesk.config import load_settings
    from dxdesk.security.audit import AuditLog
    from dxdesk.security.auth import AuthService
    from dxdesk.security.passwords import ScryptParams
    from dxdesk.security.permissions import Role
    from dxdesk.store.database import open_database
    from accounts import add_ready_account

    db = open_database()
    try:
        auth = AuthService(db, AuditLog(db), load_settings().security, params=ScryptParams(n=2**6, r=8, p=1),
                           failure_delay_s=0)
        admin = auth.create_first_admin("admin", "管理者", ACCOUNT_PASSWORD)
        add_ready_account(auth, admin, CLERK_LOGIN, "窓口 一郎", Role.CLERK, ACCOUNT_PASSWORD)
        add_ready_account(auth, admin, SUPPORTER_LOGIN, "支援 花子", Role.SUPPORTER, ACCOUNT_PASSWORD)
    finally:
        db.close()
    return {"clerk": CLERK_LOGIN, "supporter": SUPPORTER_LOGIN, "password": ACCOUNT_PASSWORD}


def card_read_events() -> list:
    """The card.read audit events written so far in this test's DXDESK_HOME."""
    from dxdesk.security.audit import load_records
    from dxdesk.store.database import open_database

    db = open_database()
    try:
        with db.session() as orm:
            return load_records(orm, event_type="card.read")
    finally:
        db.close()

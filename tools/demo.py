"""The demo: a scripted counter visit in training mode (研修モード) on the fictional card, through pcscd + vpcd.

Run from a clone of the repository (it is not part of the installed dxdesk, which has no QtTest)::

    uv run python tools/demo.py [--size WxH ...] [--out DIR] [--port PORT]

The card is the same fictional one as ``dxdesk card sim``, served to vsmartcard's vpcd driver on a
thread of this process, so the counter reads it exactly as it would read a real card in a real
reader (PC/SC, exclusive connection, PIN on the resident's pad). A throw-away desk is set up in a
temporary folder in training mode, with an administrator and a signed-in clerk; the clerk's window
is then driven step by step (tools/demo_visit.py) and each step is saved as a PNG, once per window
size. If no pcscd runs and we are root, one is started for the demo and stopped after it; otherwise
the user is told how to start it.
"""
from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Run as a script from a clone (`python tools/demo.py`): the repository's dxdesk and tools are importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

log = logging.getLogger("demo")

VPCD_BASE_PORT = 35963  # slot 0 = "Virtual PCD 00 00"
DEFAULT_SIZES = ("1366x768", "1920x1080")
DEFAULT_OUT = Path("docs/screenshots/counter")
_PCSCD_READY_LINE = "daemon ready"
_START_TIMEOUT_S = 15.0


class UserError(Exception):
    """The demo cannot run; printed as one line (English), no traceback."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tools/demo.py",
        description="Runs one whole counter visit in training mode (procedures, card read with the PIN on the "
                    "PIN pad, interview, confirmation, print preview, close) as a signed-in clerk against "
                    "`dxdesk card sim`'s card through pcscd and vpcd, and saves a screenshot of each step into "
                    "OUT/demo-WIDTHxHEIGHT/. Without a display it renders offscreen; for a real X server use: "
                    "xvfb-run -s '-screen 0 1920x1080x24' uv run python tools/demo.py",
    )
    p.add_argument("--size", action="append", metavar="WxH",
                   help="window size, repeatable (default: 1366x768 and 1920x1080)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                   help=f"screenshot root; one demo-WxH folder per size (default: {DEFAULT_OUT})")
    p.add_argument("--port", type=int, default=VPCD_BASE_PORT,
                   help="vpcd slot port for the simulated card (35963 = 'Virtual PCD 00 00')")
    return p


def parse_size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d{3,5})\s*[xX×]\s*(\d{3,5})\s*", text)
    if match is None:
        raise UserError(f"--size {text!r}: expected WIDTHxHEIGHT, e.g. 1366x768")
    width, height = int(match.group(1)), int(match.group(2))
    if not (800 <= width <= 7680 and 600 <= height <= 4320):
        raise UserError(f"--size {text!r}: width must be 800-7680 and height 600-4320 pixels")
    return width, height


def run(args: argparse.Namespace) -> int:
    sizes = [parse_size(s) for s in (args.size or DEFAULT_SIZES)]
    if not VPCD_BASE_PORT <= args.port < VPCD_BASE_PORT + 16:
        raise UserError(f"--port must be a vpcd slot port ({VPCD_BASE_PORT}-{VPCD_BASE_PORT + 15})")
    with pcsc_with_simulated_card(args.port) as reader:
        from tools.demo_visit import DemoError, run_demo  # Qt only now, never for --help or a bad argument

        try:
            shots = run_demo(reader, sizes, args.out)
        except DemoError as exc:
            raise UserError(str(exc)) from None
    for path in shots:
        print(path)
    print(f"{len(shots)} screenshots saved under {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return run(args)
    except UserError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


# -- PC/SC side --------------------------------------------------------------------------------


class _Pcscd:
    """A pcscd started for the demo (root only), stopped by pid afterwards."""

    def __init__(self) -> None:
        self.log: deque[str] = deque(maxlen=50)
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        ready = threading.Event()
        self.proc = proc = subprocess.Popen(
            ["pcscd", "--foreground", "--debug"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, errors="replace",
        )

        def drain() -> None:
            # Keep reading for pcscd's whole life so its pipe never fills up and blocks it.
            assert proc.stdout is not None
            for line in proc.stdout:
                self.log.append(line.rstrip())
                if _PCSCD_READY_LINE in line:
                    ready.set()
            ready.set()  # EOF: pcscd exited; checked below

        threading.Thread(target=drain, name="demo-pcscd-log", daemon=True).start()
        if not ready.wait(_START_TIMEOUT_S) or proc.poll() is not None:
            tail = " | ".join(list(self.log)[-3:])
            self.stop()
            raise UserError(f"could not start pcscd for the demo ({tail or 'no output'})")
        log.info("started pcscd (pid %d) for the demo", proc.pid)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        log.info("stopped the demo's pcscd")
        self.proc = None


def _readers_or_none() -> list[str] | None:
    """Reader names, or None when no pcscd answers."""
    from dxdesk.cardreader.errors import ReaderUnavailableError
    from dxdesk.cardreader.pcsc import list_readers

    try:
        return list_readers()
    except ReaderUnavailableError:
        return None


def _wait_for_reader(reader: str, timeout_s: float) -> list[str]:
    """pcscd lists its readers a moment after "daemon ready": wait for ``reader`` on the PnP pseudo-reader."""
    from smartcard import scard

    from dxdesk.cardreader.monitor import PNP_NOTIFICATION

    pause = threading.Event()
    readers: list[str] = []
    for _ in range(int(timeout_s / 0.05)):
        found = _readers_or_none()
        if found is not None:
            readers = found
            break
        pause.wait(0.05)  # the socket appears a few ms after the ready line; pcscd offers no other signal
    if reader in readers:
        return readers
    hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return readers
    try:
        state = scard.SCARD_STATE_UNAWARE
        for _ in range(20):  # each round waits for one change of the reader list
            hresult, found = scard.SCardListReaders(ctx, [])
            readers = list(found) if hresult == scard.SCARD_S_SUCCESS else []
            if reader in readers:
                return readers
            hresult, result = scard.SCardGetStatusChange(ctx, int(timeout_s * 1000), [(PNP_NOTIFICATION, state)])
            if hresult != scard.SCARD_S_SUCCESS:
                return readers
            state = result[0][1] & ~scard.SCARD_STATE_CHANGED
        return readers
    finally:
        scard.SCardReleaseContext(ctx)


@contextmanager
def pcsc_with_simulated_card(port: int) -> Iterator[str]:
    """pcscd running (started here if need be) with the demo card in vpcd slot ``port``; yields the reader name."""
    from dxdesk.cardreader.pcsc import reader_infos, wait_for_card_state
    from dxdesk.cardreader.simcard import SimulatedCard
    from dxdesk.cardreader.testdata import PERSON_KOKUTOU
    from dxdesk.cardreader.vpcd import VpcdCardServer, VpcdConnectionError

    reader = f"Virtual PCD 00 {port - VPCD_BASE_PORT:02d}"
    pcscd: _Pcscd | None = None
    if _readers_or_none() is None:
        if shutil.which("pcscd") is None:
            raise UserError("pcscd is not installed; install pcscd and vsmartcard-vpcd (scripts/bootstrap.sh)")
        if os.geteuid() != 0:
            raise UserError("pcscd is not running; start it (sudo systemctl start pcscd.socket, or as root: "
                            "pcscd --foreground &) and run tools/demo.py again")
        pcscd = _Pcscd()
        pcscd.start()
    server: VpcdCardServer | None = None
    thread: threading.Thread | None = None
    try:
        readers = _wait_for_reader(reader, _START_TIMEOUT_S)
        if reader not in readers:
            raise UserError(f"pcscd has no reader {reader!r} (found: {', '.join(readers) or 'none'}); "
                            "is vsmartcard-vpcd installed, and was pcscd started after it?")
        if any(info.card_present for info in reader_infos([reader])):
            raise UserError(f"{reader!r} already holds a card (another `dxdesk card sim` or a test?); "
                            "remove it or use another --port")
        server = VpcdCardServer(SimulatedCard.from_person(PERSON_KOKUTOU), port=port)
        try:
            server.connect()
        except VpcdConnectionError as exc:
            raise UserError(str(exc)) from None
        thread = threading.Thread(target=server.serve, name="demo-vpcd-card", daemon=True)
        thread.start()
        try:
            wait_for_card_state(reader, present=True, timeout_s=10)
        except TimeoutError:
            raise UserError(f"pcscd did not see the simulated card in {reader!r} within 10 s") from None
        print(f"simulated card (fictional person 'kokutou', PIN 1234) inserted into {reader!r}")
        yield reader
    finally:
        if server is not None:
            server.stop()
        if thread is not None:
            thread.join(5)
        if pcscd is not None:
            pcscd.stop()


if __name__ == "__main__":
    sys.exit(main())

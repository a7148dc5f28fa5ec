"""How long a basic-4 read takes: in-process, and through pcscd + vpcd when available.

The in-process figure is the protocol layer's own cost; the PC/SC figure adds the
real stack (pyscard -> pcscd -> vpcd TCP -> simulated card) and is the one that
regresses if, say, TCP_NODELAY goes missing (each APDU then waits ~40 ms for a
delayed ACK). A real reader adds its own transfer time on top; measure on the
counter's reader with ``dxdesk card read``.
"""
from __future__ import annotations

import logging
import statistics
import threading
import time
from collections.abc import Callable

from dxdesk.cardreader.errors import CardError
from dxdesk.cardreader.mynumber import MyNumberCard
from dxdesk.cardreader.simcard import SimulatedCard, SimulatedTransport
from dxdesk.cardreader.testdata import PERSON_KOKUTOU

log = logging.getLogger(__name__)

VPCD_READER = "Virtual PCD 00 00"


def _summary(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    p95_index = max(0, min(len(ordered) - 1, round(0.95 * len(ordered)) - 1))
    return {
        "n": len(ordered),
        "mean_ms": round(statistics.fmean(ordered), 3),
        "p95_ms": round(ordered[p95_index], 3),
        "min_ms": round(ordered[0], 3),
    }


def _time(n: int, read_once: Callable[[], None]) -> dict[str, float]:
    read_once()  # warm-up: imports, first power-up
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        read_once()
        samples.append((time.perf_counter() - start) * 1000)
    return _summary(samples)


def bench_in_process(n: int) -> dict[str, float]:
    person = PERSON_KOKUTOU
    card = SimulatedCard.from_person(person)

    def read_once() -> None:
        card.power_off()  # each read starts from a fresh power-up, like a new card on the reader
        MyNumberCard(SimulatedTransport(card)).read(pin=person.pin)

    return _time(n, read_once)


def bench_pcsc(n: int, reader: str = VPCD_READER) -> dict[str, float] | str:
    """Through pcscd + vpcd slot 0; returns a reason string when that stack is not there."""
    try:
        from dxdesk.cardreader.pcsc import PcscTransport, reader_infos, wait_for_card_state
        from dxdesk.cardreader.vpcd import VPCD_PORT, VpcdCardServer, VpcdConnectionError
    except ImportError as exc:  # pyscard missing on this machine
        return f"pyscard not available ({exc})"
    try:
        infos = {info.name: info for info in reader_infos()}
    except CardError as exc:
        return f"PC/SC not available: {exc}"
    if reader not in infos:
        return f"no vpcd reader {reader!r} (install vsmartcard-vpcd and restart pcscd)"
    if infos[reader].card_present:
        return f"{reader} already holds a card (is `dxdesk card sim` running?)"
    person = PERSON_KOKUTOU
    server = VpcdCardServer(SimulatedCard.from_person(person), port=VPCD_PORT)
    try:
        server.connect()
    except VpcdConnectionError as exc:
        return str(exc)
    thread = threading.Thread(target=server.serve, name="bench-vpcd-card", daemon=True)
    thread.start()
    try:
        wait_for_card_state(reader, present=True)

        def read_once() -> None:
            with PcscTransport(reader) as transport:
                MyNumberCard(transport).read(pin=person.pin)

        return _time(n, read_once)
    finally:
        server.stop()
        thread.join(5)


def bench_card_read(n: int = 50, pcsc: bool = True) -> dict[str, object]:
    """Measure ``n`` basic-4 reads (PIN + EF 0002 + integrity check); prints and returns the figures."""
    if n < 1:
        raise ValueError("n must be at least 1")
    results: dict[str, object] = {"in_process": bench_in_process(n)}
    if pcsc:
        results["pcsc"] = bench_pcsc(n)
    for name, value in results.items():
        if isinstance(value, dict):
            print(f"card read {name:<10} n={value['n']:<4} mean {value['mean_ms']:8.2f} ms   p95 {value['p95_ms']:8.2f} ms")
        else:
            print(f"card read {name:<10} skipped: {value}")
    return results

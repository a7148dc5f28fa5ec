"""How long a card read takes and how many APDUs it needs: in-process, through pcscd + vpcd, beside OpenSC.

What is measured is the counter's real flow: the PIN-tries status query (before the
PIN prompt), then VERIFY and the read of the four items + the My Number, with the
EF 0003 integrity check on (the default) and off.

- APDU profile: every command of one read, classified by phase (status, VERIFY, EF
  0001, EF 0002, EF 0003). The target is ≤ 8 APDUs for status + four items + number.
- in-process: the protocol layer against the simulated card, no PC/SC at all — the
  pure Python cost (dxdesk's code plus the simulated card's).
- dxdesk alone: the same read against recorded card responses (a dictionary lookup
  per APDU), i.e. only dxdesk's own code: APDU building, TLV parsing, validation, digests.
- PC/SC: the real stack (pyscard -> pcscd -> vpcd TCP -> simulated card). The time
  spent inside transmit() (the exchanges) and in connect/disconnect is measured
  separately, so "dxdesk overhead" = wall time minus both: parsing, APDU building,
  tracing, the lockout checks; it is shown beside the "dxdesk alone" figure, which
  scheduling noise does not blur. Target: under 10 % of the exchange time. A slow PC/SC
  figure with ~40 ms per APDU means TCP_NODELAY/QUICKACK went missing on the vpcd socket.
- OpenSC: ``pkcs15-tool --read-certificate 1`` on the same simulated card, counted on
  the card side — a reference for what another JPKI client spends on the same stack.

A real reader adds its own transfer time per APDU; measure on the counter's reader
with ``dxdesk card read``.
"""
from __future__ import annotations

import logging
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from dxdesk.cardreader.apdu import RecordingTransport, TracingTransport, Transport
from dxdesk.cardreader.errors import CardError
from dxdesk.cardreader.mynumber import EF_BASIC_INFO, EF_INTEGRITY, EF_MY_NUMBER, MyNumberCard
from dxdesk.cardreader.simcard import SimulatedCard, SimulatedTransport
from dxdesk.cardreader.testdata import PERSON_KOKUTOU

log = logging.getLogger(__name__)

VPCD_READER = "Virtual PCD 00 00"
APDU_TARGET = 8  # status + four items + number
OVERHEAD_TARGET = 0.10  # dxdesk's own time as a share of the exchange time
OPENSC_RUNS = 3  # each run is a process start; a few are enough for a reference figure

PHASE_STATUS = "status"
PHASE_VERIFY = "VERIFY"
_EF_PHASES = {EF_MY_NUMBER: "EF 0001 number", EF_BASIC_INFO: "EF 0002 four items", EF_INTEGRITY: "EF 0003 integrity"}
PHASES = (PHASE_STATUS, PHASE_VERIFY, *_EF_PHASES.values())


def read_flow(transport: Transport, pin: str, *, check_integrity: bool = True) -> None:
    """What ``CardService.read_card`` does on the card: tries query (for the prompt), then the read."""
    card = MyNumberCard(TracingTransport(transport, log))  # wrapped as the service does
    card.remaining_tries()
    card.read(pin=pin, include_my_number=True, check_integrity=check_integrity)


def classify(commands: list[bytes]) -> Counter[str]:
    """APDUs per phase; reads count for the EF they address (by SFI or the last SELECT EF)."""
    counts: Counter[str] = Counter()
    current: int | None = None
    for command in commands:
        ins, p1 = command[1], command[2]
        if ins == 0xA4 and p1 == 0x02:
            current = int.from_bytes(command[5:7], "big")
            counts[_EF_PHASES.get(current, PHASE_STATUS)] += 1
        elif ins == 0xA4:
            counts[PHASE_STATUS] += 1  # SELECT AP
        elif ins == 0x20:
            counts[PHASE_VERIFY if len(command) > 4 else PHASE_STATUS] += 1  # VERIFY vs the empty query
        elif ins == 0xB0:
            if p1 & 0x80:
                current = p1 & 0x1F
            counts[_EF_PHASES.get(current or 0, "other")] += 1
        else:
            counts["other"] += 1
    return counts


def apdu_profile(*, check_integrity: bool = True) -> Counter[str]:
    person = PERSON_KOKUTOU
    recorder = RecordingTransport(SimulatedTransport(SimulatedCard.from_person(person)))
    read_flow(recorder, person.pin, check_integrity=check_integrity)
    return classify(recorder.commands)


def _summary(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    p95_index = max(0, min(len(ordered) - 1, round(0.95 * len(ordered)) - 1))
    return {
        "n": len(ordered),
        "mean_ms": round(statistics.fmean(ordered), 3),
        "median_ms": round(statistics.median(ordered), 3),  # robust when other jobs share the cores
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
        read_flow(SimulatedTransport(card), person.pin)

    return _time(n, read_once)


class _ReplayTransport:
    """Answers each command with the response the simulated card gave it once: no card work at all."""

    def __init__(self, exchanges: list[tuple[bytes, bytes, int]]) -> None:
        self._answers = {command: (data, sw) for command, data, sw in exchanges}

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        return self._answers[bytes(apdu)]


def bench_dxdesk_only(n: int, *, check_integrity: bool = True) -> dict[str, float]:
    """dxdesk's own cost per read: the flow against replayed responses (n x 10 reads, it is fast)."""
    person = PERSON_KOKUTOU
    recorder = RecordingTransport(SimulatedTransport(SimulatedCard.from_person(person)))
    read_flow(recorder, person.pin, check_integrity=check_integrity)
    replay = _ReplayTransport(recorder.exchanges)
    return _time(n * 10, lambda: read_flow(replay, person.pin, check_integrity=check_integrity))


class _TimedTransport:
    """Adds up the wall time spent inside the inner transport's transmit()."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.count = 0

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        start = time.perf_counter()
        try:
            return self.inner.transmit(apdu)
        finally:
            self.seconds += time.perf_counter() - start
            self.count += 1


@dataclass
class _PcscSample:
    total_s: float
    exchange_s: float
    connect_s: float
    apdus: int


def _pcsc_read_once(reader: str, pin: str, check_integrity: bool) -> _PcscSample:
    from dxdesk.cardreader.pcsc import PcscTransport

    start = time.perf_counter()
    transport = PcscTransport(reader, exclusive=True)
    transport.connect()
    connected = time.perf_counter()
    timed = _TimedTransport(transport)
    try:
        read_flow(timed, pin, check_integrity=check_integrity)
    finally:
        closing = time.perf_counter()
        transport.close(unpower=True)  # as CardService does: no verified state survives
        end = time.perf_counter()
    return _PcscSample(end - start, timed.seconds, (connected - start) + (end - closing), timed.count)


def _pcsc_stats(samples: list[_PcscSample]) -> dict[str, float]:
    stats = _summary([s.total_s * 1000 for s in samples])
    exchange = statistics.fmean(s.exchange_s for s in samples) * 1000
    connect = statistics.fmean(s.connect_s for s in samples) * 1000
    overhead = stats["mean_ms"] - exchange - connect
    stats.update(
        apdus=samples[0].apdus,
        exchange_ms=round(exchange, 3),
        per_apdu_ms=round(exchange / samples[0].apdus, 3),
        connect_ms=round(connect, 3),
        overhead_ms=round(overhead, 3),
        overhead_share=round(overhead / exchange, 4) if exchange else 0.0,
    )
    return stats


def bench_pcsc(n: int, reader: str = VPCD_READER, *, opensc: bool = False) -> dict[str, object] | str:
    """Through pcscd + vpcd slot 0; returns a reason string when that stack is not there."""
    try:
        from dxdesk.cardreader.pcsc import reader_infos, wait_for_card_state
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
    card = SimulatedCard.from_person(person)
    server = VpcdCardServer(card, port=VPCD_PORT)
    try:
        server.connect()
    except VpcdConnectionError as exc:
        return str(exc)
    thread = threading.Thread(target=server.serve, name="bench-vpcd-card", daemon=True)
    thread.start()
    try:
        wait_for_card_state(reader, present=True)
        results: dict[str, object] = {}
        for label, integrity in (("integrity on", True), ("integrity off", False)):
            _pcsc_read_once(reader, person.pin, integrity)  # warm-up
            before = card.apdu_count
            samples = [_pcsc_read_once(reader, person.pin, integrity) for _ in range(n)]
            stats = _pcsc_stats(samples)
            stats["card_apdus"] = (card.apdu_count - before) / n  # cross-check on the card side
            results[label] = stats
        if opensc:
            results["opensc"] = _bench_opensc(reader, card)
        return results
    finally:
        server.stop()
        thread.join(5)


def _bench_opensc(reader: str, card: SimulatedCard) -> dict[str, float] | str:
    from tools.opensc import OpenscUnavailableError, run_pkcs15_tool

    samples: list[float] = []
    apdus: list[int] = []
    for _ in range(OPENSC_RUNS):
        before = card.apdu_count
        start = time.perf_counter()
        try:
            result = run_pkcs15_tool(reader, "--read-certificate", "1")
        except OpenscUnavailableError as exc:
            return str(exc)
        samples.append((time.perf_counter() - start) * 1000)
        apdus.append(card.apdu_count - before)
        if result.returncode != 0 or "BEGIN CERTIFICATE" not in result.stdout:
            return f"pkcs15-tool failed (exit {result.returncode}): {result.stderr.strip()[:200]}"
    stats = _summary(samples)
    stats["apdus"] = apdus[-1]
    return stats


def bench_card_read(n: int = 50, pcsc: bool = True, *, opensc: bool = False) -> dict[str, object]:
    """Measure ``n`` status + PIN reads (four items + number); prints and returns the figures."""
    if n < 1:
        raise ValueError("n must be at least 1")
    profiles = {"integrity on": apdu_profile(), "integrity off": apdu_profile(check_integrity=False)}
    results: dict[str, object] = {
        "apdus": profiles,
        "in_process": bench_in_process(n),
        "dxdesk_only": {
            "integrity on": bench_dxdesk_only(n),
            "integrity off": bench_dxdesk_only(n, check_integrity=False),
        },
    }
    if pcsc:
        results["pcsc"] = bench_pcsc(n, opensc=opensc)
    _print(results)
    return results


def _print(results: dict[str, object]) -> None:
    profiles = results["apdus"]
    assert isinstance(profiles, dict)
    print("APDUs per read (status query + VERIFY + four items + My Number):")
    for label, counts in profiles.items():
        parts = ", ".join(f"{phase} {counts[phase]}" for phase in PHASES if counts[phase])
        total = sum(counts.values())
        verdict = "ok" if total <= APDU_TARGET else f"over the target of {APDU_TARGET}"
        print(f"  {label:<14} {total:2d} APDUs ({parts}) [{verdict}]")
    stats = results["in_process"]
    assert isinstance(stats, dict)
    print(f"in-process     n={stats['n']:<4} mean {stats['mean_ms']:8.3f} ms   median {stats['median_ms']:8.3f} ms"
          f"   p95 {stats['p95_ms']:8.3f} ms"
          "   (pure Python: dxdesk + simulated card)")
    alone = results["dxdesk_only"]
    assert isinstance(alone, dict)
    for label, value in alone.items():
        print(f"dxdesk alone, {label}: n={value['n']} mean {value['mean_ms']:.3f} ms  median {value['median_ms']:.3f} ms"
              "   (replayed responses)")
    pcsc = results.get("pcsc")
    if isinstance(pcsc, str):
        print(f"pcscd+vpcd     skipped: {pcsc}")
        return
    if not isinstance(pcsc, dict):
        return
    for label, value in pcsc.items():
        if label == "opensc":
            continue
        assert isinstance(value, dict)
        print(f"pcscd+vpcd, {label}: n={value['n']} mean {value['mean_ms']:.3f} ms  median {value['median_ms']:.3f} ms  "
              f"p95 {value['p95_ms']:.3f} ms  {value['apdus']} APDUs")
        print(f"    exchanges {value['exchange_ms']:.3f} ms ({value['per_apdu_ms']:.3f} ms/APDU), "
              f"connect+disconnect {value['connect_ms']:.3f} ms")
        code_ms = alone[label]["median_ms"]  # a hot loop: the median is not skewed by other jobs
        code_share = code_ms / value["exchange_ms"] if value["exchange_ms"] else 0.0
        verdict = "ok" if code_share < OVERHEAD_TARGET else f"over {OVERHEAD_TARGET:.0%}"
        print(f"    dxdesk overhead: wall - exchanges - connect = {value['overhead_ms']:.3f} ms "
              f"({value['overhead_share']:.1%}); dxdesk alone {code_ms:.3f} ms = {code_share:.1%} "
              f"of exchange time [{verdict}]")
    opensc = pcsc.get("opensc")
    if isinstance(opensc, dict):
        print(f"pkcs15-tool --read-certificate 1: n={opensc['n']} mean {opensc['mean_ms']:.1f} ms  "
              f"{opensc['apdus']} APDUs (process start included)")
    elif isinstance(opensc, str):
        print(f"pkcs15-tool    skipped: {opensc}")

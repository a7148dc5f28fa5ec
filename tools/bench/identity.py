"""The identify step's extra reads (issue #18) through pcscd + vpcd: APDUs and milliseconds per part.

``python -m tools.bench identity [-n N]`` serves the simulated card in vpcd slot 0 and, per run on a
fresh exclusive connection (as CardService does), times after the basic-4 read by 照合番号B:

* chip check: read EF 0004 and verify the signatures (EF 0003 is already read by the integrity check)
* photo + expiry: SELECT 券面事項確認AP, query + VERIFY 照合番号B, SELECT + read EF 0002, decode JPEG 2000
* auth certificate: SELECT JPKI AP, SELECT 000A, read the DER (no PIN)
"""
from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable

from dxdesk.cardreader.card2016 import read_auth_certificate_not_after, read_card_face
from dxdesk.cardreader.cardface import decode_photo
from dxdesk.cardreader.chipcheck import check_chip
from dxdesk.cardreader.errors import CardError
from dxdesk.cardreader.mynumber import MyNumberCard
from dxdesk.cardreader.simcard import SimulatedCard
from dxdesk.cardreader.testdata import PERSON_KOKUTOU
from tools.bench.card import VPCD_READER, _TimedTransport

PARTS = ("basic-4 by 照合番号B", "chip check", "photo + expiry", "auth certificate")


def _one_run(reader: str, code_b: str) -> dict[str, tuple[float, int]]:
    from dxdesk.cardreader.pcsc import PcscTransport

    transport = PcscTransport(reader, exclusive=True)
    transport.connect()
    timed = _TimedTransport(transport)
    parts: dict[str, tuple[float, int]] = {}

    def measure(name: str, job: Callable[[], object]) -> None:
        start, apdus = time.perf_counter(), timed.count
        job()
        parts[name] = ((time.perf_counter() - start) * 1000, timed.count - apdus)

    try:
        card = MyNumberCard(timed)
        measure(PARTS[0], lambda: card.read(code_b=code_b))
        # Same order as Card2016.read_identity: the chip check reads EF 0004 while the text AP is selected.
        measure(PARTS[1], lambda: check_chip(card.integrity_ef or b"", card.read_certificate_ef(), []))
        measure(PARTS[2], lambda: decode_photo(read_card_face(timed, code_b).photo_jp2))
        measure(PARTS[3], lambda: read_auth_certificate_not_after(timed))
    finally:
        transport.close(unpower=True)
    return parts


def bench_identity(n: int = 20, reader: str = VPCD_READER) -> int:
    from dxdesk.cardreader.pcsc import wait_for_card_state
    from dxdesk.cardreader.vpcd import VPCD_PORT, VpcdCardServer, VpcdConnectionError

    card = SimulatedCard.from_person(PERSON_KOKUTOU)
    server = VpcdCardServer(card, port=VPCD_PORT)
    try:
        server.connect()
    except VpcdConnectionError as exc:
        print(f"identity bench needs pcscd + vpcd: {exc}")
        return 2
    thread = threading.Thread(target=server.serve, name="bench-identity-card", daemon=True)
    thread.start()
    try:
        wait_for_card_state(reader, present=True)
        _one_run(reader, card.code_b)  # warm-up
        runs = [_one_run(reader, card.code_b) for _ in range(n)]
    except CardError as exc:
        print(f"identity bench failed: {exc}")
        return 2
    finally:
        server.stop()
        thread.join(5)
    print(f"identity extra reads through pcscd + vpcd ({n} runs, mean / p95 ms, APDUs):")
    for part in PARTS:
        samples = sorted(run[part][0] for run in runs)
        p95 = samples[min(len(samples) - 1, int(0.95 * len(samples)))]
        print(f"  {part:22} {statistics.fmean(samples):7.1f} / {p95:7.1f} ms  {runs[0][part][1]:3d} APDUs")
    extra = sorted(run[PARTS[2]][0] + run[PARTS[3]][0] for run in runs)
    print(f"  photo + expiry + certificate: mean {statistics.fmean(extra):.1f} ms (goal for photo + expiry: < 300 ms)")
    return 0

"""Benchmark of the report path: KPIs, PDF and CSV for many sessions (``python -m tools.bench support``).

Timings are reported, never asserted (house rule: performance is measured by bench
commands, not by timed tests). Data is synthetic and seeded, so runs compare.
"""
from __future__ import annotations

import random
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from dxdesk.support import kpi
from dxdesk.support.catalog import AGE_BANDS, DEVICES, OUTCOMES, Catalog
from dxdesk.support.csvio import write_csv_pair
from dxdesk.support.model import SupportSession
from dxdesk.support.periods import fiscal_year_range
from dxdesk.support.report import ReportOptions, write_report_pdf

_VENUES = (("中央公民館", "community_hall"), ("本庁舎 住民課窓口", "counter"), ("北地区集会所", "community_hall"),
           ("ドコモショップ駅前店", "shop"), ("訪問支援", "home_visit"), ("図書館", "other"))


def synthetic_sessions(n: int, *, fiscal_year: int = 2026, seed: int = 0, catalog: Catalog | None = None) -> list[SupportSession]:
    """``n`` plausible sessions spread over a fiscal year (deterministic for a given seed)."""
    rng = random.Random(seed)
    codes = (catalog or Catalog.seeded()).topic_codes(active_only=True)
    first, last = fiscal_year_range(fiscal_year)
    days = (last - first).days + 1
    sessions = []
    for _ in range(n):
        venue, venue_type = rng.choice(_VENUES)
        group = venue_type == "community_hall" and rng.random() < 0.6
        attendees = rng.randint(3, 14) if group else (2 if rng.random() < 0.15 else 1)
        day = first + timedelta(days=rng.randrange(days))
        follow_up = rng.random() < 0.08
        sessions.append(
            SupportSession(
                id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                started_at=datetime.combine(day, datetime.min.time()) + timedelta(minutes=rng.randrange(9 * 60, 17 * 60)),
                venue=venue,
                venue_type=venue_type,
                topics=tuple(rng.sample(codes, rng.choice((1, 1, 1, 2, 3)))),
                device=rng.choice(DEVICES),
                age_band=rng.choices(AGE_BANDS, weights=(1, 2, 3, 3, 2))[0],
                attendees=attendees,
                helpers=max(1, attendees // rng.choice((3, 4, 5, 6))) if group else 1,
                duration_minutes=rng.choice((15, 20, 30, 45, 60, 90)),
                outcome=rng.choices(OUTCOMES, weights=(7, 2, 1))[0],
                follow_up_needed=follow_up,
                repeat_visitor=rng.random() < 0.3,
                helper_role="デジタル推進委員",
                logged_by="bench",
            )
        )
    return sessions


@dataclass(frozen=True)
class BenchResult:
    n_sessions: int
    kpi_seconds: float
    pdf_seconds: float
    csv_seconds: float
    pdf_bytes: int

    def lines(self) -> list[str]:
        return [
            f"sessions:        {self.n_sessions:,}",
            f"KPIs:            {self.kpi_seconds * 1000:8.1f} ms",
            f"PDF report:      {self.pdf_seconds * 1000:8.1f} ms ({self.pdf_bytes:,} bytes)",
            f"CSV + summary:   {self.csv_seconds * 1000:8.1f} ms",
        ]


def bench_report(n_sessions: int = 10_000, *, out_dir: Path | None = None, seed: int = 0) -> BenchResult:
    """Time KPIs, the fiscal-year PDF and the CSV pair for ``n_sessions`` synthetic sessions."""
    catalog = Catalog.seeded()
    sessions = synthetic_sessions(n_sessions, seed=seed, catalog=catalog)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(out_dir) if out_dir else Path(tmp)
        t0 = time.perf_counter()
        summary = kpi.summarize(sessions)
        t1 = time.perf_counter()
        options = ReportOptions(period=fiscal_year_range(2026), municipality="ベンチ町", generated_on=date(2027, 4, 1))
        pdf = write_report_pdf(folder / "bench-report.pdf", sessions, catalog, options)
        t2 = time.perf_counter()
        write_csv_pair(folder / "bench-sessions.csv", sessions, summary, catalog)
        t3 = time.perf_counter()
        size = pdf.stat().st_size
    return BenchResult(n_sessions, t1 - t0, t2 - t1, t3 - t2, size)

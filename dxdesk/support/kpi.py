"""KPIs of the support-session log: pure functions over a list of sessions.

Conventions (they matter when numbers are compared with the national review):

* Deleted (soft-deleted) sessions never count: every function drops them first.
* A *session* is the unit. Age band, device, outcome and repeat-visitor are
  recorded once per session, so their shares are shares of **sessions**, not of
  people.
* Topics: a session about several topics counts **once per topic** in
  :func:`sessions_per_topic`, so the per-topic counts may add up to more than the
  number of sessions. "How many sessions touched e-Tax" is the question towns ask.
* Age band and outcome counts list every current choice (zero included) and, only
  when some sessions carry a code that is no longer a choice, an extra
  ``"unknown"`` bucket (:data:`~dxdesk.support.catalog.UNKNOWN_CHOICE`, labelled
  その他・不明) so that the shares still add up to 100% of the sessions counted.
* Means and shares return ``None`` when there is nothing to divide by (an empty
  month prints as "—", not as 0).
* Helpers per attendee is a ratio of sums (all helpers / all attendees), which
  weights big classes by their size; the mean of per-session ratios would let one
  1-on-1 session weigh as much as a 30-person class.
* Staffing rule ("at least one lecturer and one helper per 4 attendees"): the
  ``helpers`` field counts *everyone* supporting, lecturer included. We read the
  rule as: a group session (2+ attendees) needs one lecturer plus one helper for
  every started group of four attendees, i.e. ``1 + ceil(attendees / 4)`` staff;
  an individual (1-attendee) session needs one person, who is both. See
  :func:`required_staff`; sessions with fewer helpers are "understaffed".
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Protocol, Sequence, runtime_checkable

from dxdesk.support.catalog import AGE_BANDS, OUTCOMES, UNKNOWN_CHOICE, VENUE_TYPES
from dxdesk.support.model import SupportSession
from dxdesk.support.periods import iso_week_key, month_key

# Buckets of the "attendees per session" distribution chart (label -> inclusive range).
ATTENDEE_BUCKETS: tuple[tuple[str, int, int], ...] = (
    ("1", 1, 1),
    ("2", 2, 2),
    ("3-4", 3, 4),
    ("5-9", 5, 9),
    ("10+", 10, 10**9),
)


@runtime_checkable
class StoredScope(Protocol):
    """Sessions that stay in the database (``SqlRepository.scope``): the KPIs come from SQL
    aggregates (:mod:`dxdesk.support.sql_kpi`), never from loading every row. Every function
    below accepts one in place of a list and answers the same."""

    def kpi_summary(self) -> "KpiSummary": ...

    def understaffed_sessions(self) -> list[SupportSession]: ...

    def __iter__(self) -> Iterator[SupportSession]: ...  # the sessions themselves, streamed (CSV exports)


Sessions = Iterable[SupportSession] | StoredScope


def active(sessions: Iterable[SupportSession]) -> list[SupportSession]:
    return [s for s in sessions if not s.deleted]


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def _count_by(sessions: Iterable[SupportSession], key: Callable[[SupportSession], str]) -> dict[str, int]:
    return dict(Counter(key(s) for s in active(sessions)))


def _by_count_desc(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def total_sessions(sessions: Sessions) -> int:
    if isinstance(sessions, StoredScope):
        return sessions.kpi_summary().sessions
    return len(active(sessions))


def total_attendees(sessions: Sessions) -> int:
    if isinstance(sessions, StoredScope):
        return sessions.kpi_summary().attendees
    return sum(s.attendees for s in active(sessions))


def sessions_per_topic(sessions: Sessions) -> dict[str, int]:
    """Topic code -> sessions touching it (multi-topic sessions count once per topic), most first."""
    if isinstance(sessions, StoredScope):
        return sessions.kpi_summary().per_topic
    counts: Counter[str] = Counter()
    for s in active(sessions):
        counts.update(set(s.topics))
    return _by_count_desc(dict(counts))


def sessions_per_venue(sessions: Sessions) -> dict[str, int]:
    if isinstance(sessions, StoredScope):
        return sessions.kpi_summary().per_venue
    return _by_count_desc(_count_by(sessions, lambda s: s.venue))


def sessions_per_venue_type(sessions: Sessions) -> dict[str, int]:
    """All venue types in fixed order, zero included (tables keep their shape month to month)."""
    if isinstance(sessions, StoredScope):
        return sessions.kpi_summary().per_venue_type
    counts = _count_by(sessions, lambda s: s.venue_type)
    return {vt: counts.get(vt, 0) for vt in VENUE_TYPES}


def sessions_per_month(sessions: Sessions) -> dict[str, int]:
    """``"YYYY-MM"`` -> sessions, chronological; months without sessions are absent."""
    if isinstance(sessions, StoredScope):
        return sessions.kpi_summary().per_month
    return dict(sorted(_count_by(sessions, lambda s: month_key(s.started_at.date())).items()))


def sessions_per_iso_week(sessions: Sessions) -> dict[str, int]:
    """``"YYYY-Www"`` (ISO year and week) -> sessions, chronological."""
    if isinstance(sessions, StoredScope):
        return sessions.kpi_summary().per_iso_week
    return dict(sorted(_count_by(sessions, lambda s: iso_week_key(s.started_at.date())).items()))


def mean_attendees(sessions: Sessions) -> float | None:
    if isinstance(sessions, StoredScope):
        return sessions.kpi_summary().mean_attendees
    live = active(sessions)
    return _ratio(sum(s.attendees for s in live), len(live))


def mean_attendees_per_venue_type(sessions: Sessions) -> dict[str, float | None]:
    if isinstance(sessions, StoredScope):
        return sessions.kpi_summary().mean_attendees_per_venue_type
    groups: dict[str, list[SupportSession]] = defaultdict(list)
    for s in active(sessions):
        groups[s.venue_type].append(s)
    return {vt: mean_attendees(groups.get(vt, [])) for vt in VENUE_TYPES}


def single_attendee_share(sessions: Sessions) -> float | None:
    """Share of sessions with exactly one attendee (the review called >70% inefficient)."""
    if isinstance(sessions, StoredScope):
        return sessions.kpi_summary().single_attendee_share
    live = active(sessions)
    return _ratio(sum(1 for s in live if s.attendees == 1), len(live))


def attendee_distribution(sessions: Sessions) -> dict[str, int]:
    """Sessions per attendee-count bucket (see :data:`ATTENDEE_BUCKETS`), all buckets present."""
    if isinstance(sessions, StoredScope):
        return sessions.kpi_summary().attendee_distribution
    dist = {label: 0 for label, _, _ in ATTENDEE_BUCKETS}
    for s in active(sessions):
        for label, lo, hi in ATTENDEE_BUCKETS:
            if lo <= s.attendees <= hi:
                dist[label] += 1
                break
    return dist


def helpers_per_attendee(sessions: Sessions) -> float | None:
    """All helpers / all attendees (ratio of sums; see module docstring)."""
    if isinstance(sessions, StoredScope):
        return sessions.kpi_summary().helpers_per_attendee
    live = active(sessions)
    return _ratio(sum(s.helpers for s in live), sum(s.attendees for s in live))


def helpers_per_attendee_per_venue_type(sessions: Sessions) -> dict[str, float | None]:
    if isinstance(sessions, StoredScope):
        return sessions.kpi_summary().helpers_per_attendee_per_venue_type
    groups: dict[str, list[SupportSession]] = defaultdict(list)
    for s in active(sessions):
        groups[s.venue_type].append(s)
    return {vt: helpers_per_attendee(groups.get(vt, [])) for vt in VENUE_TYPES}


def required_staff(attendees: int) -> int:
    """Minimum supporters (lecturer included) for a session of ``attendees`` people.

    1 attendee -> 1; 2-4 -> 2; 5-8 -> 3; 9-12 -> 4 (one lecturer + one helper per started four).
    """
    if attendees <= 1:
        return 1
    return 1 + math.ceil(attendees / 4)


def is_understaffed(session: SupportSession) -> bool:
    return session.helpers < required_staff(session.attendees)


def understaffed_sessions(sessions: Sessions) -> list[SupportSession]:
    if isinstance(sessions, StoredScope):
        return sessions.understaffed_sessions()
    return [s for s in active(sessions) if is_understaffed(s)]


def _choice_counts(counts: dict[str, int], choices: tuple[str, ...]) -> dict[str, int]:
    """Every choice in its fixed order, plus the "unknown" bucket when any other code was counted."""
    result = {code: counts.get(code, 0) for code in choices}
    unknown = sum(n for code, n in counts.items() if code not in result)
    if unknown:
        result[UNKNOWN_CHOICE] = unknown
    return result


def age_band_counts(sessions: Sessions) -> dict[str, int]:
    if isinstance(sessions, StoredScope):
        return sessions.kpi_summary().age_band_counts
    return _choice_counts(_count_by(sessions, lambda s: s.age_band), AGE_BANDS)


def age_band_shares(sessions: Sessions) -> dict[str, float | None]:
    if isinstance(sessions, StoredScope):
        return sessions.kpi_summary().age_band_shares
    counts = age_band_counts(sessions)
    total = sum(counts.values())
    return {band: _ratio(n, total) for band, n in counts.items()}


def outcome_counts(sessions: Sessions) -> dict[str, int]:
    if isinstance(sessions, StoredScope):
        return sessions.kpi_summary().outcome_counts
    return _choice_counts(_count_by(sessions, lambda s: s.outcome), OUTCOMES)


def outcome_shares(sessions: Sessions) -> dict[str, float | None]:
    if isinstance(sessions, StoredScope):
        return sessions.kpi_summary().outcome_shares
    counts = outcome_counts(sessions)
    total = sum(counts.values())
    return {o: _ratio(n, total) for o, n in counts.items()}


def repeat_visitor_share(sessions: Sessions) -> float | None:
    if isinstance(sessions, StoredScope):
        return sessions.kpi_summary().repeat_visitor_share
    live = active(sessions)
    return _ratio(sum(1 for s in live if s.repeat_visitor), len(live))


def mean_duration_minutes(sessions: Sessions) -> float | None:
    if isinstance(sessions, StoredScope):
        return sessions.kpi_summary().mean_duration_minutes
    live = active(sessions)
    return _ratio(sum(s.duration_minutes for s in live), len(live))


def open_follow_ups(sessions: Sessions) -> int:
    if isinstance(sessions, StoredScope):
        return sessions.kpi_summary().open_follow_ups
    return sum(1 for s in active(sessions) if s.follow_up_open)


@dataclass(frozen=True)
class KpiSummary:
    """Every KPI for one set of sessions, computed in one call (reports, summary CSV, screens)."""

    sessions: int
    attendees: int
    per_topic: dict[str, int]
    per_venue: dict[str, int]
    per_venue_type: dict[str, int]
    per_month: dict[str, int]
    per_iso_week: dict[str, int]
    mean_attendees: float | None
    mean_attendees_per_venue_type: dict[str, float | None]
    single_attendee_share: float | None
    attendee_distribution: dict[str, int]
    helpers_per_attendee: float | None
    helpers_per_attendee_per_venue_type: dict[str, float | None]
    understaffed: int
    age_band_counts: dict[str, int]
    age_band_shares: dict[str, float | None]
    outcome_counts: dict[str, int]
    outcome_shares: dict[str, float | None]
    repeat_visitor_share: float | None
    mean_duration_minutes: float | None
    open_follow_ups: int
    # Attendees per venue, for the report's venue table (same keys and order as per_venue).
    attendees_per_venue: dict[str, int] = field(default_factory=dict)


def summarize(sessions: Sequence[SupportSession] | StoredScope) -> KpiSummary:
    """Every KPI at once; a :class:`StoredScope` is summarised in the database."""
    if isinstance(sessions, StoredScope):
        return sessions.kpi_summary()
    live = active(sessions)  # filter once; the functions below re-filter cheaply
    return KpiSummary(
        sessions=len(live),
        attendees=total_attendees(live),
        per_topic=sessions_per_topic(live),
        per_venue=sessions_per_venue(live),
        per_venue_type=sessions_per_venue_type(live),
        per_month=sessions_per_month(live),
        per_iso_week=sessions_per_iso_week(live),
        mean_attendees=mean_attendees(live),
        mean_attendees_per_venue_type=mean_attendees_per_venue_type(live),
        single_attendee_share=single_attendee_share(live),
        attendee_distribution=attendee_distribution(live),
        helpers_per_attendee=helpers_per_attendee(live),
        helpers_per_attendee_per_venue_type=helpers_per_attendee_per_venue_type(live),
        understaffed=len(understaffed_sessions(live)),
        age_band_counts=age_band_counts(live),
        age_band_shares=age_band_shares(live),
        outcome_counts=outcome_counts(live),
        outcome_shares=outcome_shares(live),
        repeat_visitor_share=repeat_visitor_share(live),
        mean_duration_minutes=mean_duration_minutes(live),
        open_follow_ups=open_follow_ups(live),
        attendees_per_venue=_attendees_per_venue(live),
    )


def _attendees_per_venue(live: Sequence[SupportSession]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for s in live:
        totals[s.venue] = totals.get(s.venue, 0) + s.attendees
    return {venue: totals[venue] for venue in sessions_per_venue(live)}


# What a report is built from: sessions (a list, or a stored scope summarised in SQL) or their summary.
ReportData = Sequence[SupportSession] | StoredScope | KpiSummary


def summary_of(data: ReportData) -> KpiSummary:
    """The KPIs of ``data``, computed once (a summary is passed through as is)."""
    return data if isinstance(data, KpiSummary) else summarize(data)

"""Visit steps and the timeline they leave behind; durations are derived from the timeline.

The timeline (an append-only list of timestamped events) is the single source of
truth and is what the journal persists; per-step durations, suspended time and the
total are computed from it, so they survive a crash without extra bookkeeping.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from dxdesk.i18n import Msg

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


class VisitStep(str, Enum):
    IDENTIFY = "identify"  # 本人確認
    INTERVIEW = "interview"  # 聞き取り
    CONFIRM = "confirm"  # 本人による内容確認
    PRINT = "print"  # 印刷
    CLOSED = "closed"  # 終了

    @property
    def label(self) -> Msg:
        return STEP_LABELS[self]


STEP_LABELS = {
    VisitStep.IDENTIFY: Msg("本人確認", "Identification"),
    VisitStep.INTERVIEW: Msg("聞き取り", "Interview"),
    VisitStep.CONFIRM: Msg("内容確認", "Resident confirmation"),
    VisitStep.PRINT: Msg("印刷", "Printing"),
    VisitStep.CLOSED: Msg("終了", "Closed"),
}
TIMED_STEPS = (VisitStep.IDENTIFY, VisitStep.INTERVIEW, VisitStep.CONFIRM, VisitStep.PRINT)


class EventKind(str, Enum):
    ENTER = "enter"  # entered ``step`` (the first ENTER is the start of the visit)
    SUSPEND = "suspend"
    RESUME = "resume"
    CLOSE = "close"


@dataclass(frozen=True)
class TimelineEvent:
    kind: EventKind
    step: VisitStep
    at: datetime
    note: str = ""  # e.g. suspend reason "resident_away" or "interrupted"; never personal data

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "step": self.step.value, "at": self.at.isoformat(), "note": self.note}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "TimelineEvent":
        return cls(EventKind(data["kind"]), VisitStep(data["step"]), datetime.fromisoformat(data["at"]), data.get("note", ""))


@dataclass(frozen=True)
class VisitTimes:
    """Durations in seconds. ``total`` is wall-clock start→end; ``active`` excludes suspensions."""

    step_seconds: dict[str, float] = field(default_factory=dict)
    active_seconds: float = 0.0
    suspended_seconds: float = 0.0
    total_seconds: float = 0.0
    suspensions: int = 0


def compute_times(timeline: Sequence[TimelineEvent], now: datetime | None = None) -> VisitTimes:
    """Durations from a timeline; an open visit is measured up to ``now`` (if given, else its last event)."""
    if not timeline:
        return VisitTimes()
    steps = {s.value: 0.0 for s in TIMED_STEPS}
    suspended = 0.0
    suspensions = 0
    current: VisitStep | None = None
    segment_start: datetime | None = None  # start of the running (not suspended) segment
    suspended_since: datetime | None = None
    end = timeline[-1].at
    for event in timeline:
        if segment_start is not None and current in TIMED_STEPS and event.kind is not EventKind.RESUME:
            steps[current.value] += (event.at - segment_start).total_seconds()
            segment_start = None
        if event.kind is EventKind.ENTER:
            current, segment_start = event.step, event.at
        elif event.kind is EventKind.SUSPEND:
            suspended_since, suspensions = event.at, suspensions + 1
        elif event.kind is EventKind.RESUME:
            if suspended_since is not None:
                suspended += (event.at - suspended_since).total_seconds()
            suspended_since, segment_start = None, event.at
        elif event.kind is EventKind.CLOSE:
            current, end = VisitStep.CLOSED, event.at
            break
    else:
        if now is not None and now > end:
            end = now
        if segment_start is not None and current in TIMED_STEPS:
            steps[current.value] += (end - segment_start).total_seconds()
        if suspended_since is not None:
            suspended += (end - suspended_since).total_seconds()
    if current is VisitStep.CLOSED and suspended_since is not None:
        suspended += (end - suspended_since).total_seconds()  # closed (cancelled) while suspended
    total = (end - timeline[0].at).total_seconds()
    return VisitTimes(steps, sum(steps.values()), suspended, total, suspensions)

"""The one test clock: a callable returning "now", moved by hand so durations and lockouts are exact."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

DEFAULT_START = datetime(2026, 4, 1, 9, 0, tzinfo=timezone.utc)


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or DEFAULT_START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 0, **kwargs: float) -> datetime:
        """advance(90) or advance(minutes=5): moves the clock and returns the new "now"."""
        self.now += timedelta(seconds=seconds, **kwargs)
        return self.now

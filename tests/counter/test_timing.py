"""Property: however a visit is suspended, resumed and advanced, the books balance."""
from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from dxdesk.counter import IdentifyMethod, Visit, VisitCardData, VisitError
from fakeclock import FakeClock
from clerks import clerk_session

# Each action: (seconds to wait before it, what to do). Invalid ones (resume when not suspended...) are
# part of the test: they must raise VisitError and change nothing.
ACTIONS = st.lists(
    st.tuples(st.integers(min_value=0, max_value=3600), st.sampled_from(["suspend", "resume", "next"])),
    max_size=25,
)
ANSWERS = {"juminhyo_copies": 1, "scope": "household", "juminhyo_purpose": "bank", "requester": "self"}



def next_step(visit: Visit) -> None:
    step = visit.step.value
    if step == "identify":
        visit.identify(VisitCardData(IdentifyMethod.MANUAL, name="山田\u3000花子", address="白老町",
                                     birth_date=date(1948, 3, 9), sex="2"))
    elif step == "interview":
        for qid, value in ANSWERS.items():
            visit.answer(qid, value)
        visit.finish_interview()
    elif step == "confirm":
        visit.confirm()
    else:
        visit.close()


@given(ACTIONS, st.integers(min_value=0, max_value=600))
@settings(max_examples=60, deadline=None)
def test_step_time_plus_suspended_time_is_total(catalogue, actions, last_wait):
    clock = FakeClock()
    visit = Visit.start(catalogue, session=clerk_session("c"), desk_id="d", procedures=["juminhyo"], clock=clock)
    waited_active = waited_suspended = 0
    for wait, action in actions:
        clock.now += timedelta(seconds=wait)
        if visit.closed:
            break
        if visit.suspended:
            waited_suspended += wait
        else:
            waited_active += wait
        before = visit.timeline
        try:
            {"suspend": visit.suspend, "resume": visit.resume, "next": lambda: next_step(visit)}[action]()
        except VisitError:
            assert visit.timeline == before  # a refused request changes nothing
    if not visit.closed:
        clock.now += timedelta(seconds=last_wait)
        if visit.suspended:
            waited_suspended += last_wait
        else:
            waited_active += last_wait
        visit.cancel()
    record = visit.record
    assert record is not None
    assert record.active_seconds == sum(record.step_seconds.values()) == waited_active
    assert record.suspended_seconds == waited_suspended
    assert record.total_seconds == waited_active + waited_suspended

"""The fault-injection hook of a sync run (tests/store/test_faults.py, ``python -m tools.bench sync``).

A ``batch_hook(phase, batch_number)`` is called inside each batch's server transaction
("in-transaction") and after its commit, before the desk marks it sent ("after-commit"). It
is None in normal use. The environment variable ``DXDESK_TEST_SYNC_STALL=<phase>:<n>``
installs a hook that announces itself on stderr and then blocks forever at that point, so a
test can kill -9 the sync process at an exact moment; it is inert unless set and must never
be set in production.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Callable

log = logging.getLogger("dxdesk.store.sync")  # one logger name for everything sync reports

BatchHook = Callable[[str, int], None]
HOOK_PHASES = ("in-transaction", "after-commit")
STALL_ENV = "DXDESK_TEST_SYNC_STALL"
STALL_ANNOUNCEMENT = "dxdesk-sync-stalled"


def stall_hook_from_env() -> BatchHook | None:
    """The kill -9 test hook (see the module docstring); None unless DXDESK_TEST_SYNC_STALL is set."""
    spec = os.environ.get(STALL_ENV, "").strip()
    if not spec:
        return None
    phase, _, number = spec.partition(":")
    if phase not in HOOK_PHASES or not number.isdigit():
        log.warning("ignoring %s=%r (expected <%s>:<batch number>)", STALL_ENV, spec, "|".join(HOOK_PHASES))
        return None
    log.warning("%s is set: sync will stall at %s of batch %s (test hook)", STALL_ENV, phase, number)

    def stall(at_phase: str, at_number: int) -> None:
        if (at_phase, at_number) == (phase, int(number)):
            sys.stderr.write(f"{STALL_ANNOUNCEMENT} {at_phase} {at_number}\n")
            sys.stderr.flush()
            threading.Event().wait()  # until the test kills this process
    return stall

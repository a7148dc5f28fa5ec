"""A status poll whose timer fires after the runner shut down (window closing) is dropped quietly.

Seen in a full run: a PeriodicTask of a page not yet deleted ticked once after
``TaskRunner.shutdown`` and raised "cannot schedule new futures after shutdown" in the
Qt event loop.
"""
from __future__ import annotations

import pytest
from PySide6.QtCore import QObject

from dxdesk.ui.tasks import PeriodicTask, TaskRunner

pytestmark = pytest.mark.ui


def test_run_after_shutdown_returns_a_cancelled_handle(qtbot) -> None:
    runner = TaskRunner()
    runner.shutdown()
    calls: list[int] = []
    handle = runner.run(lambda _cancel: calls.append(1))
    assert handle.cancelled
    assert calls == []


def test_periodic_task_tick_after_shutdown_raises_nothing(qtbot) -> None:
    runner = TaskRunner()
    parent = QObject()
    answers: list[object] = []
    task = PeriodicTask(runner, lambda: "status", answers.append, interval_ms=60_000, parent=parent)
    runner.shutdown()
    task.trigger()  # what the timer does on its next tick
    task.trigger()  # a second tick while the first (dropped) call counts as in flight
    assert answers == []

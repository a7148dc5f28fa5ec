"""Driving the real ``run_app`` from a test: a step machine on a timer, as a person would act.

The bootstrap runs its own modal loops (sign-in dialogs, app.exec), so a test cannot call into it
step by step. Each step looks at what is on screen and acts when the window it expects is there,
returning True when done; no sleeping. A deadline closes everything if a step never comes.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget


def visible(class_name: str) -> QWidget | None:
    """The visible top-level window of that class, if any."""
    for widget in QApplication.topLevelWidgets():
        if widget.isVisible() and type(widget).__name__ == class_name:
            return widget
    return None


def _close_all() -> None:
    for widget in QApplication.topLevelWidgets():
        if widget.isVisible():
            widget.close()


def drive_run_app(steps: list[Callable[[], bool]], deadline_ms: int = 60_000) -> int:
    """Run ``dxdesk.ui.app.run_app`` while ``steps`` act in turn; returns its exit code.

    A step that raises ends the run and its exception is raised here; so is a step never reached.
    """
    import dxdesk.ui.app as app_module

    errors: list[BaseException] = []

    def tick() -> None:
        if not steps:
            return
        try:
            if steps[0]():
                steps.pop(0)
        except BaseException as exc:  # noqa: BLE001 - raised after run_app returns
            errors.append(exc)
            steps.clear()
            _close_all()

    def give_up() -> None:
        errors.append(TimeoutError(f"stuck before {steps[0].__name__}" if steps else "stuck"))
        steps.clear()
        _close_all()

    driver = QTimer()
    driver.setInterval(20)
    driver.timeout.connect(tick)
    driver.start()
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(give_up)
    deadline.start(deadline_ms)
    try:
        code = app_module.run_app()
    finally:
        driver.stop()
        deadline.stop()
    if errors:
        raise errors[0]
    assert not steps, f"run_app returned before {steps[0].__name__}"
    return code

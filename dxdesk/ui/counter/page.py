"""CounterPage: the counter clerk's visit, step by step, keyboard first.

Thin orchestration over the Qt-free ``dxdesk.counter.Visit`` state machine: each
step widget collects input, the page calls the Visit (which journals every change),
and shows ``VisitError.message.text()`` when the core refuses. Card I/O, form rendering,
database writes and audit appends all run off the GUI thread.
"""
from __future__ import annotations

import logging
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QMessageBox, QScrollArea, QStackedWidget, QVBoxLayout, QWidget

from dxdesk.i18n import Msg, tr
from dxdesk.counter import IdentifyMethod, JournalError, Visit, VisitError, VisitRecord
from dxdesk.counter.timing import VisitStep
from dxdesk.security.audit import AuditError
from dxdesk.security.permissions import Permission, PermissionDeniedError, require
from dxdesk.ui.errors import error_text
from dxdesk.ui.qtfonts import ui_font
from dxdesk.ui.scrolling import VerticalScroll

from .cardbridge import CardEventBridge
from .confirm import ConfirmStep
from .done import DoneStep
from .identify import Identification, IdentifyStep
from .interview import InterviewStep
from .printstep import PrintStep
from .services import CounterServices
from .shortcuthint import shortcut_hint
from .recovery import StartupRecovery
from .start import ResumeDialog, StartStep
from .stepbar import StepBar
from dxdesk.ui.theme import show_message

log = logging.getLogger(__name__)

# What a failure that is not a DxError (a bug) is called on this page.
MSG_STORE_FAILED = Msg("記録を保存できませんでした。記録は端末に残っています。「保存をやり直す」を押してください。",
                       "The record could not be saved. It is kept on this PC; press Retry saving.")
MSG_CAUSE_UNKNOWN = Msg("原因不明のエラー", "unknown error")



class CounterPage(QWidget):
    """The counter workflow page. Construct with ``CounterPage(services)``; call ``shutdown()`` at exit."""

    visit_stored = Signal(object)  # VisitRecord, once the store has it (with its visit.close audit event)
    message = Signal(str)

    def __init__(self, services: CounterServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.visit: Visit | None = None
        self.last_record: VisitRecord | None = None
        self._unstored: VisitRecord | None = None
        self._unstored_timeline: tuple = ()
        self._close_armed = False
        self._checked_pending = False
        self._monitor: Any = None
        self.cancel_question: QMessageBox | None = None  # the open 「中止しますか？」, if any
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self.stepbar = StepBar(self)
        self.start = StartStep(services.catalogue, self)
        self.identify = IdentifyStep(services, self)
        self.interview = InterviewStep(self, services)
        self.confirm = ConfirmStep(self)
        self.printing = PrintStep(services, self)
        self.done = DoneStep(services.catalogue, self)
        self.stack = QStackedWidget(self)
        # Each step scrolls inside the page when its content is taller than the screen (照合番号B with
        # its help shown, a long follow-on list): a step must never push the window past the screen (#14).
        self._scrolls: dict[QWidget, QScrollArea] = {}
        for w in (self.start, self.identify, self.interview, self.confirm, self.printing, self.done):
            self._scrolls[w] = scroll = VerticalScroll(w, self.stack)
            self.stack.addWidget(scroll)
        self.suspended_label = QLabel(tr("中断中です。Esc で再開します。"), self)
        self.suspended_label.setObjectName("notice")
        self.suspended_label.setFont(ui_font(16, bold=True))
        self.suspended_label.hide()
        self.status = QLabel("", self)
        self.status.setFont(ui_font(13, bold=True))
        self.status.setWordWrap(True)
        self.status.setProperty("role", "value")
        hint = shortcut_hint(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.stepbar)
        layout.addWidget(self.suspended_label)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.status)
        layout.addWidget(hint)

        self.start.start_requested.connect(self.start_visit)
        self.identify.identified.connect(self._on_identified)
        self.identify.message.connect(self.show_message)
        self.interview.procedure_added.connect(self.add_procedure)
        self.interview.number_panel.notice.connect(self.show_message)
        self.interview.number_panel.audited.connect(self._watch_audit)
        self.interview.number_panel.is_simulated = lambda: self.identify.simulated
        self.interview.number_panel.pin_tries = lambda: (self.identify.tries_left, self.identify.min_tries)
        self.confirm.edit_button.clicked.connect(self.back)
        self.confirm.ok_button.clicked.connect(self.next)
        self.printing.printed.connect(self._on_printed)
        self.printing.ready.connect(self.printing.focus_first)
        self.printing.done_button.clicked.connect(self.next)
        self.done.next_button.clicked.connect(self.new_visit)
        self.done.retry_button.clicked.connect(self._store_pending_record)
        self.recovery = StartupRecovery(services, self._forget, self)
        self.recovery.resumed.connect(self._resumed)
        self.recovery.message.connect(self.show_message)
        self.recovery.store_failed.connect(self._store_failed)
        self.card_events = CardEventBridge(self)
        self.card_events.card_event.connect(self.identify.on_card_event)

        for keys, slot in (
            (("Ctrl+Return", "Ctrl+Enter"), self.next), (("Ctrl+Backspace",), self.back),
            (("F2",), self.identify.read_with_pin), (("F3",), self._manual), (("F4",), self.identify.show_code_b),
            (("F5",), self.confirm.show_resident_window), (("F6",), self.interview.read_my_number),
            (("Ctrl+P",), self.printing.print_all),
            (("Esc",), self.toggle_suspend), (("Ctrl+Shift+Del",), self.ask_cancel_visit),
        ):
            for key in keys:
                shortcut = QShortcut(QKeySequence(key), self)
                shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                shortcut.activated.connect(slot)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(lambda: self.stepbar.update_times(self.visit))
        self._timer.start()
        self._go("start")

    # -- navigation ------------------------------------------------------------------------------

    def _go(self, key: str) -> None:
        steps: dict[str, StartStep | IdentifyStep | InterviewStep | ConfirmStep | PrintStep | DoneStep] = {"start": self.start, VisitStep.IDENTIFY.value: self.identify, VisitStep.INTERVIEW.value: self.interview,
                  VisitStep.CONFIRM.value: self.confirm, VisitStep.PRINT.value: self.printing,
                  VisitStep.CLOSED.value: self.done}
        widget = steps[key]
        self.stack.setCurrentWidget(self._scrolls[widget])
        self.stepbar.set_current(key)
        self.stepbar.update_times(self.visit)
        self._close_armed = False
        if self.isVisible() and not self.isActiveWindow():
            self.window().activateWindow()  # back from the resident's PIN pad window
        widget.focus_first()

    def focus_first(self) -> None:
        """Ctrl+N from the main window lands on the current step's first control."""
        if self.visit is not None and self.visit.suspended:
            self.setFocus()  # only Esc (resume) works while suspended
            return
        current = self.stack.currentWidget()
        step = current.widget() if isinstance(current, QScrollArea) else current
        focus_first = getattr(step, "focus_first", None)  # every step has one
        if callable(focus_first):
            focus_first()

    def has_open_visit(self) -> bool:
        """A visit is under way (its journal holds every change: what a crash would leave to resume)."""
        return self.visit is not None and not self.visit.closed

    def current_step(self) -> str:
        return self.stepbar.current

    def show_message(self, text: str, error: bool = False) -> None:
        show_message(self.status, text, "error" if error else "value")
        self.status.show()  # keeps its line even when empty: the steps above must not jump
        self.message.emit(text)

    def _refused(self, exc: VisitError | PermissionDeniedError | AuditError) -> None:
        self.show_message(exc.message.text(), error=True)

    def next(self) -> None:
        step = self.current_step()
        # A message belongs to the step it was shown on: "check the entries" must not stay red on the
        # next step (#14). A refusal below shows its own message again.
        self.show_message("")
        try:
            if step == "start":
                self.start.request_start()
            elif step == VisitStep.IDENTIFY.value:
                self._identify_next()
            elif step == VisitStep.INTERVIEW.value:
                self._finish_interview()
            elif step == VisitStep.CONFIRM.value:
                self._require(Permission.PRINT_FORMS)
                self.visit.confirm()  # type: ignore[union-attr]
                self.confirm.close_resident_window()
                self.printing.load(self.visit)  # type: ignore[arg-type]
                self._go(VisitStep.PRINT.value)
            elif step == VisitStep.PRINT.value:
                self.finish_visit()
            elif step == VisitStep.CLOSED.value:
                self.new_visit()
        except (VisitError, PermissionDeniedError) as exc:
            self._refused(exc)

    def back(self) -> None:
        step = self.current_step() if self.visit is not None else None
        if step == VisitStep.INTERVIEW.value:  # identity is not re-done within a visit: say what to do instead
            self.show_message(tr("本人確認には戻れません。別の方だった場合は、この受付を中止し（Ctrl+Shift+Del）、"
                                 "新しい受付で確認し直してください。"))
        if step != VisitStep.CONFIRM.value or self.visit is None:
            return
        self.show_message("")
        try:
            self.visit.reopen_interview()
        except VisitError as exc:
            self._refused(exc)
            return
        self.confirm.close_resident_window()
        self.interview.load(self.visit)
        self._go(VisitStep.INTERVIEW.value)

    def _manual(self) -> None:
        if self.current_step() == VisitStep.IDENTIFY.value:
            self.identify.show_manual()

    def _identify_next(self) -> None:
        page = self.identify.stack.currentIndex()
        if page == IdentifyStep.PAGE_MANUAL:
            self.identify.manual_form.submit()
        elif page == IdentifyStep.PAGE_CODE_B:
            self.identify.code_b_form.submit()
        else:
            self.identify.read_with_pin()

    def _require(self, permission: Permission) -> None:
        require(self.services.session, permission)

    # -- the visit -------------------------------------------------------------------------------

    def start_visit(self, procedure_ids: list[str]) -> None:
        try:
            self.visit = self.services.visits.start(self.services.session, procedure_ids)
        except (VisitError, PermissionDeniedError) as exc:
            self.start.show_error(exc.message.text())
            return
        self.show_message(tr("受付を開始しました。"))
        self._enter_identify()

    def _enter_identify(self) -> None:
        assert self.visit is not None
        self.identify.begin(self.visit.needs_my_number, [p.name.text() for p in self.visit.procedures])
        self._go(VisitStep.IDENTIFY.value)

    def _on_identified(self, ident: Identification) -> None:
        if self.visit is None:
            ident.card.discard()
            return
        try:
            audited = self.services.visits.identify(self.visit, ident.card, simulated=ident.simulated,
                                                    jimu_type=ident.jimu_type, reason=ident.reason)
        except (VisitError, PermissionDeniedError, AuditError) as exc:
            ident.card.discard()
            self._refused(exc)
            return
        if audited is not None:
            self._watch_audit(audited)
        renewals = [p for p in ident.renewals if p not in self.visit.procedure_ids and p in self.services.catalogue]
        if renewals:  # an expired or expiring card/certificate: the renewal joins the visit and its guide sheet
            self.visit.set_procedures([*self.visit.procedure_ids, *renewals])
        self.show_message(tr("本人確認ができました。") + (tr("（模擬カード）") if ident.simulated else ""))
        self.interview.load(self.visit)
        self._go(VisitStep.INTERVIEW.value)

    def add_procedure(self, procedure_id: str) -> None:
        if self.visit is None:
            return
        try:
            self.visit.set_procedures([*self.visit.procedure_ids, procedure_id])
        except VisitError as exc:
            self._refused(exc)
            return
        name = self.services.catalogue.get(procedure_id).name.text()
        extra = ""
        if self.visit.needs_my_number and (self.visit.card is None or not self.visit.card.has_my_number):
            extra = tr("この手続きには個人番号が必要です。「個人番号を読み取る（F6）」で読み取ってください。")
            if self.visit.identify_method is IdentifyMethod.CARD_MATCHING_B:  # the panel says how (codebnumber.py)
                extra = tr("この手続きには個人番号が必要です。上の「個人番号が必要です」の案内をご覧ください。")
        self.show_message(tr("「{name}」を追加しました。").format(name=name) + extra, error=bool(extra))
        self.interview.load(self.visit)
        self.interview.focus_first()

    def _finish_interview(self) -> None:
        assert self.visit is not None
        if not self.interview.commit_all():
            self.show_message(tr("入力内容を確認してください。"), error=True)
            return
        try:
            self.visit.finish_interview()
        except VisitError as exc:
            self.interview.show_missing(exc.message.text())  # under the form, once: not again in the status line
            return
        self.confirm.load(self.visit)
        self._go(VisitStep.CONFIRM.value)

    def _on_printed(self, forms: tuple[str, ...], pages: int) -> None:
        if self.visit is None:
            return
        try:
            # The data the pages were drawn from: the hand-off record says exactly what was printed.
            document = self.printing.document
            filled = document.filled if document is not None and document.forms == forms else None
            audited = self.services.visits.record_printed(self.visit, forms, pages, filled=filled)
        except (VisitError, PermissionDeniedError, AuditError) as exc:
            self._refused(exc)
            return
        self._watch_audit(audited)
        self.show_message(tr("印刷しました。よろしければ Ctrl+Enter で受付を完了します。"))

    def finish_visit(self) -> None:
        assert self.visit is not None
        unprinted = [f for f in self.visit.forms_to_print if f not in self.visit.forms_printed]
        if unprinted and not self._close_armed:
            self._close_armed = True  # a second Ctrl+Enter confirms: no modal dialog in the clerk's way
            self.show_message(tr("まだ印刷していない帳票があります。印刷せずに完了するには、もう一度 Ctrl+Enter を押してください。"), error=True)
            return
        self._end(self.visit.close())

    def ask_cancel_visit(self) -> None:
        """Ctrl+Shift+Del: a key that ends the visit asks first; No is the default (Enter keeps the visit)."""
        if self.visit is None or self.visit.closed:
            return
        box = QMessageBox(QMessageBox.Icon.Warning, tr("受付の中止"),
                          tr("この受付を中止しますか？入力した内容と読み取った情報は消去されます。"),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.button(QMessageBox.StandardButton.Yes).setText(tr("中止する"))
        box.button(QMessageBox.StandardButton.No).setText(tr("続ける"))
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setEscapeButton(QMessageBox.StandardButton.No)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.cancel_question = box
        box.finished.connect(lambda result: self._cancel_answered(result == QMessageBox.StandardButton.Yes))
        box.open()

    def _cancel_answered(self, cancel: bool) -> None:
        self.cancel_question = None
        if self.isVisible():
            # The question's window is closing: without this the desk stayed without an active window
            # after 「中止する」 and the next Ctrl+Enter went nowhere.
            self.window().activateWindow()
        if cancel:
            self.cancel_visit()
        else:
            self.focus_first()

    def cancel_visit(self) -> None:
        if self.visit is None or self.visit.closed:
            return
        self.identify.cancel_read()
        self.interview.cancel_number_read()
        self._end(self.visit.cancel("clerk_cancelled"))

    def _end(self, record: VisitRecord) -> None:
        """The card data is already wiped by the core; store the record, then forget the journal entry."""
        assert self.visit is not None
        self.confirm.close_resident_window()
        self.printing.clear()
        self.last_record = record
        self._unstored, self._unstored_timeline = record, self.visit.timeline
        self.done.show_record(record)
        self.show_message("")  # the print step's hint would be stale on the done screen
        self._go(VisitStep.CLOSED.value)
        self._store_pending_record()

    def _store_pending_record(self) -> None:
        record = self._unstored
        if record is None:
            return
        try:
            future = self.services.visits.store(self.services.session, record, self._unstored_timeline,
                                                printer=self.services.settings.forms.printer or None)
        except Exception as exc:  # noqa: BLE001 - writer closed: same handling as a failed write
            self._store_failed(exc)
            return
        handle = self.services.runner.watch(future)
        handle.finished.connect(lambda _: self._stored(record))
        handle.failed.connect(self._store_failed)

    def _stored(self, record: VisitRecord) -> None:
        self._forget(record.visit_id)  # even after sign-out closed the page: the record is safe now
        if not shiboken6.isValid(self.done):
            return
        if self._unstored is record:
            self._unstored = None
        self.done.set_stored(True)
        self.visit_stored.emit(record)

    def _store_failed(self, exc: BaseException) -> None:
        message = error_text(exc, MSG_STORE_FAILED)
        log.warning("storing the visit failed: %s", type(exc).__name__)
        if not shiboken6.isValid(self.done):
            return  # page closed meanwhile; the journal keeps the record for the next start
        self.done.set_stored(False, message)
        self.show_message(message, error=True)

    def new_visit(self) -> None:
        if self._unstored is not None:
            self.show_message(tr("記録がまだ保存されていません。「保存をやり直す」を押してください（記録は端末に残っています）。"), error=True)
            return
        self.visit = None
        self.start.reset()
        self.stepbar.update_times(None)
        self.show_message("")
        self._go("start")

    def toggle_suspend(self) -> None:
        if self.visit is None or self.visit.closed:
            return
        try:
            if self.visit.suspended:
                self.visit.resume()
            else:
                self.identify.cancel_read()
                self.interview.cancel_number_read()
                self.visit.suspend()
                self.confirm.close_resident_window()
        except VisitError as exc:
            self._refused(exc)
            return
        self.suspended_label.setVisible(self.visit.suspended)
        self.stack.setEnabled(not self.visit.suspended)
        if self.visit.suspended:
            self.setFocus()  # keeps Esc (resume) reachable while the step widgets are disabled
        else:
            self._go(self.visit.step.value)
            if self.visit.step is VisitStep.CONFIRM:
                self.confirm.load(self.visit)
        self.stepbar.update_times(self.visit)

    # -- audit -----------------------------------------------------------------------------------

    def _watch_audit(self, future) -> None:
        """The audit write of a card read or a print: a failure is shown (the event did not commit)."""
        handle = self.services.runner.watch(future, owner=self)
        handle.failed.connect(self._audit_failed)

    def _audit_failed(self, exc: BaseException) -> None:
        log.warning("audit append failed: %s", type(exc).__name__)
        self.show_message(tr("監査ログに記録できませんでした: ") + error_text(exc, MSG_CAUSE_UNKNOWN), error=True)

    # -- pending visits, monitor -----------------------------------------------------------------

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self._monitor is None and self.services.card_monitor_factory is not None:
            try:
                self._monitor = self.services.card_monitor_factory(self.card_events.post)
                self._monitor.start()
            except Exception as exc:  # noqa: BLE001 - no PC/SC: the page still works (manual, simulated)
                log.warning("card monitor unavailable: %s", type(exc).__name__)
                self._monitor = None
        if not self._checked_pending and self.visit is None:
            self._checked_pending = True
            QTimer.singleShot(0, self.check_pending)

    def _forget(self, visit_id: str) -> None:
        try:
            self.services.visits.forget(visit_id)
        except JournalError as exc:
            log.warning("could not forget journal entry: %s", type(exc).__name__)

    @property
    def resume_dialog(self) -> ResumeDialog | None:
        return self.recovery.resume_dialog

    def check_pending(self) -> None:
        # Posted when the page first shows: a visit may have started before it runs.
        self.recovery.check_pending(self.visit.id if self.visit is not None else None)

    def _resumed(self, visit: Visit) -> None:
        self.visit = visit
        step = visit.step
        if step is VisitStep.IDENTIFY:
            self._enter_identify()
        elif step is VisitStep.INTERVIEW:
            self.interview.load(visit)
            self._go(step.value)
        elif step is VisitStep.CONFIRM:
            self.confirm.load(visit)
            self._go(step.value)
        elif step is VisitStep.PRINT:
            self.printing.load(visit)
            self._go(step.value)

    def blank_resident_display(self) -> None:
        """Called when the desk locks: nothing personal may stay on the resident's screen."""
        self.confirm.close_resident_window()

    def shutdown(self) -> None:
        """Stop the card monitor and any read in progress (the integrator calls this at exit)."""
        self.identify.cancel_read()
        self.interview.cancel_number_read()
        self.confirm.close_resident_window()
        self.printing.clear()  # a visit left at the print step: its forms and print bands go now, not at teardown
        if self._monitor is not None:
            self._monitor.stop()
            self._monitor = None

"""聞き取り step: a form generated from the questions of the chosen procedures.

Every question gets a widget once; ``show_if`` only toggles visibility, so the
clerk's focus never jumps while answers change what is asked. Each answer goes
straight to ``Visit.answer`` (journaled at once); a refusal shows the core's
Japanese message under the field.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout, QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget,
)

from dxdesk.i18n import tr
from dxdesk.counter import AnswerError, Visit, VisitError
from dxdesk.ui.flowlayout import FlowLayout
from dxdesk.ui.qtfonts import ui_font
from dxdesk.ui.scrolling import VerticalScroll, reveal

from .fields import QuestionField, make_field
from .numberread import NumberReadPanel
from .services import CounterServices
from dxdesk.ui.theme import button, error_label, heading, note, set_error


class InterviewStep(QWidget):
    procedure_added = Signal(str)  # follow-on procedure id the clerk accepted
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None, services: CounterServices | None = None) -> None:
        super().__init__(parent)
        self.visit: Visit | None = None
        self.fields: dict[str, QuestionField] = {}
        self._errors: dict[str, QLabel] = {}
        self._rows: dict[str, tuple[QLabel, QWidget, QLabel]] = {}

        self.name_label = QLabel("", self)
        self.name_label.setFont(ui_font(16, bold=True))
        self.kana = QLineEdit(self)
        self.kana.setMinimumHeight(34)
        self.kana.setPlaceholderText(tr("お名前の読み方をご本人に確認して入力（ひらがな可）"))
        self.kana.setAccessibleName(tr("氏名のふりがな"))
        self.kana.editingFinished.connect(self.commit_kana)
        self.kana_error = error_label(self)

        self.follow_box = QFrame(self)
        self.follow_box.setProperty("panel", True)
        # Wraps into rows: five follow-ons in a row were wider than a 1366 px screen (#14).
        self.follow_layout = FlowLayout(self.follow_box)
        self.follow_box.hide()
        # A procedure added here may need the My Number the identification did not read.
        self.number_panel = NumberReadPanel(services, self)

        self.form_host = QWidget(self)
        self.form = QFormLayout(self.form_host)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.form.setVerticalSpacing(6)
        scroll = VerticalScroll(self.form_host, self)
        self.error = error_label(self)

        who = QHBoxLayout()
        who.addWidget(QLabel(tr("氏名"), self))
        who.addWidget(self.name_label, 1)
        who.addWidget(QLabel(tr("ふりがな"), self))
        who.addWidget(self.kana, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(heading(tr("聞き取り")))
        layout.addLayout(who)
        layout.addWidget(self.kana_error)
        layout.addWidget(self.follow_box)
        layout.addWidget(self.number_panel)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.error)

    # -- building --------------------------------------------------------------------------------

    def load(self, visit: Visit) -> None:
        """(Re)build the form for the visit's procedures, filled with its answers."""
        self.visit = visit
        card = visit.card
        self.name_label.setText(card.name if card and not card.discarded else "")
        self.kana.setText(card.name_kana if card and not card.discarded else "")
        set_error(self.kana_error, "")
        set_error(self.error, "")
        self.number_panel.update_for(visit)
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields.clear()
        self._errors.clear()
        self._rows.clear()
        current_procedure = None
        owners = {q.id: p for p in reversed(visit.procedures) for q in p.questions}
        for question in visit.interview.questions:
            owner = owners.get(question.id)
            if owner is not None and owner is not current_procedure:
                current_procedure = owner
                title = QLabel(f"■ {owner.name.text()}", self.form_host)
                title.setFont(ui_font(14, bold=True))
                title.setProperty("role", "title")
                title.setContentsMargins(0, 8, 0, 0)
                self.form.addRow(title)
            field = make_field(question, self.form_host)
            field.committed.connect(self.commit)
            label = QLabel(question.label.text() + (tr("　＊") if question.required else ""), self.form_host)
            label.setWordWrap(True)
            label.setMinimumWidth(260)
            label.setBuddy(field.focus_widget())
            error = error_label(self.form_host)
            holder = QWidget(self.form_host)
            holder.setMaximumWidth(self._answer_width())  # short answers do not need the full width
            hl = QVBoxLayout(holder)
            hl.setContentsMargins(0, 0, 0, 0)
            hl.setSpacing(2)
            hl.addWidget(field.widget)
            if question.help:
                hl.addWidget(note(question.help.text(), 11, holder))
            hl.addWidget(error)
            self.form.addRow(label, holder)
            self.fields[question.id] = field
            self._errors[question.id] = error
            self._rows[question.id] = (label, holder, error)
        answers = visit.interview.raw_answers()
        for qid, field in self.fields.items():
            field.set_value(answers.get(qid))
        self.refresh()

    def _answer_width(self) -> int:
        # 640 px suits 1280-1366 px screens; on wider ones the answers grow so the form is not a narrow strip.
        return max(640, int(self.width() * 0.5))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        super().resizeEvent(event)
        width = self._answer_width()
        for _, holder, _ in self._rows.values():
            holder.setMaximumWidth(width)

    def refresh(self) -> None:
        """Visibility, follow-on suggestions and the missing-answers hint, from the visit's state."""
        if self.visit is None:
            return
        interview = self.visit.interview
        for qid, (label, holder, _) in self._rows.items():
            visible = interview.is_visible(interview.question(qid))
            self.form.setRowVisible(label, visible) if hasattr(self.form, "setRowVisible") else None
            label.setVisible(visible)
            holder.setVisible(visible)
        while self.follow_layout.count():
            taken = self.follow_layout.takeAt(0)
            old = taken.widget() if taken is not None else None
            if old is not None:
                old.hide()  # gone from the screen now, not at the next turn of the event loop
                old.deleteLater()
        suggestions = interview.suggested_follow_ons()
        if suggestions:
            text = QLabel(tr("あわせて必要かもしれない手続き:"), self.follow_box)
            text.setProperty("role", "hint")
            self.follow_layout.addWidget(text)
            for procedure in suggestions:
                b: QPushButton = button(tr("＋ {procedure}").format(procedure=procedure.name.text()), self.follow_box)
                b.setToolTip(tr("{counter} の手続きを追加します").format(counter=procedure.counter.name.text()))
                b.clicked.connect(lambda _=False, pid=procedure.id: self.procedure_added.emit(pid))
                self.follow_layout.addWidget(b)
        self.follow_box.setVisible(bool(suggestions))

    def read_my_number(self) -> None:
        """F6: read the number for a procedure added after identification (no-op when not needed)."""
        if self.isVisible():
            self.number_panel.read()

    def cancel_number_read(self) -> None:
        self.number_panel.cancel()

    def focus_first(self) -> None:
        if self.visit is not None and not self.kana.text():
            self.kana.setFocus()
            return
        for qid, field in self.fields.items():
            if self._rows[qid][1].isVisible() or self.visit is None or self.visit.interview.is_visible(field.question):
                field.focus_widget().setFocus()
                return
        self.kana.setFocus()

    # -- committing ------------------------------------------------------------------------------

    def commit_kana(self) -> bool:
        if self.visit is None or not self.kana.text().strip():
            return True
        try:
            value = self.visit.set_name_kana(self.kana.text())
        except VisitError as exc:
            set_error(self.kana_error, exc.message.text())
            return False
        set_error(self.kana_error, "")
        if self.kana.text() != value:
            self.kana.setText(value)  # hiragana typed → katakana shown, as the forms will print it
        return True

    def commit(self, question_id: str) -> bool:
        if self.visit is None:
            return True
        field = self.fields[question_id]
        try:
            self.visit.answer(question_id, field.value())
        except AnswerError as exc:
            set_error(self._errors[question_id], exc.message.text())
            return False
        except VisitError as exc:
            set_error(self.error, exc.message.text())
            return False
        set_error(self._errors[question_id], "")
        self.refresh()
        return True

    def commit_all(self) -> bool:
        """Before leaving the step: every visible field once more (the last one may not have lost focus)."""
        ok = self.commit_kana()
        if self.visit is None:
            return ok
        for qid, field in self.fields.items():
            if self.visit.interview.is_visible(field.question):
                ok = self.commit(qid) and ok
        if not ok:
            self._focus_first_error()
        return ok

    def show_missing(self, message: str) -> None:
        missing = self.visit.interview.missing_required() if self.visit is not None else []
        shown = [q for q in missing if q.id in self._errors]
        for question in shown:
            set_error(self._errors[question.id], tr("入力してください"))
        # Each unanswered field says so under itself; the full list of names here took half the form's
        # height at 1366x728 (#14), so the line under the form gives the count and where to look.
        set_error(self.error, tr("未回答の必須項目が {count} 件あります。「入力してください」の欄を上から入力してください。")
                  .format(count=len(shown)) if shown else message)
        self._focus_first_error()

    def _focus_first_error(self) -> None:
        for qid, label in self._errors.items():
            if label.isVisibleTo(self.form_host) and label.text():
                self.fields[qid].focus_widget().setFocus()
                reveal(self._rows[qid][1])  # the field and its message, scrolled into the form's view
                return

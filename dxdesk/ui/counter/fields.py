"""One input widget per interview question type, all with the same small interface.

``value()`` returns what the clerk entered in the form ``Visit.answer`` accepts
(text, choice value, list, int, bool) or None when empty; the core validates and
normalises it, and ``AnswerError.message.text()`` is shown under the field.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QObject, QRegularExpression, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLineEdit, QSpinBox, QVBoxLayout, QWidget

from dxdesk.i18n import N_, tr
from dxdesk.counter import QuestionType
from dxdesk.counter import validators
from dxdesk.counter.procedures import Question
from dxdesk.wareki import format_wareki

from dxdesk.ui.theme import note

_UNSET = N_("選択してください")


class QuestionField(QObject):
    """Wraps the widget(s) of one question. ``committed`` fires when the clerk leaves or changes it."""

    committed = Signal(str)  # question id

    def __init__(self, question: Question, parent: QWidget) -> None:
        super().__init__(parent)
        self.question = question
        self.widget = self._build(parent)
        self.widget.setAccessibleName(question.label.text())

    def _build(self, parent: QWidget) -> QWidget:
        raise NotImplementedError

    def focus_widget(self) -> QWidget:
        return self.widget

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def _emit(self, *_: object) -> None:
        self.committed.emit(self.question.id)


class TextField(QuestionField):
    PATTERNS = {  # full-width digits and 〒 are what Japanese IMEs type
        QuestionType.POSTAL_CODE: r"[〒0-9０-９\-－ー‐ ]{0,10}",  # i18n: ja-only (input pattern)
        QuestionType.PHONE: r"[0-9０-９\-－ー‐()（） ]{0,16}",  # i18n: ja-only (input pattern)
    }

    def _build(self, parent: QWidget) -> QWidget:
        self.edit = QLineEdit(parent)
        self.edit.setMinimumHeight(34)
        pattern = self.PATTERNS.get(self.question.type)
        if pattern:
            self.edit.setValidator(QRegularExpressionValidator(QRegularExpression(pattern), self.edit))
        rules = self.question.validation
        if self.question.type in (QuestionType.TEXT, QuestionType.KANA) and isinstance(rules.max, int):
            self.edit.setMaxLength(rules.max)
        placeholders = {
            QuestionType.POSTAL_CODE: tr("例: 059-0902"), QuestionType.PHONE: tr("例: 090-1234-5678"),
            QuestionType.KANA: tr("カタカナ（ひらがなで入力しても直します）"),
        }
        self.edit.setPlaceholderText(placeholders.get(self.question.type, ""))
        self.edit.editingFinished.connect(self._emit)
        return self.edit

    def value(self) -> Any:
        return self.edit.text().strip() or None

    def set_value(self, value: Any) -> None:
        text = "" if value is None else str(value)
        if self.edit.text() != text:
            self.edit.setText(text)


class DateField(QuestionField):
    """Free text (和暦 or ISO) because clerks type what the resident says: 「令和8年3月28日」."""

    def _build(self, parent: QWidget) -> QWidget:
        box = QWidget(parent)
        self.edit = QLineEdit(box)
        self.edit.setMinimumHeight(34)
        self.edit.setPlaceholderText(tr("例: 令和8年3月28日 / R8.3.28 / 2026-03-28"))
        self.shown = note("", 12, box)
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 2)
        row.addWidget(self.shown, 1)
        self.edit.textChanged.connect(self._preview)
        self.edit.editingFinished.connect(self._emit)
        return box

    def focus_widget(self) -> QWidget:
        return self.edit

    def _preview(self, text: str) -> None:
        try:
            self.shown.setText(f"→ {format_wareki(validators.parse_date(text))}" if text.strip() else "")
        except ValueError:
            self.shown.setText("")

    def value(self) -> Any:
        return self.edit.text().strip() or None

    def set_value(self, value: Any) -> None:
        if isinstance(value, date):
            if self._current() != value:
                self.edit.setText(format_wareki(value))
        elif value is None:
            self.edit.clear()

    def _current(self) -> date | None:
        try:
            return validators.parse_date(self.edit.text())
        except ValueError:
            return None


class ChoiceField(QuestionField):
    """A combo box (keyboard: type the first letters or use the arrows); bool is はい/いいえ."""

    def _build(self, parent: QWidget) -> QWidget:
        self.combo = QComboBox(parent)
        self.combo.setMinimumHeight(34)
        self.combo.addItem(tr(_UNSET), None)
        if self.question.type is QuestionType.BOOL:
            self.combo.addItem(tr("はい"), True)
            self.combo.addItem(tr("いいえ"), False)
        else:
            for choice in self.question.choices:
                self.combo.addItem(choice.label.text(), choice.value)
        self.combo.currentIndexChanged.connect(self._emit)
        return self.combo

    def value(self) -> Any:
        return self.combo.currentData()

    def set_value(self, value: Any) -> None:
        index = self.combo.findData(value) if value is not None else 0
        if index >= 0 and index != self.combo.currentIndex():
            self.combo.blockSignals(True)
            self.combo.setCurrentIndex(index)
            self.combo.blockSignals(False)


class MultiField(QuestionField):
    def _build(self, parent: QWidget) -> QWidget:
        box = QWidget(parent)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        self.boxes: list[tuple[str, QCheckBox]] = []
        for choice in self.question.choices:
            check = QCheckBox(choice.label.text(), box)
            check.toggled.connect(self._emit)
            layout.addWidget(check)
            self.boxes.append((choice.value, check))
        return box

    def focus_widget(self) -> QWidget:
        return self.boxes[0][1] if self.boxes else self.widget

    def value(self) -> Any:
        return [v for v, check in self.boxes if check.isChecked()] or None

    def set_value(self, value: Any) -> None:
        chosen = set(value or ())
        for v, check in self.boxes:
            check.blockSignals(True)
            check.setChecked(v in chosen)
            check.blockSignals(False)


class IntField(QuestionField):
    """A spin box whose lowest position means "not answered yet" (shown as 未入力)."""

    def _build(self, parent: QWidget) -> QWidget:
        rules = self.question.validation
        low = int(rules.min) if rules.min is not None else 0
        high = int(rules.max) if rules.max is not None else 999
        self.spin = QSpinBox(parent)
        self.spin.setMinimumHeight(34)
        self.spin.setRange(low - 1, high)
        self.spin.setSpecialValueText(tr("未入力"))
        self.spin.setValue(low - 1)
        self.spin.editingFinished.connect(self._emit)
        return self.spin

    def value(self) -> Any:
        return None if self.spin.value() == self.spin.minimum() else self.spin.value()

    def set_value(self, value: Any) -> None:
        target = self.spin.minimum() if value is None else int(value)
        if self.spin.value() != target:
            self.spin.setValue(target)


def make_field(question: Question, parent: QWidget) -> QuestionField:
    t = question.type
    if t in (QuestionType.CHOICE, QuestionType.BOOL):
        return ChoiceField(question, parent)
    if t is QuestionType.MULTI:
        return MultiField(question, parent)
    if t is QuestionType.INT:
        return IntField(question, parent)
    if t is QuestionType.DATE:
        return DateField(question, parent)
    return TextField(question, parent)

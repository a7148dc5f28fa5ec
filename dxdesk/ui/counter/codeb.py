"""照合番号B entry: birth date (和暦 YYMMDD) + card expiry year + 4-digit security code = 14 digits.

These three are printed on the card's front (the security code under the photo),
so the clerk reads them off the card with the resident; no PIN is involved and the
PIN counter is never touched.
"""
from __future__ import annotations

import re

from PySide6.QtCore import Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QFormLayout, QLineEdit, QVBoxLayout, QWidget

from dxdesk.i18n import tr
from dxdesk.wareki import format_wareki, wareki_yymmdd

from .manual import parse_birth_date
from dxdesk.ui.scrolling import reveal
from dxdesk.ui.theme import button, error_label, heading, note, set_error


def _digits(pattern: str, parent: QWidget) -> QRegularExpressionValidator:
    from PySide6.QtCore import QRegularExpression

    return QRegularExpressionValidator(QRegularExpression(pattern), parent)


class CodeBForm(QWidget):
    """Emits ``submitted(str)`` with the 14-digit 照合番号B."""

    submitted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.birth_date = QLineEdit(self)
        self.birth_date.setPlaceholderText(tr("生年月日（例: 昭和55年2月17日）→ 下の6桁を自動入力"))
        self.birth_date.setAccessibleName(tr("生年月日から入力"))
        self.yymmdd = QLineEdit(self)
        self.yymmdd.setValidator(_digits(r"\d{0,6}", self))
        self.yymmdd.setPlaceholderText(tr("和暦の年月日 6桁（例: 550217）"))
        self.yymmdd.setAccessibleName(tr("生年月日 和暦6桁"))
        self.expiry = QLineEdit(self)
        self.expiry.setValidator(_digits(r"\d{0,4}", self))
        self.expiry.setPlaceholderText(tr("有効期限の西暦年 4桁（例: 2035）"))
        self.expiry.setAccessibleName(tr("有効期限の年"))
        self.security = QLineEdit(self)
        self.security.setValidator(_digits(r"\d{0,4}", self))
        self.security.setPlaceholderText(tr("セキュリティコード 4桁（顔写真の下）"))
        self.security.setAccessibleName(tr("セキュリティコード"))
        self.shown = note("")
        self.shown.hide()
        # A chosen procedure needs the My Number: say before the read that it can be added in place.
        self.number_note = note(tr("この受付には個人番号が必要な手続きがあります。照合番号Bで本人確認したあと、"
                                   "聞き取りの画面で「個人番号も読み取る（暗証番号）」から個人番号だけを読み取れます。"
                                   "受付をやり直す必要はありません。"), role="warning")
        self.number_note.hide()
        self.error = error_label(self)
        self.submit_button = button(tr("照合番号Bで読み取る（Enter）"), self, kind="primary")
        for w in (self.birth_date, self.yymmdd, self.expiry, self.security):
            w.setMinimumHeight(34)
            w.returnPressed.connect(self.submit)
        self.birth_date.textChanged.connect(self._prefill)
        self.submit_button.clicked.connect(self.submit)
        form = QFormLayout()
        form.addRow(tr("生年月日（入力補助）"), self.birth_date)
        form.addRow("", self.shown)
        form.addRow(tr("① 生年月日 和暦6桁"), self.yymmdd)
        form.addRow(tr("② 有効期限の年"), self.expiry)
        form.addRow(tr("③ セキュリティコード"), self.security)
        layout = QVBoxLayout(self)
        layout.addWidget(heading(tr("照合番号Bで読み取る（暗証番号なし）"), 16))
        layout.addWidget(note(tr("カードの表面に印字された ①生年月日 ②有効期限の年 ③セキュリティコード を入力します。"
                              "暗証番号の回数は減りません。個人番号が必要なときは、このあと暗証番号で追加して読み取れます。")))
        layout.addWidget(self.number_note)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.submit_button)
        layout.addStretch(1)

    def set_needs_my_number(self, needed: bool) -> None:
        self.number_note.setVisible(needed)

    def first_field(self) -> QWidget:
        return self.birth_date

    def _prefill(self, text: str) -> None:
        shown = ""
        if text.strip():
            try:
                day = parse_birth_date(text)
                self.yymmdd.setText(wareki_yymmdd(day))
                shown = f"→ {format_wareki(day)}"
            except ValueError:
                pass
        self.shown.setText(shown)
        self.shown.setVisible(bool(shown))  # no blank line in the form while there is nothing to show

    def code(self) -> str | None:
        problems: list[tuple[QLineEdit, str]] = []
        if not re.fullmatch(r"\d{6}", self.yymmdd.text()):
            problems.append((self.yymmdd, tr("生年月日は和暦の年月日6桁で入力してください")))
        if not re.fullmatch(r"\d{4}", self.expiry.text()):
            problems.append((self.expiry, tr("有効期限の年は西暦4桁で入力してください")))
        if not re.fullmatch(r"\d{4}", self.security.text()):
            problems.append((self.security, tr("セキュリティコードは数字4桁です")))
        if problems:
            set_error(self.error, tr("／").join(text for _, text in problems))
            problems[0][0].setFocus()  # the first field to fix, and the message under the form in view (#14)
            reveal(problems[0][0], self.error)
            return None
        set_error(self.error, "")
        return self.yymmdd.text() + self.expiry.text() + self.security.text()

    def submit(self) -> None:
        code = self.code()
        if code is not None:
            self.submitted.emit(code)

    def clear(self) -> None:
        for w in (self.birth_date, self.yymmdd, self.expiry, self.security):
            w.clear()
        set_error(self.error, "")

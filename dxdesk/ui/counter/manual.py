"""Manual identification: the clerk types what another ID document shows (no card is read)."""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from dxdesk.i18n import N_, tr
from dxdesk.counter import IdentifyMethod, VisitCardData, VisitError
from dxdesk.counter import validators
from dxdesk.wareki import format_wareki

from dxdesk.ui.scrolling import reveal
from dxdesk.ui.theme import button, error_label, heading, note, set_error

SEXES = (("", N_("選択してください")), ("1", N_("男")), ("2", N_("女")), ("9", N_("適用不能")), ("0", N_("不明")))


def parse_birth_date(text: str) -> date:
    """ISO, slashes or 和暦 (昭和55年2月17日, S55.2.17): the core's date parser, with a Japanese message."""
    try:
        return validators.parse_date(text)
    except ValueError:
        raise ValueError(tr("生年月日を入力してください（例: 昭和55年2月17日、1980-02-17）")) from None


class ManualEntryForm(QWidget):
    """Emits ``submitted`` with a VisitCardData (method MANUAL) once every field is valid."""

    submitted = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.family = QLineEdit(self)
        self.given = QLineEdit(self)
        self.kana = QLineEdit(self)
        self.kana.setPlaceholderText(tr("ひらがなでも可（カタカナに直します）"))
        self.address = QLineEdit(self)
        self.birth = QLineEdit(self)
        self.birth.setPlaceholderText(tr("例: 昭和55年2月17日 / S55.2.17 / 1980-02-17"))
        self.birth_shown = note("")
        self.birth_shown.hide()
        self.sex = QComboBox(self)
        for code, label in SEXES:
            self.sex.addItem(tr(label), code)
        self.my_number = QLineEdit(self)
        self.my_number.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)  # shown only while typing
        self.my_number.setMaxLength(14)
        self.my_number_label = QLabel(tr("個人番号（12桁）"), self)
        for w, name in ((self.family, tr("氏")), (self.given, tr("名")), (self.kana, tr("ふりがな")), (self.address, tr("住所")),
                        (self.birth, tr("生年月日")), (self.sex, tr("性別")), (self.my_number, tr("個人番号"))):
            w.setAccessibleName(name)
            w.setMinimumHeight(34)
        # A summary at the top of the form and each problem under its field; on a 1366 px screen the
        # form's lower half is below the fold, so the first field to fix is scrolled to and focused (#14).
        self.summary = error_label(self)
        self.errors: dict[QWidget, QLabel] = {}
        self._holders: dict[QWidget, QWidget] = {}  # field → the field (or its row) with its error line
        self.submit_button = button(tr("この内容で本人確認（Enter）"), self, kind="primary")
        self.submit_button.clicked.connect(self.submit)
        self.birth.textChanged.connect(self._show_wareki)

        names = QHBoxLayout()
        names.setContentsMargins(0, 0, 0, 0)
        names.addWidget(QLabel(tr("氏"), self))
        names.addWidget(self.family, 1)
        names.addWidget(QLabel(tr("名"), self))
        names.addWidget(self.given, 1)
        form = QFormLayout()
        form.addRow(tr("氏名"), self._with_error(self.family, names))
        form.addRow(tr("ふりがな"), self._with_error(self.kana))
        form.addRow(tr("住所"), self._with_error(self.address))
        form.addRow(tr("生年月日"), self._with_error(self.birth))
        form.addRow("", self.birth_shown)
        form.addRow(tr("性別"), self._with_error(self.sex))
        self.my_number_row = self._with_error(self.my_number)
        form.addRow(self.my_number_label, self.my_number_row)
        layout = QVBoxLayout(self)
        layout.addWidget(heading(tr("手入力で本人確認"), 16))
        layout.addWidget(note(tr("運転免許証などの本人確認書類を見ながら入力してください。カードは読み取りません。")))
        layout.addWidget(self.summary)
        layout.addLayout(form)
        layout.addWidget(self.submit_button)
        layout.addStretch(1)
        for w in (self.family, self.given, self.kana, self.address, self.birth, self.my_number):
            w.returnPressed.connect(self.submit)
        self.set_needs_my_number(False)

    def _with_error(self, field: QWidget, row: QHBoxLayout | None = None) -> QWidget:
        """The field (or its row) with its own error line under it, hidden while there is none."""
        holder = QWidget(self)
        box = QVBoxLayout(holder)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        if row is not None:
            box.addLayout(row)
        else:
            box.addWidget(field)
        self.errors[field] = error_label(holder)
        box.addWidget(self.errors[field])
        self._holders[field] = holder
        return holder

    def set_needs_my_number(self, needed: bool) -> None:
        self.my_number_row.setVisible(needed)
        self.my_number_label.setVisible(needed)

    def first_field(self) -> QWidget:
        return self.family

    def _show_wareki(self, text: str) -> None:
        try:
            shown = f"→ {format_wareki(parse_birth_date(text))}" if text.strip() else ""
        except ValueError:
            shown = ""
        self.birth_shown.setText(shown)
        self.birth_shown.setVisible(bool(shown))  # no blank line in the form while there is nothing to show

    def submit(self) -> None:
        family, given = self.family.text().strip(), self.given.text().strip()
        problems: list[tuple[QWidget, str]] = []
        if not family:
            problems.append((self.family, tr("氏を入力してください")))
        kana = ""
        if self.kana.text().strip():
            try:
                kana = validators.normalize_kana(self.kana.text())
            except ValueError:
                problems.append((self.kana, tr("ふりがなはひらがなかカタカナで入力してください")))
        if not self.address.text().strip():
            problems.append((self.address, tr("住所を入力してください")))
        birth: date | None = None
        try:
            birth = parse_birth_date(self.birth.text())
        except ValueError as exc:
            problems.append((self.birth, str(exc)))
        if not self.sex.currentData():
            problems.append((self.sex, tr("性別を選んでください")))
        if problems:
            self._show_problems(problems)
            return
        number = self.my_number.text().strip().replace(" ", "") if self.my_number_row.isVisible() else ""
        try:
            card = VisitCardData(
                IdentifyMethod.MANUAL, name=f"{family}\u3000{given}" if given else family,
                address=self.address.text().strip(), birth_date=birth, sex=str(self.sex.currentData()),  # type: ignore[arg-type]
                name_kana=kana, my_number=number or None,
            )
        except VisitError as exc:  # the number's check digit (the other fields were checked above)
            self._show_problems([(self.my_number if number else self.family, exc.message.text())])
            return
        self._show_problems([])
        self.submitted.emit(card)

    def _show_problems(self, problems: list[tuple[QWidget, str]]) -> None:
        """Each message under its field, all of them in the summary; the first field focused and scrolled to."""
        for field, label in self.errors.items():
            set_error(label, next((text for f, text in problems if f is field), ""))
        set_error(self.summary, tr("直すところが {count} か所あります: ").format(count=len(problems))
                  + tr("／").join(text for _, text in problems) if problems else "")
        if problems:
            first = problems[0][0]
            first.setFocus()
            # The summary and the field with its message; the field wins when both cannot show.
            reveal(self.summary, self._holders[first])

    def clear(self) -> None:
        for w in (self.family, self.given, self.kana, self.address, self.birth, self.my_number):
            w.clear()
        self.sex.setCurrentIndex(0)
        self._show_problems([])

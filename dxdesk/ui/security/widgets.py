"""Pieces shared by the sign-in, lock and administration screens (their look is dxdesk.ui.theme).

Errors become text through ``dxdesk.ui.errors.error_text``, like everywhere in the window.
"""
from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QWidget,
)

from dxdesk.i18n import Msg, tr
from dxdesk.security.passwords import password_problems
from dxdesk.ui.theme import message_label, show_message  # noqa: F401 - re-exported for the security/admin screens

log = logging.getLogger(__name__)

MSG_CONFIRM_MISMATCH = Msg(ja="確認用のパスワードが一致しません。", en="The two passwords do not match.")
MSG_CONFIRM_EMPTY = Msg(ja="確認のため、同じパスワードをもう一度入力してください。",
                        en="Enter the same password again to confirm.")

def password_edit(parent: QWidget | None = None, placeholder: str = "") -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    # No input-method composition: a password typed through the IME would be kana.
    edit.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)
    edit.setPlaceholderText(placeholder)
    return edit


class BusyRow(QWidget):
    """An indeterminate bar with a sentence, shown while a background check runs."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 0)  # indeterminate
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(10)
        self.label = QLabel(text, self)
        self.label.setProperty("role", "hint")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label)
        row.addWidget(self.bar, 1)
        self.hide()


class NewPasswordFields(QWidget):
    """New password + confirmation with the policy problems listed live, in Japanese.

    The same rules as the core (``password_problems``) so the clerk sees every problem
    before submitting; the core still checks again and its answer wins.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None, *, label: str = "",
                 form: QFormLayout | None = None) -> None:
        super().__init__(parent)
        label = label or tr("パスワード")  # callers pass their label already translated
        self.login = ""
        self.password = password_edit(self, tr("8文字以上"))
        self.confirm = password_edit(self, tr("もう一度入力"))
        self.problems_label = QLabel(self)
        # One short sentence per line, no wrapping: a wrapped label in a form row gets clipped.
        self.problems_label.setWordWrap(False)
        self.problems_label.setProperty("role", "problems")
        self.password.setAccessibleName(label)
        confirm_label = tr("{label}（確認）").format(label=label)
        self.confirm.setAccessibleName(confirm_label)
        own = form is None
        if form is None:
            form = QFormLayout(self)
            form.setContentsMargins(0, 0, 0, 0)
        form.addRow(f"{label}:", self.password)
        form.addRow(f"{confirm_label}:", self.confirm)
        form.addRow(self.problems_label)  # spans both columns
        if not own:
            self.hide()  # the rows live in the caller's form; this widget only owns the logic
        self.password.textChanged.connect(self._update)
        self.confirm.textChanged.connect(self._update)
        self._update()

    def set_login(self, login: str) -> None:
        """The policy forbids a password equal to the login, so it needs to know it."""
        # Imported here: dxdesk.security.clerks holds the account queries (SQLAlchemy), which the
        # sign-in dialog shown at start-up must not wait for.
        from dxdesk.security.clerks import normalize_login

        self.login = normalize_login(login)
        self._update()

    def problems(self) -> list[str]:
        pw, confirm = self.password.text(), self.confirm.text()
        found = [p.text() for p in password_problems(pw, self.login)]
        if not confirm:
            found.append(MSG_CONFIRM_EMPTY.text())
        elif pw != confirm:
            found.append(MSG_CONFIRM_MISMATCH.text())
        return found

    def is_acceptable(self) -> bool:
        return not self.problems()

    def value(self) -> str:
        return self.password.text()

    def clear(self) -> None:
        self.password.clear()
        self.confirm.clear()

    def show_problems(self, problems: list[str]) -> None:
        self.problems_label.setText("\n".join(tr("・{problem}").format(problem=p) for p in problems))

    def _update(self) -> None:
        # Only complain once the clerk has started typing; an empty form is not an error yet.
        typed = bool(self.password.text() or self.confirm.text())
        self.show_problems(self.problems() if typed else [])
        self.changed.emit()

"""表示設定 tab: the desk's display language (settings.general.language).

The choice is saved and audited like the other admin settings but applies from the next
sign-in: the screens of the running session were built in the current language, and
rebuilding them under a clerk mid-visit would lose what is on screen. A visitor who needs
the other language for one session uses the toggle on the sign-in dialog instead.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from dxdesk.app.settings import SettingsChanges
from dxdesk.config import Settings
from dxdesk.i18n import N_, tr
from dxdesk.security.permissions import PermissionDeniedError, Session
from dxdesk.ui.admin.common import BackgroundCalls
from dxdesk.ui.security.widgets import message_label

# Each language is named in itself, whatever the current language: someone who cannot read
# the current one must still recognise their own.
LANGUAGES: tuple[tuple[str, str], ...] = (("ja", "日本語"), ("en", "English"))  # i18n: ja-only
SETTING = "general.language"
MSG_SAVED = N_("表示言語を「{language}」にしました。次回のサインインから切り替わります。")


def language_name(code: str) -> str:
    return dict(LANGUAGES).get(code, code)


class DisplayTab(QWidget):
    language_saved = Signal(str)  # the language code, after the file write and the audit event

    def __init__(self, session: Session, settings: Settings, runner: Any, *, changes: SettingsChanges,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.settings = settings
        self.changes = changes

        title = QLabel(tr("表示設定"), self)
        title.setProperty("role", "title")
        self.language = QComboBox(self)
        for code, name in LANGUAGES:
            self.language.addItem(name, code)
        self.language.setCurrentIndex(self._index_of(settings.general.language))
        self.language.setMinimumWidth(200)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)  # a short choice, not a line
        form.addRow(tr("表示言語:"), self.language)
        hint = QLabel(tr("画面の言語です。変更は次回のサインインから反映されます。"
                         "サインイン画面の言語ボタンで、その回だけ切り替えることもできます。"), self)
        hint.setProperty("role", "hint")
        hint.setWordWrap(True)
        self.status = message_label(self)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(self.status)
        layout.addStretch(1)

        self.calls = BackgroundCalls(self, runner, self.status, [self.language])
        # activated: only the clerk's own choice saves, not setCurrentIndex from code.
        self.language.activated.connect(lambda index: self.set_language(self.language.itemData(index)))

    def _index_of(self, code: str) -> int:
        codes = [c for c, _name in LANGUAGES]
        return codes.index(code) if code in codes else 0

    def set_language(self, code: str) -> None:
        """Save ``code`` as the desk's display language (from the next sign-in) and audit it."""
        previous = self.settings.general.language
        if code == previous:
            return
        try:
            self.changes.check(self.session)
        except PermissionDeniedError as exc:
            self.calls.error(exc.message.text())
            self.language.setCurrentIndex(self._index_of(previous))
            return
        self.settings.general.language = code  # the sign-in dialog reads it from the shared Settings

        def failed(_exc: BaseException) -> None:
            # Not saved: show (and keep) what the file still says.
            self.settings.general.language = previous
            self.language.setCurrentIndex(self._index_of(previous))

        self.calls.call(
            lambda: self.changes.save(self.session, SETTING, value=code),
            lambda _r: self._saved(code), failed,
        )

    def _saved(self, code: str) -> None:
        self.calls.info(tr(MSG_SAVED).format(language=language_name(code)))
        self.language_saved.emit(code)

"""個人番号の追加読み取り: a procedure added after identification needs the My Number.

The resident is already identified (by PIN, or manually). When the clerk adds a
procedure that legally needs the number (国保加入, 児童手当 …), this panel appears in
the interview step. It asks the same 事務種別/処理事由 as the identify step, reads
the card with the PIN on the resident's pad, and attaches only the number to the
visit (``Visit.attach_my_number``). The basic four come off the card in the same
read (the card's integrity check covers both files); they are used only to check
that the card on the reader is the identified resident's, then dropped.
"""
from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from dxdesk.i18n import tr
from dxdesk.cardreader import errors as ce
from dxdesk.cardreader.model import CardHolder
from dxdesk.counter import IdentifyMethod, Visit, VisitCardData, VisitError
from dxdesk.security.mynumber import JimuType
from dxdesk.security.permissions import Permission, PermissionDeniedError, require
from dxdesk.ui.errors import MSG_READ_FAILED, error_text
from dxdesk.ui.qtfonts import ui_font

from .cardbridge import QtPinProvider, answer_exchange
from .codebnumber import OFFER_BUTTON, code_b_offer
from .pinpad import PinPadDialog
from .services import CounterServices
from dxdesk.ui.theme import WARNING_BORDER, WARNING_SOFT, button, show_message, error_label, note, set_error

log = logging.getLogger(__name__)


class PurposeFields(QFrame):
    """事務種別 and 処理事由: the law requires both before any read of the individual number."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jimu = QComboBox(self)
        for jt in JimuType:
            self.jimu.addItem(jt.label.text(), jt.value)
        self.jimu.setAccessibleName(tr("事務種別"))
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText(tr("処理事由（例: 児童手当の認定請求）"))
        self.reason.setAccessibleName(tr("処理事由"))
        self.reason.setMinimumHeight(34)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(tr("個人番号の読み取り: 事務種別"), self))
        layout.addWidget(self.jimu)
        layout.addWidget(QLabel(tr("処理事由"), self))
        layout.addWidget(self.reason, 1)

    def prefill(self, procedure_names: list[str]) -> None:
        if not self.reason.text():
            self.reason.setText(tr("、").join(procedure_names)[:100])
            self.reason.setCursorPosition(0)  # the start shows: a long English list was cut at the left

    def purpose(self) -> tuple[str, str] | None:
        """(事務種別, 処理事由), or None when the reason is empty (the caller explains and focuses it)."""
        reason = " ".join(self.reason.text().split())
        if not reason:
            return None
        return str(self.jimu.currentData()), reason


def _same_person(card: VisitCardData, holder: CardHolder) -> bool:
    """Name (ignoring spacing and width) and birth date must match the identified resident."""
    def norm(text: str) -> str:
        return "".join(unicodedata.normalize("NFKC", text).split())

    return holder.birth_date == card.birth_date and norm(holder.name) == norm(card.name)


class NumberReadPanel(QFrame):
    """Shown in the interview while a chosen procedure needs the number and the visit has none."""

    attached = Signal()  # the number is on the visit now
    notice = Signal(str, bool)  # status-line text, is_error
    audited = Signal(object)  # the Future of the read's card.read audit event (the page watches it)

    def __init__(self, services: CounterServices | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.card_service = services.card_service if services is not None else None
        self.visit: Visit | None = None
        self.pin_dialog: PinPadDialog | None = None
        self._reading = False
        self._read_id = 0  # as in IdentifyStep: a late answer of a cancelled read is dropped
        # Set by the page: whether the card is training mode's fictional one (the PIN pad says so).
        self.is_simulated: Callable[[], bool] = lambda: False
        # Set by the page: (PIN tries left as the identify step last saw them, the lock-out margin).
        self.pin_tries: Callable[[], tuple[int | None, int]] = lambda: (None, 1)
        self._tries_after_read: int | None = None  # a wrong PIN here: fewer tries than the identify step saw
        self._provider = QtPinProvider(self.card_service, self) if self.card_service is not None else None
        if self._provider is not None:
            self._provider.pin_requested.connect(self._show_pin_pad)
        self.setProperty("panel", True)
        # A caution: the number is needed but not read yet (warning colours of the theme).
        self.setStyleSheet(f"QFrame[panel=\"true\"] {{ background: {WARNING_SOFT}; border: 1px solid {WARNING_BORDER}; }}")
        self.title = QLabel(tr("個人番号が必要です"), self)
        self.title.setFont(ui_font(14, bold=True))
        self.title.setProperty("role", "warning")
        self.explain = note("", 12, self, role="body")
        self.purpose = PurposeFields(self)
        self.read_button = button(tr("個人番号を読み取る（F6）"), self, kind="primary")
        self.read_button.clicked.connect(self.read)
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        self.error = error_label(self)
        self.status.hide()  # no blank line under the fields while there is nothing to say
        # The button on its own line: beside the purpose fields the English row was wider than 1366 px (#14).
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.read_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.explain)
        layout.addWidget(self.purpose)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        self.hide()

    # -- state -----------------------------------------------------------------------------------

    def update_for(self, visit: Visit | None) -> None:
        """Visible only while the number is needed and missing."""
        if visit is not self.visit:
            self._tries_after_read = None
        self.visit = visit
        card = visit.card if visit is not None else None
        needed = bool(visit is not None and visit.needs_my_number and card is not None
                      and not card.discarded and not card.has_my_number)
        self.setVisible(needed)
        if not needed or visit is None or card is None:
            show_message(self.status, "", "body")
            set_error(self.error, "")
            return
        names = [p.name.text() for p in visit.procedures if p.requires_my_number]
        self.purpose.prefill(names)
        quoted = tr("、").join(tr("「{procedure}」").format(procedure=n) for n in names)
        if self.card_service is None:
            self.explain.setText(tr("{procedures}には個人番号が必要ですが、この端末ではカードを読み取れません。")
                                 .format(procedures=quoted))
            self.read_button.setEnabled(False)
            return
        code_b = card.method is IdentifyMethod.CARD_MATCHING_B
        self.read_button.setText(tr(OFFER_BUTTON) if code_b else tr("個人番号を読み取る（F6）"))
        if code_b:  # the B read opened no number: offer the PIN read in place (codebnumber.py)
            tries, minimum = self.pin_tries()
            offer = code_b_offer(quoted, tries if self._tries_after_read is None else self._tries_after_read, minimum)
            self.explain.setText(offer.explain)
            self.read_button.setEnabled(offer.can_read and not self._reading)
            return
        self.explain.setText(tr("{procedures}には個人番号が必要です。ご本人のカードを読み取り機に置いていただき、"
                                "暗証番号はご本人が専用の画面で押します。読み取るのは個人番号だけです。")
                             .format(procedures=quoted))
        self.read_button.setEnabled(not self._reading)

    @property
    def reading(self) -> bool:
        return self._reading

    # -- reading ---------------------------------------------------------------------------------

    def read(self) -> None:
        if not self.isVisible() or not self.read_button.isEnabled() or self._reading:
            return
        visit = self.visit
        if visit is None or self.card_service is None or self._provider is None or self.services is None:
            return
        purpose = self.purpose.purpose()
        if purpose is None:
            set_error(self.error, tr("個人番号を読み取るには、事務種別と処理事由が必要です。処理事由を入力してください。"))
            self.purpose.reason.setFocus()
            return
        session = self.services.session
        try:
            require(session, Permission.READ_CARD)
            require(session, Permission.READ_MY_NUMBER)
        except PermissionDeniedError as exc:
            set_error(self.error, exc.message.text())
            self.notice.emit(exc.message.text(), True)
            return
        set_error(self.error, "")
        self._reading = True
        self._read_id += 1
        read_id = self._read_id
        self.read_button.setEnabled(False)
        show_message(self.status, tr("カードを読み取っています。カードを動かさないでください…"), "body")
        handle = self.services.runner.watch(self.card_service.read_card(self._provider, include_my_number=True), owner=self)
        handle.finished.connect(lambda result: self._on_read(visit, result, purpose) if read_id == self._read_id else None)
        handle.failed.connect(lambda exc: self._on_error(exc) if read_id == self._read_id else None)

    def _on_read(self, visit: Visit, result, purpose: tuple[str, str]) -> None:
        self._reading = False
        self._close_pin_pad()
        holder, simulated = result.holder, result.source.simulated
        result = None  # the holder goes out of scope with this call; only the number is kept (on the visit)
        if visit is not self.visit or visit.closed:
            self.update_for(self.visit)
            return
        card = visit.card
        try:
            if card is None or not _same_person(card, holder):
                self._fail(tr("読み取り機のカードは、本人確認した方のカードではありません（氏名・生年月日が一致しません）。"
                           "個人番号は取り込んでいません。"))
                return
            if holder.my_number is None:
                self._fail(tr("カードから個人番号を読み取れませんでした。"))
                return
            assert self.services is not None  # read() ran only with services
            audited = self.services.visits.attach_my_number(visit, holder.my_number, simulated=simulated,
                                                            jimu_type=purpose[0], reason=purpose[1])
        except (VisitError, PermissionDeniedError) as exc:
            self._fail(exc.message.text())
            return
        finally:
            holder = None
        self.audited.emit(audited)
        show_message(self.status, "", "body")
        self.update_for(visit)
        self.notice.emit(tr("個人番号を読み取りました。") + (tr("（模擬カード）") if simulated else ""), False)
        self.attached.emit()

    def _on_error(self, exc: BaseException) -> None:
        self._reading = False
        self._close_pin_pad()
        if not isinstance(exc, ce.CardError):
            log.warning("My Number read failed: %s", type(exc).__name__)
        if isinstance(exc, (ce.WrongPinError, ce.LowTriesError)):
            self._tries_after_read = exc.tries_left
        elif isinstance(exc, ce.PinBlockedError):
            self._tries_after_read = 0
        self._fail(error_text(exc, MSG_READ_FAILED))

    def _fail(self, message: str) -> None:
        show_message(self.status, tr("個人番号: 読み取れませんでした"), "error")
        set_error(self.error, message)
        self.notice.emit(message, True)
        self.update_for(self.visit)

    def cancel(self) -> None:
        """Suspend, cancel or shutdown: wake the card thread and close the resident's pad."""
        if self.card_service is not None and self._reading:
            self.card_service.cancel()
            self._read_id += 1
            self._reading = False
            self._close_pin_pad()
            self._fail(tr("個人番号の読み取りを取り消しました。もう一度読み取るには「個人番号を読み取る」を押してください。"))
        self._close_pin_pad()

    # -- PIN pad ---------------------------------------------------------------------------------

    def _show_pin_pad(self, key_label: str, tries_left: int, exchange) -> None:
        dialog = PinPadDialog(tries_left, self.window(), simulated=self.is_simulated())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: answer_exchange(exchange, dialog.take_pin()))
        dialog.accepted.connect(lambda: show_message(self.status, tr("カードを読み取っています。カードを動かさないでください…"), "body"))
        dialog.rejected.connect(exchange.cancel)
        self.pin_dialog = dialog
        dialog.destroyed.connect(lambda *_: setattr(self, "pin_dialog", None))
        show_message(self.status, tr("ご本人が暗証番号を入力しています…"), "ok")
        dialog.show_for_resident()

    def _close_pin_pad(self) -> None:
        if self.pin_dialog is not None:
            self.pin_dialog.reject()
            self.pin_dialog = None

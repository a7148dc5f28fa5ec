"""本人確認 step: live reader/card state, PIN read via the resident's pad, 照合番号B, manual entry.

Policy (docs/cardreader.md, "Lockout policy"): the remaining PIN tries are read and shown before any PIN
is asked; with fewer than ``settings.card.min_tries_for_pin`` left (1 by default)
the PIN pad is never shown and the PIN-less routes are offered instead.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame, QHBoxLayout, QStackedWidget, QVBoxLayout, QWidget,
)

from dxdesk.i18n import N_, Msg, tr
from dxdesk.cardreader import errors as ce
from dxdesk.cardreader.service import ReadCancelledError
from dxdesk.counter import IdentifyMethod, VisitCardData, VisitError
from dxdesk.ui.errors import MSG_READ_FAILED, error_text
from dxdesk.ui.scrolling import reveal

from .card_help import CardHelp, help_for
from .cardstatus import CardStatusPanel, spaced
from .cardbridge import QtPinProvider, answer_exchange
from .codeb import CodeBForm
from .facecheck import FaceCheckDialog, check_identity
from .manual import ManualEntryForm
from .numberread import PurposeFields
from .pinpad import PIN_UNKNOWN_HELP, PinPadDialog, WrongPinNotice, close_notice, show_wrong_pin_notice
from .services import CounterServices
from dxdesk.ui.theme import LARGE_PT, SECTION_PT, button, heading, note, show_message

log = logging.getLogger(__name__)

MSG_STATUS_FAILED = Msg("カード読み取り機の状態を確認できませんでした。", "Could not check the card reader status.")

# Above this step height (a 1920x1080 counter screen) the panels have room for larger type and
# for the usual procedure beside a problem's help; below it (1366x768) they keep today's sizes.
ROOMY_HEIGHT_PX = 820
# (reader, card state, tries figure, tries text, guide/help steps) in points, compact and roomy.
_SIZES = {False: (LARGE_PT, 20, 72, 20, LARGE_PT), True: (18, 28, 120, 26, 18)}


@dataclass(frozen=True)
class Identification:
    """What the page needs after identification: the data and how it was obtained (for the audit)."""

    card: VisitCardData
    simulated: bool = False
    jimu_type: str = ""
    reason: str = ""
    renewals: tuple[str, ...] = ()  # catalogue ids the card's or certificate's expiry suggests (facecheck.py)


class IdentifyStep(QWidget):
    identified = Signal(object)  # Identification
    message = Signal(str)

    PAGE_CARD, PAGE_CODE_B, PAGE_MANUAL = range(3)

    def __init__(self, services: CounterServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.card_service = services.card_service
        self.tries_left: int | None = None
        self.card_present = False
        self.simulated = False
        self.pin_dialog: PinPadDialog | None = None
        self.face_dialog: FaceCheckDialog | None = None
        self.wrong_pin_notice: WrongPinNotice | None = None  # on the resident's screen after a wrong PIN
        self._pin_unknown = False  # the resident pressed 「わからない・やめる」 on the pad
        self._reading = False
        self._read_id = 0  # bumped by each read and by cancel_read: a late answer of an abandoned read is dropped
        self._needs_my_number = False
        self._provider = QtPinProvider(self.card_service, self) if self.card_service else None
        if self._provider is not None:
            self._provider.pin_requested.connect(self._show_pin_pad)

        # -- status panel: large, so the clerk reads the card state from a step back
        status = CardStatusPanel(self)
        self.reader_label, self.demo_badge, self.card_label = status.reader_label, status.demo_badge, status.card_label
        self.tries_figure, self.tries_label = status.tries_figure, status.tries_label

        # -- My Number purpose (only when a chosen procedure requires the number)
        self.purpose_box = PurposeFields(self)
        self.jimu, self.reason = self.purpose_box.jimu, self.purpose_box.reason
        self.purpose_box.hide()

        # -- actions
        self.read_button = button(tr("カードを読み取る（F2）"), self, kind="primary", size=14)
        self.code_b_button = button(tr("照合番号Bで読み取る（F4）"), self)
        self.manual_button = button(tr("手入力（F3）"), self)
        self.refresh_button = button(tr("状態を更新"), self)
        self.read_button.clicked.connect(self.read_with_pin)
        self.code_b_button.clicked.connect(self.show_code_b)
        self.manual_button.clicked.connect(self.show_manual)
        self.refresh_button.clicked.connect(self.refresh_status)
        actions = QHBoxLayout()
        for b in (self.read_button, self.code_b_button, self.manual_button, self.refresh_button):
            actions.addWidget(b)
        actions.addStretch(1)

        # -- help panel (a problem with the card or reader, in plain language)
        self.help_box = QFrame(self)
        self.help_box.setProperty("panel", True)
        self.help_title = heading("", SECTION_PT, self.help_box)
        self.help_title.setProperty("role", "error")
        self.help_message = note("", 13, self.help_box, role="body")
        self.help_steps = note("", LARGE_PT, self.help_box, role="body")
        hl = QVBoxLayout(self.help_box)
        hl.setContentsMargins(20, 16, 20, 16)
        hl.addWidget(self.help_title)
        hl.addWidget(self.help_message)
        hl.addWidget(self.help_steps)
        hl.addStretch(1)
        self.help_box.hide()
        # -- the usual procedure, shown while there is no problem to explain
        self.guide_box = QFrame(self)
        self.guide_box.setProperty("panel", True)
        gl = QVBoxLayout(self.guide_box)
        gl.setContentsMargins(20, 16, 20, 16)
        gl.addWidget(heading(tr("読み取りの手順"), SECTION_PT, self.guide_box))
        self.guide_text = note(spaced(tr("1. ご本人にマイナンバーカードを読み取り機に置いていただきます。\n"
                          "2. 「カードを読み取る（F2）」を押します。\n"
                          "3. 暗証番号（数字4桁）はご本人がお客様用の画面で押します。職員は入力しません。\n"
                          "暗証番号が分からない・残り回数が少ないときは、照合番号B（F4）か手入力（F3）で確認します。")),
                          LARGE_PT, self.guide_box, role="body")
        gl.addWidget(self.guide_text)
        gl.addStretch(1)

        # -- alternatives
        self.stack = QStackedWidget(self)
        card_page = QWidget(self)  # the card route needs nothing below the panels
        self.code_b_form = CodeBForm(self)
        self.manual_form = ManualEntryForm(self)
        self.stack.addWidget(card_page)
        self.stack.addWidget(self.code_b_form)
        self.stack.addWidget(self.manual_form)
        # The card route has nothing below the panels: let them take the height instead of a blank area.
        self.stack.currentChanged.connect(self._page_changed)
        self.code_b_form.submitted.connect(self.read_with_code_b)
        self.manual_form.submitted.connect(lambda card: self.identified.emit(Identification(card)))

        panels = QHBoxLayout()
        panels.setSpacing(16)
        panels.addWidget(status, 1)
        # One right-hand column: a problem's help on top of the usual procedure.
        side = QVBoxLayout()
        side.setSpacing(16)
        side.addWidget(self.help_box, 1)
        side.addWidget(self.guide_box, 1)
        panels.addLayout(side, 1)
        self._roomy: bool | None = None

        layout = QVBoxLayout(self)
        layout.addWidget(heading(tr("本人確認")))
        self._panels = panels
        layout.addLayout(panels, 1)
        layout.addWidget(self.purpose_box)
        layout.addLayout(actions)
        layout.addWidget(self.stack, 1)
        self._layout = layout
        self._set_roomy(False)
        self._page_changed(self.stack.currentIndex())
        if self.card_service is None:
            self.reader_label.setText(tr("この端末ではカードを読み取れません（手入力のみ）"))
            for b in (self.read_button, self.code_b_button, self.refresh_button):
                b.setEnabled(False)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self._set_roomy(self.height() >= ROOMY_HEIGHT_PX)

    def _set_roomy(self, roomy: bool) -> None:
        """Type sizes for the room there is; the clerk reads the state and tries from a step back."""
        if roomy == self._roomy:
            return
        self._roomy = roomy
        reader, card, figure, tries, steps = _SIZES[roomy]
        # A size in the label's own style sheet, not setFont(): these labels change role (ok, error)
        # and every re-polish would bring back the font they had when first polished.
        sizes = ((self.reader_label, reader), (self.card_label, card), (self.tries_figure, figure),
                 (self.tries_label, tries), (self.guide_text, steps), (self.help_steps, steps),
                 (self.help_message, steps - 1))
        for label, points in sizes:
            label.setStyleSheet(f"font-size: {points}pt;")
        self._show_side_panels()

    def _show_side_panels(self) -> None:
        """With room, the usual procedure stays visible under a problem's help; without, the help replaces it."""
        problem = not self.help_box.isHidden()
        self.guide_box.setVisible(not problem or bool(self._roomy))

    def _page_changed(self, index: int) -> None:
        """The card route has nothing below the panels: they take the height instead of a blank area;
        照合番号B and manual entry need the room for their form."""
        card = index == self.PAGE_CARD
        self.stack.setVisible(not card)
        self._layout.setStretchFactor(self._panels, 1 if card else 0)

    # -- lifecycle -----------------------------------------------------------------------------

    def begin(self, needs_my_number: bool, procedure_names: list[str]) -> None:
        """A new identification (new visit or resumed one)."""
        self._needs_my_number = needs_my_number
        self.purpose_box.setVisible(needs_my_number)
        if needs_my_number:
            self.purpose_box.prefill(procedure_names)
        self.manual_form.set_needs_my_number(needs_my_number)
        self.code_b_form.set_needs_my_number(needs_my_number)
        self.manual_form.clear()
        self.code_b_form.clear()
        self.show_help(None)
        if self.card_service is None:
            self._open(self.PAGE_MANUAL, self.manual_form)
        else:
            self.stack.setCurrentIndex(self.PAGE_CARD)
            self.refresh_status()

    def focus_first(self) -> None:
        page = self.stack.currentIndex()
        if page == self.PAGE_CODE_B:
            self.code_b_form.first_field().setFocus()
        elif page == self.PAGE_MANUAL:
            self.manual_form.first_field().setFocus()
        elif self.read_button.isEnabled():
            self.read_button.setFocus()
        else:
            self.code_b_button.setFocus()

    @property
    def min_tries(self) -> int:
        return max(1, self.services.settings.card.min_tries_for_pin)

    @property
    def pin_allowed(self) -> bool:
        return self.tries_left is None or self.tries_left >= self.min_tries

    # -- status --------------------------------------------------------------------------------

    def refresh_status(self) -> None:
        if self.card_service is None:
            return
        handle = self.services.runner.watch(self.card_service.status(), owner=self)
        handle.finished.connect(self._on_status)
        handle.failed.connect(lambda exc: self._on_status_error(exc))

    def _on_status(self, status) -> None:
        source = status.source
        self.simulated = bool(source and source.simulated)
        self.demo_badge.setVisible(self.simulated)
        if source is None:
            self.reader_label.setText(tr("読み取り機: 見つかりません"))
        else:
            self.reader_label.setText(tr("読み取り機: {reader}").format(reader=tr("模擬カード（研修用）") if self.simulated else source.reader))
        self.card_present = status.card_present
        self.tries_left = status.tries_left
        if not status.card_present:
            show_message(self.card_label, tr("カード: 置かれていません（読み取り機に置いてください）"), "body")
        else:
            show_message(self.card_label, tr("カード: 置かれています"), "ok")
        self._show_tries()
        if status.problem is not None:
            self.show_help(CardHelp(N_("カードを確認してください"), ()), status.problem.text())
        self._update_buttons()

    def _on_status_error(self, exc: BaseException) -> None:
        message = error_text(exc, MSG_STATUS_FAILED)
        self.reader_label.setText(tr("読み取り機: 使えません"))
        self.show_help(help_for(exc), message)
        self._update_buttons()

    def _show_tries(self) -> None:
        if self.tries_left is None:
            self.tries_label.setText("")
            self.tries_figure.setText("")
            return
        if self.tries_left == 0:
            text, role = tr("暗証番号: ロックされています"), "error"
        elif not self.pin_allowed:
            text, role = tr("暗証番号の残り回数: {count} 回（ロック防止のため暗証番号は使いません）").format(count=self.tries_left), "error"
        else:
            text, role = tr("暗証番号の残り回数: {count} 回").format(count=self.tries_left), "ok" if self.tries_left >= 3 else "warning"
        show_message(self.tries_label, text, role)
        show_message(self.tries_figure, "×" if self.tries_left == 0 else str(self.tries_left), role)
        if self.tries_left == 0:
            self.show_help(help_for(ce.PinBlockedError()), ce.PinBlockedError().message.text())
        elif not self.pin_allowed:
            self.show_help(help_for(ce.LowTriesError(self.tries_left)), ce.LowTriesError(self.tries_left).message.text())

    def _update_buttons(self) -> None:
        available = self.card_service is not None and not self._reading
        self.read_button.setEnabled(available and self.pin_allowed)
        self.code_b_button.setEnabled(available)
        self.refresh_button.setEnabled(available)

    def on_card_event(self, event: object) -> None:
        """A monitor event (already on the GUI thread): show it, then re-read the status."""
        name = type(event).__name__
        texts = {
            "CardInserted": tr("カードが置かれました"), "CardRemoved": tr("カードが外されました"),
            "ReaderAdded": tr("読み取り機がつながりました"), "ReaderRemoved": tr("読み取り機が外されました"),
            "ServiceUnavailable": tr("カード読み取りサービスが止まっています"), "ServiceAvailable": tr("カード読み取りサービスが使えます"),
        }
        if name in texts:
            self.message.emit(texts[name])
        if name == "CardRemoved":
            self.card_present = False
            self.tries_left = None
            show_message(self.card_label, tr("カード: 置かれていません（読み取り機に置いてください）"), "body")
            self._show_tries()
        if not self._reading:
            self.refresh_status()

    # -- help ----------------------------------------------------------------------------------

    def show_help(self, help_: CardHelp | None, message: str = "") -> None:
        if help_ is None:
            self.help_box.hide()
            self._show_side_panels()
            return
        self.help_title.setText(tr(help_.title))  # CardHelp texts are msgids (N_)
        self.help_message.setText(message)
        self.help_message.setVisible(bool(message))
        steps = "\n".join(tr("・{item}").format(item=tr(s)) for s in help_.steps)
        extras = []
        if help_.offer_code_b and self.card_service is not None:
            extras.append(tr("照合番号B（F4）"))
        if help_.offer_manual:
            extras.append(tr("手入力（F3）"))
        if extras:
            steps += tr("\n→ 切り替え: ") + tr("／").join(extras)
        self.help_steps.setText(spaced(steps))
        self.help_box.show()
        self._show_side_panels()  # on a small screen the problem's own steps replace the usual ones

    # -- reading -------------------------------------------------------------------------------

    def show_code_b(self) -> None:
        if self.card_service is not None:
            self._open(self.PAGE_CODE_B, self.code_b_form)
            self.message.emit("")  # 「受付を開始しました。」 is stale once the clerk is at the form

    def show_manual(self) -> None:
        self._open(self.PAGE_MANUAL, self.manual_form)
        self.message.emit("")

    def _open(self, page: int, form: CodeBForm | ManualEntryForm) -> None:
        """Below the panels, a form opened at 1366x728 starts under the fold: scroll it up and focus it (#14)."""
        self.stack.setCurrentIndex(page)
        form.first_field().setFocus()
        reveal(form)

    def _purpose(self) -> tuple[str, str] | None:
        if not self._needs_my_number:
            return "", ""
        purpose = self.purpose_box.purpose()
        if purpose is None:
            self.show_help(CardHelp(N_("処理事由を入力してください"), (N_("個人番号を読み取るには、事務種別と処理事由が必要です。"),), offer_manual=False))
            self.reason.setFocus()
        return purpose

    def read_with_pin(self) -> None:
        if self.card_service is None or self._provider is None or self._reading:
            return
        if not self.pin_allowed:
            # Never ask for a PIN that could lock the card: explain and offer the PIN-less route.
            self._show_tries()
            self.show_code_b()
            return
        purpose = self._purpose()
        if purpose is None:
            return
        self._start(self.card_service.read_card(self._provider, include_my_number=self._needs_my_number, identity=True),
                    IdentifyMethod.CARD_PIN, purpose)

    def read_with_code_b(self, code: str) -> None:
        if self.card_service is None or self._provider is None or self._reading:
            return
        # 照合番号B opens the basic four only; the number (if needed) is added later with the PIN or typed.
        self._start(self.card_service.read_card(self._provider, include_my_number=False, code_b=code, identity=True),
                    IdentifyMethod.CARD_MATCHING_B, ("", ""))

    def _start(self, future, method: IdentifyMethod, purpose: tuple[str, str]) -> None:
        self._reading = True
        self._read_id += 1
        read_id = self._read_id
        self._update_buttons()
        self.show_help(None)
        self.message.emit("")  # 「受付を開始しました。」 is stale once the card is being read
        show_message(self.card_label, tr("カードを読み取っています。カードを動かさないでください…"), "body")
        handle = self.services.runner.watch(future, owner=self)
        handle.finished.connect(lambda result: self._on_read(result, method, purpose) if read_id == self._read_id else None)
        handle.failed.connect(lambda exc: self._on_read_error(exc) if read_id == self._read_id else None)

    def _on_read(self, result, method: IdentifyMethod, purpose: tuple[str, str]) -> None:
        self._reading = False
        self._close_pin_pad()
        close_notice(self.wrong_pin_notice)
        self._update_buttons()
        extras = getattr(result, "extras", None)
        try:
            card = VisitCardData.from_card_holder(method, result.holder)
        except VisitError as exc:
            self.show_help(help_for(ce.CardDataError()), exc.message.text())
            return
        finally:
            result = None  # the holder (with any number) is not kept beyond VisitCardData
        show_message(self.card_label, tr("カード: 読み取りました"), "ok")
        # Hook (facecheck.py): the chip's photo for the clerk, expiry, renewals; then identified.
        self.face_dialog = check_identity(
            self, extras, card, today=self.services.local_now().date(),
            months=self.services.settings.card.renewal_warning_months, catalogue=self.services.catalogue,
            confirmed=lambda renewals: self.identified.emit(Identification(card, self.simulated, *purpose, renewals)),
            mismatch=lambda: self._face_mismatch(card))
        if self.face_dialog is not None:
            self.face_dialog.finished.connect(lambda *_: setattr(self, "face_dialog", None))
        extras = None

    def _face_mismatch(self, card: VisitCardData) -> None:
        card.discard()
        show_message(self.card_label, tr("カード: 顔写真で本人を確認できませんでした"), "error")
        self.show_help(CardHelp(N_("顔写真で本人を確認できませんでした"),
                                (N_("読み取った内容は使いません。他の本人確認書類で確認してください。"),)))

    def _on_read_error(self, exc: BaseException) -> None:
        self._reading = False
        self._close_pin_pad()
        if isinstance(exc, ReadCancelledError) and self._pin_unknown:
            self._pin_unknown = False
            self._update_buttons()
            self.show_code_b()  # 「わからない・やめる」: the card was not touched; 照合番号B needs no PIN
            self.show_help(PIN_UNKNOWN_HELP)
            return
        if isinstance(exc, ce.WrongPinError) and exc.tries_left is not None:
            self.wrong_pin_notice = show_wrong_pin_notice(self.window(), exc.tries_left)
        if isinstance(exc, ce.CardError):
            if isinstance(exc, (ce.WrongPinError, ce.LowTriesError)):
                self.tries_left = exc.tries_left
            elif isinstance(exc, ce.PinBlockedError):
                self.tries_left = 0
            self._show_tries()
            show_message(self.card_label, tr("カード: 読み取れませんでした"), "error")
            self.show_help(help_for(exc), error_text(exc))
            if not self.pin_allowed:
                self.show_code_b()
        else:
            log.warning("card read failed: %s", type(exc).__name__)
            self.show_help(help_for(exc), error_text(exc, MSG_READ_FAILED))
        self._update_buttons()

    def cancel_read(self) -> None:
        """Suspend, cancel, shutdown: stop the read; whatever the card thread still returns is dropped."""
        if self.face_dialog is not None:
            self.face_dialog.close()  # the photo never outlives the identify step
        if self.card_service is not None and self._reading:
            self.card_service.cancel()
            self._read_id += 1
            self._reading = False
            show_message(self.card_label, tr("カード: 読み取りを取り消しました"), "body")
            self._update_buttons()
        self._close_pin_pad()
        close_notice(self.wrong_pin_notice)

    # -- PIN pad -------------------------------------------------------------------------------

    def _show_pin_pad(self, key_label: str, tries_left: int, exchange) -> None:
        self.tries_left = tries_left
        self._show_tries()
        dialog = PinPadDialog(tries_left, self.window(), simulated=self.simulated)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: answer_exchange(exchange, dialog.take_pin()))
        dialog.accepted.connect(lambda: self.card_label.setText(tr("カードを読み取っています。カードを動かさないでください…")))
        dialog.rejected.connect(exchange.cancel)
        dialog.dont_know.connect(lambda: setattr(self, "_pin_unknown", True))
        close_notice(self.wrong_pin_notice)
        self.pin_dialog = dialog
        dialog.destroyed.connect(lambda *_: setattr(self, "pin_dialog", None))
        self.card_label.setText(tr("ご本人が暗証番号を入力しています…"))
        dialog.show_for_resident()

    def _close_pin_pad(self) -> None:
        if self.pin_dialog is not None:
            self.pin_dialog.reject()
            self.pin_dialog = None

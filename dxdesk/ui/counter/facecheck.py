"""本人確認 with the chip's face photo: the clerk compares it with the resident before the visit goes on.

Shown on the clerk's screen only (never moved to the resident screen), after a 照合番号B read that
returned the photo: the photo beside the four items, the card's expiry (an expired card flagged), the
electronic certificate's expiry, the chip signature check (anything but "verified" is a red warning)
and the renewals the visit will offer. One key — Enter, 「顔写真と本人を確認した」 — accepts; Esc says the
photo does not match, and the read is not used.

Privacy (issue #18): the photo exists only as this dialog's pixmap, built from the in-memory raster;
it is cleared and the dialog deleted on close, so it never outlives the identify step (let alone the
visit), and nothing here logs, stores or journals it.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QDialog, QFrame, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from dxdesk.cardreader.chipcheck import ChipStatus
from dxdesk.cardreader.generations import IdentityExtras
from dxdesk.cardreader.validity import ExpiryState, expiry_state, suggested_renewals
from dxdesk.counter import Catalogue, VisitCardData
from dxdesk.counter.card import SEX_LABELS
from dxdesk.i18n import N_, tr
from dxdesk.timeutil import to_desk
from dxdesk.ui.theme import SECTION_PT, button, heading, note, show_message

PHOTO_HEIGHT_PX = 240

_STATE_TEXT = {
    ExpiryState.VALID: (N_("有効期限内"), "ok"),
    ExpiryState.EXPIRING_SOON: (N_("まもなく期限切れ"), "warning"),
    ExpiryState.EXPIRED: (N_("期限切れ"), "error"),
}


def renewals_for(extras: IdentityExtras | None, today: dt.date, months: int) -> list[str]:
    """Catalogue ids of the renewals a read suggests (card and certificate expiry)."""
    if extras is None:
        return []
    card = expiry_state(extras.card_expiry, today, months) if extras.card_expiry else None
    cert_day = to_desk(extras.auth_cert_not_after).date() if extras.auth_cert_not_after else None
    cert = expiry_state(cert_day, today, months) if cert_day else None
    return suggested_renewals(card, cert)


def _photo_pixmap(extras: IdentityExtras) -> QPixmap:
    photo = extras.photo
    assert photo is not None
    image = QImage(photo.raster, photo.width, photo.height, photo.width, QImage.Format.Format_Grayscale8)
    # QPixmap copies the pixels, so the raster object can go as soon as this returns.
    return QPixmap.fromImage(image).scaledToHeight(PHOTO_HEIGHT_PX, Qt.TransformationMode.SmoothTransformation)


class FaceCheckDialog(QDialog):
    """Accepted = the clerk confirmed the photo against the resident; rejected = it does not match."""

    def __init__(self, extras: IdentityExtras, items: list[tuple[str, str]], today: dt.date, months: int,
                 catalogue: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("顔写真で本人を確認"))
        self.setModal(True)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setMinimumWidth(780)
        self.renewals = renewals_for(extras, today, months)

        self.photo = QLabel(self)
        self.photo.setPixmap(_photo_pixmap(extras))
        self.photo.setAccessibleName(tr("ICチップの顔写真"))
        self.photo.setFrameShape(QFrame.Shape.Box)

        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setColumnStretch(1, 1)
        for row, (label, value) in enumerate(items):
            grid.addWidget(note(label, 13, self), row, 0)
            grid.addWidget(note(value, 16, self, role="body"), row, 1)
        row = len(items)
        grid.addWidget(note(tr("カードの有効期限"), 13, self), row, 0)
        self.card_expiry = note("", 16, self)
        grid.addWidget(self.card_expiry, row, 1)
        grid.addWidget(note(tr("電子証明書の有効期限"), 13, self), row + 1, 0)
        self.cert_expiry = note("", 16, self)
        grid.addWidget(self.cert_expiry, row + 1, 1)
        self._show_expiry(self.card_expiry, extras.card_expiry, today, months)
        cert_day = to_desk(extras.auth_cert_not_after).date() if extras.auth_cert_not_after else None
        self._show_expiry(self.cert_expiry, cert_day, today, months)

        self.chip = note("", 14, self)
        self.chip.setWordWrap(True)
        if extras.chip is None or extras.chip.status is not ChipStatus.VERIFIED:
            reason = {ChipStatus.FAILED: tr("ICチップの署名の検証に失敗しました。偽造・改ざんのおそれがあります。"
                                            "券面と他の本人確認書類で確認し、責任者に報告してください。"),
                      ChipStatus.UNTRUSTED: tr("ICチップの署名を検証できませんでした（信頼できる鍵が未設定）。"
                                               "券面の偽造防止の工夫も目で確認してください。")}
            show_message(self.chip, reason[extras.chip.status if extras.chip else ChipStatus.UNTRUSTED], "error")
        else:
            show_message(self.chip, tr("ICチップの署名を確認しました。"), "ok")

        self.renewal_note = note("", 14, self, role="body")
        self.renewal_note.setWordWrap(True)
        names = [catalogue.get(pid).name.text() for pid in self.renewals if pid in catalogue]
        self.renewal_note.setText(tr("あわせて案内する手続き（追加します）: {names}").format(names=tr("、").join(names)))
        self.renewal_note.setVisible(bool(names))

        details = QVBoxLayout()
        details.addLayout(grid)
        details.addWidget(self.chip)
        details.addWidget(self.renewal_note)
        details.addStretch(1)
        side = QHBoxLayout()
        side.addWidget(self.photo, 0, Qt.AlignmentFlag.AlignTop)
        side.addLayout(details, 1)

        self.confirm_button = button(tr("顔写真と本人を確認した（Enter）"), self, kind="primary", size=14)
        self.mismatch_button = button(tr("一致しない・確認できない（Esc）"), self)
        self.confirm_button.setDefault(True)
        self.confirm_button.clicked.connect(self.accept)
        self.mismatch_button.clicked.connect(self.reject)
        actions = QHBoxLayout()
        actions.addWidget(self.confirm_button)
        actions.addWidget(self.mismatch_button)
        actions.addStretch(1)

        layout = QVBoxLayout(self)
        layout.addWidget(heading(tr("顔写真と本人を見比べてください"), SECTION_PT, self))
        layout.addWidget(note(tr("ICチップに記録された顔写真です。職員の画面にだけ表示し、保存しません。"), 12, self))
        layout.addLayout(side)
        layout.addLayout(actions)
        self.finished.connect(self._drop_photo)

    @staticmethod
    def _show_expiry(label: QLabel, day: dt.date | None, today: dt.date, months: int) -> None:
        if day is None:
            label.setText(tr("（読み取っていません）"))
            return
        text, role = _STATE_TEXT[expiry_state(day, today, months)]
        show_message(label, tr("{date}（{state}）").format(date=day.isoformat(), state=tr(text)), role)

    def _drop_photo(self, *_: object) -> None:
        self.photo.clear()


def check_identity(
    parent: QWidget, extras: IdentityExtras | None, card: VisitCardData, *, today: dt.date, months: int,
    catalogue: Catalogue, confirmed: Callable[[tuple[str, ...]], None], mismatch: Callable[[], None],
) -> FaceCheckDialog | None:
    """The identify step's hook after a read: with a photo, ask the clerk (``confirmed`` once they press
    Enter, the face check then on ``card``); without one, go on at once. ``confirmed`` gets the renewals."""
    renewals = tuple(renewals_for(extras, today, months))
    if extras is None or extras.photo is None:
        confirmed(renewals)
        return None
    items = [(tr("氏名"), card.name), (tr("住所"), card.address), (tr("生年月日"), card.birth_date.isoformat()),
             (tr("性別"), SEX_LABELS[card.sex].text())]
    dialog = FaceCheckDialog(extras, items, today, months, catalogue, parent)

    def accepted() -> None:
        card.mark_face_checked()  # the fact, not the photo, joins the visit's 本人確認 record
        # Once the dialog has closed and given the focus back, so the next step can take it.
        QTimer.singleShot(0, lambda: confirmed(renewals))

    dialog.accepted.connect(accepted)
    dialog.rejected.connect(mismatch)
    dialog.show()
    dialog.confirm_button.setFocus()
    return dialog


__all__ = ["FaceCheckDialog", "check_identity", "renewals_for"]

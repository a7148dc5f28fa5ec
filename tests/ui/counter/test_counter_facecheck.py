"""The chip's face photo at the identify step (issue #18): shown to the clerk beside the four items, confirmed
with one key into the visit's 本人確認 record, expiry and chip check shown, renewals added, and the photo's
bytes found nowhere afterwards (database, journal, logs, printed forms)."""
from __future__ import annotations

import datetime as dt
import io
import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from dxdesk.cardreader.cardface import decode_photo
from dxdesk.cardreader.simcard import SimulatedCard
from dxdesk.cardreader.simvisual import synthetic_face, validity_preset
from dxdesk.cardreader.testdata import PERSON_KOKUTOU
from dxdesk.counter import VisitStep
from dxdesk.counter.formdata import guide_sheet_data
from test_counter_visit import ctrl_enter, show, start_juminhyo, type_and_enter

TODAY = dt.date(2026, 4, 1)  # the kit's fake clock (09:30 in Japan)


def confirm_face_photo(qtbot, page) -> None:
    """The clerk looks at the chip's photo and presses Enter: 「顔写真と本人を確認した」."""
    qtbot.waitUntil(lambda: page.identify.face_dialog is not None and page.identify.face_dialog.isVisible())
    dialog = page.identify.face_dialog
    assert QApplication.focusWidget() is dialog.confirm_button
    qtbot.keyClick(dialog.confirm_button, Qt.Key.Key_Return)


def _card(cert: str = "valid", card: str = "valid") -> SimulatedCard:
    last = validity_preset(cert, TODAY)
    return SimulatedCard.from_person(PERSON_KOKUTOU, card_expiry=validity_preset(card, TODAY),
                                     auth_cert_not_after=dt.datetime.combine(last, dt.time(14, 59, 59), dt.timezone.utc))


def _at_identify(qtbot, make_kit, card: SimulatedCard | None = None):
    """A signed-in clerk's counter at the identify step of a 住民票 visit, the card's status shown."""
    kit = make_kit()
    if card is not None:
        kit.card_service.card = kit.card_service._sim_card = card
    show(qtbot, kit)
    start_juminhyo(qtbot, kit)
    qtbot.waitUntil(lambda: "残り回数: 3 回" in kit.page.identify.tries_label.text())
    return kit, kit.page


def _read_by_code_b(qtbot, make_kit, card: SimulatedCard | None = None):
    kit, page = _at_identify(qtbot, make_kit, card)
    page.identify.read_with_code_b(kit.card_service.card.code_b)
    qtbot.waitUntil(lambda: page.identify.face_dialog is not None and page.identify.face_dialog.isVisible())
    return kit, page


def test_code_b_shows_the_photo_beside_the_items_and_one_key_confirms(qtbot, make_kit):
    _, page = _read_by_code_b(qtbot, make_kit, _card(card="expired"))
    dialog = page.identify.face_dialog
    assert not dialog.photo.pixmap().isNull() and dialog.photo.pixmap().height() == 240
    assert "期限切れ" in dialog.card_expiry.text() and dialog.card_expiry.property("role") == "error"
    assert "有効期限内" in dialog.cert_expiry.text()
    assert "検証できませんでした" in dialog.chip.text()  # no trust anchor: a warning, never a pass
    assert "カードの更新" in dialog.renewal_note.text()
    assert page.current_step() == VisitStep.IDENTIFY.value  # nothing goes on before the clerk looked
    confirm_face_photo(qtbot, page)
    qtbot.waitUntil(lambda: page.current_step() == VisitStep.INTERVIEW.value)
    assert page.identify.face_dialog is None
    visit = page.visit
    assert visit.card.face_checked and "face_photo" in visit.card.items_read
    assert "mynacard_koshin" in visit.procedure_ids  # the renewal joined the visit
    sheet = guide_sheet_data(visit)
    assert any("カードの更新" in c["procedures_ja"] for c in sheet["next_counters"])


def test_a_photo_that_does_not_match_is_not_used(qtbot, make_kit):
    _, page = _read_by_code_b(qtbot, make_kit)
    qtbot.keyClick(page.identify.face_dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: page.identify.face_dialog is None)
    assert page.current_step() == VisitStep.IDENTIFY.value and page.visit.card is None
    assert "顔写真で本人を確認できませんでした" in page.identify.help_title.text()


def test_pin_route_with_an_expired_certificate_adds_the_renewal(qtbot, make_kit):
    from test_counter_paths import press_pin, wait_for_pad

    _, page = _at_identify(qtbot, make_kit, _card(cert="expired"))
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F2)
    press_pin(qtbot, wait_for_pad(qtbot, page.identify), "1234")
    qtbot.waitUntil(lambda: page.current_step() == VisitStep.INTERVIEW.value)
    assert page.identify.face_dialog is None  # no photo on the PIN route
    assert "denshi_shomeisho_koshin" in page.visit.procedure_ids
    sheet = guide_sheet_data(page.visit)
    assert any("電子証明書の更新" in c["procedures_ja"] for c in sheet["next_counters"])


def test_no_trace_of_the_photo_after_the_visit(qtbot, make_kit, tmp_path, caplog):
    """Byte search of everything the desk wrote (database, journal, logs, printed PDF) and the log records."""
    caplog.set_level(logging.DEBUG)
    kit, page = _read_by_code_b(qtbot, make_kit)
    confirm_face_photo(qtbot, page)
    qtbot.waitUntil(lambda: page.current_step() == VisitStep.INTERVIEW.value)
    type_and_enter(qtbot, page.interview.kana, "こくとう　みきや")
    for qid, value in {"juminhyo_copies": 1, "scope": "household", "juminhyo_purpose": "bank", "requester": "self"}.items():
        page.interview.fields[qid].set_value(value)
    ctrl_enter(qtbot, kit)
    ctrl_enter(qtbot, kit)
    qtbot.waitUntil(lambda: page.printing.print_button.isEnabled(), timeout=15000)
    with qtbot.waitSignal(page.printing.printed, timeout=15000):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    with qtbot.waitSignal(page.visit_stored, timeout=15000) as stored:
        ctrl_enter(qtbot, kit)
    assert "face_photo" in stored.args[0].card_items_read  # the fact is recorded ...

    jp2 = synthetic_face(PERSON_KOKUTOU.key)  # ... never the photo: encoded, or any decoded row of it
    raster = decode_photo(jp2)
    width = raster.width
    needles = [jp2[:64], jp2[len(jp2) // 2 : len(jp2) // 2 + 64], jp2[-64:]]
    needles += [raster.raster[row * width : (row + 1) * width] for row in (60, 100, 150)]
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".pdf" for p in files) and any("sqlite" in p.name for p in files)
    for path in files:
        data = path.read_bytes()
        assert not any(n in data for n in needles), f"photo bytes found in {path}"
    logged = io.StringIO("\n".join(r.getMessage() for r in caplog.records)).getvalue().encode("utf-8", "replace")
    assert not any(n in logged for n in needles)

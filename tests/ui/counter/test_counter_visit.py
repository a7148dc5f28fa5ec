"""The counter visit through the real CounterPage, keyboard only, over the simulated card."""
from __future__ import annotations

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication

from dxdesk.counter import VisitStep
from dxdesk.ui import rasterprint
from clerks import clerk_session

CTRL = Qt.KeyboardModifier.ControlModifier


def show(qtbot, kit):
    kit.page.show()
    qtbot.waitExposed(kit.page)
    kit.page.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is not None)


def ctrl_enter(qtbot, kit):
    qtbot.keyClick(QApplication.focusWidget() or kit.page, Qt.Key.Key_Return, CTRL)


def type_text(qtbot, widget, text):
    """ASCII as key clicks; Japanese as an input-method commit, the way an IME delivers it."""
    if text.isascii():
        qtbot.keyClicks(widget, text)
        return
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def type_and_enter(qtbot, widget, text):
    type_text(qtbot, widget, text)
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def choose(qtbot, combo, label):
    """Keyboard choice: arrow down until the label is current."""
    for _ in range(combo.count()):
        if combo.currentText() == label:
            return
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentText() == label


def enter_pin_on_pad(qtbot, kit, pin="1234"):
    qtbot.waitUntil(lambda: kit.page.identify.pin_dialog is not None and kit.page.identify.pin_dialog.isVisible())
    pad = kit.page.identify.pin_dialog.pad
    assert "あと 3 回" in pad.tries_label.text()
    for digit in pin:
        qtbot.keyClick(pad, getattr(Qt.Key, f"Key_{digit}"))
    assert pad.display.text() == "●●●●"
    qtbot.keyClick(pad, Qt.Key.Key_Return)
    assert pad.length == 0  # the pad's copy is wiped on hand-over


def start_juminhyo(qtbot, kit):
    page = kit.page
    assert QApplication.focusWidget() is page.start.search
    type_and_enter(qtbot, page.start.search, "住民票")
    assert page.start.chosen() == ["juminhyo"]
    ctrl_enter(qtbot, kit)
    assert page.current_step() == VisitStep.IDENTIFY.value


def test_full_visit_keyboard_only(qtbot, make_kit, monkeypatch):
    kit = make_kit()
    page = kit.page
    show(qtbot, kit)
    start_juminhyo(qtbot, kit)
    visit = page.visit
    # Tries left are read and shown before any PIN is asked; the demo card is labelled as such.
    qtbot.waitUntil(lambda: "残り回数: 3 回" in page.identify.tries_label.text())
    assert page.identify.demo_badge.isVisible()
    kit.clock.advance(40)

    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F2)
    enter_pin_on_pad(qtbot, kit)
    qtbot.waitUntil(lambda: page.current_step() == VisitStep.INTERVIEW.value)
    assert visit.card.name == "黒桐\u3000幹也"  # read from the simulated card
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.interview.kana)
    qtbot.keyClick(page.stack, Qt.Key.Key_Backspace, CTRL)  # back (outside a text field): says why not
    assert page.current_step() == VisitStep.INTERVIEW.value and "本人確認には戻れません" in page.status.text()
    page.interview.kana.setFocus()

    kit.clock.advance(90)
    type_and_enter(qtbot, page.interview.kana, "こくとう　たろう")
    assert page.interview.kana.text() == "コクトウ　タロウ"  # hiragana → katakana via the core normaliser
    fields = page.interview.fields
    copies = fields["juminhyo_copies"].focus_widget()
    for _ in range(2):  # from 未入力 up to 2
        qtbot.keyClick(copies, Qt.Key.Key_Up)
    qtbot.keyClick(copies, Qt.Key.Key_Return)
    choose(qtbot, fields["scope"].combo, "世帯全員")
    qtbot.keyClick(fields["include_items"].boxes[0][1], Qt.Key.Key_Space)
    choose(qtbot, fields["juminhyo_purpose"].combo, "銀行・金融機関")
    choose(qtbot, fields["requester"].combo, "本人")
    ctrl_enter(qtbot, kit)
    assert page.current_step() == VisitStep.CONFIRM.value, page.status.text()
    assert visit.interview.answers()["juminhyo_copies"] == 2

    kit.clock.advance(30)
    texts = [w.text() for w in page.confirm.preview.findChildren(type(page.status))]
    assert "コクトウ　タロウ" in texts  # furigana above the name
    assert any(t.startswith("昭和") or t.startswith("平成") for t in texts)  # birth date in 和暦
    ctrl_enter(qtbot, kit)
    assert page.current_step() == VisitStep.PRINT.value
    qtbot.waitUntil(lambda: page.printing.print_button.isEnabled(), timeout=15000)
    assert page.printing.preview.page_count() == 2  # 住民票の写し等交付請求書 + 手続き案内票
    # One way to print: 「すべて印刷」 (for the printer chosen), not also the preview's own 「印刷…」.
    assert page.printing.print_button.isVisibleTo(page) and not page.printing.preview.print_button.isVisibleTo(page)
    # The kiosk printer's raster bands are made while the resident reads the preview; 「印刷」 uses them.
    ahead = page.printing.preview.bands_ahead()
    assert ahead is not None
    qtbot.waitUntil(lambda: ahead.finished, timeout=15000)
    monkeypatch.setattr(rasterprint, "raster_bands", lambda *a, **k: pytest.fail("bands rendered again"))

    kit.clock.advance(20)
    with qtbot.waitSignal(page.printing.printed, timeout=15000):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_P, CTRL)
    assert kit.printed_pdf.stat().st_size > 1000
    assert len(PdfReader(kit.printed_pdf).pages) == 2
    assert set(visit.forms_printed) == {"juminhyo_request", "guide_sheet"}

    card = visit.card
    with qtbot.waitSignal(page.visit_stored, timeout=15000) as stored:
        ctrl_enter(qtbot, kit)
    record = stored.args[0]
    assert card.discarded  # closing wiped the card data from memory
    assert page.printing.preview.page_count() == 0 and ahead.made == []  # nor are the forms and their bands kept
    assert page.printing.preview.bands_ahead() is None
    assert record.outcome == "completed" and record.identify_method == "card_pin"
    assert record.step_seconds == {"identify": 40.0, "interview": 90.0, "confirm": 30.0, "print": 20.0}
    assert record.card_items_read == ("name", "address", "birth_date", "sex")
    assert page.current_step() == VisitStep.CLOSED.value
    assert kit.services.journal.pending() == [] and kit.services.journal.unstored_records() == []

    from dxdesk.store import models
    from dxdesk.security.audit import load_records

    db = kit.database
    with db.session() as orm:
        row = orm.get(models.Visit, record.visit_id)
        assert row.status == "closed" and row.identify_method == "pin" and row.total_seconds == 180
        assert row.resident_name == card_name_or(record)
        steps = {s.step: s.seconds for s in row.steps}
        assert steps == {"identify": 40, "interview": 90, "confirm": 30, "print": 20}
        assert sorted(f.form_id for f in row.forms) == ["guide_sheet", "juminhyo_request"]
        qtbot.waitUntil(lambda: len(load_records(orm, db.desk_id)) >= 2)
    with db.session() as orm:
        events = {r.event_type: r for r in load_records(orm, db.desk_id)}
    assert events["card.read"].items == ("basic4",) and events["card.read"].details["simulated"] is True
    assert events["form.print"].details["forms"] == ["juminhyo_request", "guide_sheet"]

    ctrl_enter(qtbot, kit)  # next visit
    assert page.current_step() == "start" and page.visit is None


def card_name_or(record):
    return record.retained.get("name")


def test_low_tries_never_shows_pin_pad_and_offers_code_b(qtbot, make_kit):
    kit = make_kit(tries_left=1)
    page = kit.page
    show(qtbot, kit)
    start_juminhyo(qtbot, kit)
    qtbot.waitUntil(lambda: "残り回数: 1 回" in page.identify.tries_label.text())
    assert not page.identify.read_button.isEnabled()
    assert "照合番号B" in page.identify.help_steps.text()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F2)  # refused locally: the pad never appears
    assert page.identify.pin_dialog is None
    form = page.identify.code_b_form
    assert page.identify.stack.currentWidget() is form
    assert QApplication.focusWidget() is form.birth_date
    type_text(qtbot, form.birth_date, "昭和55年2月17日")
    assert form.yymmdd.text() == "550217"  # prefilled from the typed date
    type_and_enter(qtbot, form.expiry, "2035")
    type_and_enter(qtbot, form.security, "2285")
    from test_counter_facecheck import confirm_face_photo  # here: that module imports this one

    confirm_face_photo(qtbot, page)
    qtbot.waitUntil(lambda: page.current_step() == VisitStep.INTERVIEW.value)
    assert page.identify.pin_dialog is None
    assert page.visit.identify_method.value == "card_matching_b"
    assert kit.card_service.card.tries_left() == 1  # the PIN counter was never touched


def test_card_removed_mid_read_shows_help_and_keeps_visit(qtbot, make_kit):
    kit = make_kit()
    page = kit.page
    show(qtbot, kit)
    start_juminhyo(qtbot, kit)
    qtbot.waitUntil(lambda: "残り回数: 3 回" in page.identify.tries_label.text())
    kit.card_service.remove_after = 6  # select + tries query + PIN go through, then the card is lifted
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F2)
    enter_pin_on_pad(qtbot, kit)
    qtbot.waitUntil(lambda: page.identify.help_box.isVisible())
    assert "カードが外れました" in page.identify.help_title.text()
    assert "ケースから出してください" in page.identify.help_steps.text()
    assert page.visit is not None and not page.visit.closed
    assert page.current_step() == VisitStep.IDENTIFY.value
    assert kit.services.journal.pending()[0].visit_id == page.visit.id


def test_blocked_card_message(qtbot, make_kit):
    kit = make_kit(tries_left=0)
    page = kit.page
    show(qtbot, kit)
    start_juminhyo(qtbot, kit)
    qtbot.waitUntil(lambda: "ロックされています" in page.identify.tries_label.text())
    assert "市民課窓口でPINの再設定が必要です" in page.identify.help_steps.text()
    assert not page.identify.read_button.isEnabled()


def test_manual_entry_path(qtbot, make_kit):
    kit = make_kit(with_card=False)
    page = kit.page
    show(qtbot, kit)
    start_juminhyo(qtbot, kit)
    form = page.identify.manual_form
    assert QApplication.focusWidget() is form.family  # no reader: straight to manual entry
    type_text(qtbot, form.family, "山田")
    type_text(qtbot, form.given, "花子")
    type_text(qtbot, form.kana, "やまだ　はなこ")
    type_text(qtbot, form.address, "北海道白老町大町１丁目１番地")
    type_text(qtbot, form.birth, "S23.3.9")
    assert "昭和23年3月9日" in form.birth_shown.text()
    choose(qtbot, form.sex, "女")
    ctrl_enter(qtbot, kit)
    assert page.current_step() == VisitStep.INTERVIEW.value, form.summary.text()
    assert page.visit.identify_method.value == "manual"
    assert page.visit.card.name_kana == "ヤマダ　ハナコ"


def test_interview_shows_core_validation_inline(qtbot, make_kit):
    kit = make_kit(with_card=False)
    page = kit.page
    show(qtbot, kit)
    type_and_enter(qtbot, page.start.search, "印鑑登録証明")
    ctrl_enter(qtbot, kit)
    form = page.identify.manual_form
    for w, text in ((form.family, "山田"), (form.address, "白老町"), (form.birth, "1948-03-09")):
        type_text(qtbot, w, text)
    choose(qtbot, form.sex, "女")
    ctrl_enter(qtbot, kit)
    ctrl_enter(qtbot, kit)  # nothing answered yet
    assert page.current_step() == VisitStep.INTERVIEW.value
    assert page.interview.error.text().startswith("未回答の必須項目が ")  # the count; each field says so itself
    assert page.interview._errors["has_inkan_card"].text() == "入力してください"
    has_card = page.interview.fields["has_inkan_card"]
    choose(qtbot, has_card.combo, "はい")
    number = page.interview.fields["inkan_card_number"]
    assert number.widget.isVisible()  # show_if: asked only when the resident has the card
    type_and_enter(qtbot, number.focus_widget(), "12ab")
    assert "形式が正しくありません" in page.interview._errors["inkan_card_number"].text()


def test_resume_pending_visit_after_crash(qtbot, make_kit, tmp_path):
    from dxdesk.counter import InMemoryKeyProvider, Visit, VisitJournal, load_catalogue

    journal = VisitJournal(InMemoryKeyProvider(), tmp_path / "visits")
    crashed = Visit.start(load_catalogue(), session=clerk_session("clerk-before-crash"), desk_id="d", procedures=["juminhyo"], journal=journal)
    kit = make_kit(with_card=False, journal=journal)
    show(qtbot, kit)
    qtbot.waitUntil(lambda: kit.page.resume_dialog is not None and kit.page.resume_dialog.isVisible())
    dialog = kit.page.resume_dialog
    assert "住民票の写しの請求" in dialog.list.item(0).text() and "本人確認" in dialog.list.item(0).text()
    qtbot.keyClick(dialog.list, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: kit.page.visit is not None)
    assert kit.page.visit.id == crashed.id and not kit.page.visit.suspended
    assert kit.page.current_step() == VisitStep.IDENTIFY.value


def test_discard_pending_visit(qtbot, make_kit, tmp_path):
    from dxdesk.counter import InMemoryKeyProvider, Visit, VisitJournal, load_catalogue

    journal = VisitJournal(InMemoryKeyProvider(), tmp_path / "visits")
    Visit.start(load_catalogue(), session=clerk_session("clerk-before-crash"), desk_id="d", procedures=["juminhyo"], journal=journal)
    kit = make_kit(with_card=False, journal=journal)
    show(qtbot, kit)
    qtbot.waitUntil(lambda: kit.page.resume_dialog is not None and kit.page.resume_dialog.isVisible())
    qtbot.keyClick(kit.page.resume_dialog, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: kit.page.resume_dialog is None)
    assert journal.pending() == []
    # Stored as abandoned (with its visit.close audit event), then forgotten.
    qtbot.waitUntil(lambda: journal.unstored_records() == [], timeout=5000)
    assert kit.page.visit is None


def test_suspend_with_escape_stops_the_step_clock(qtbot, make_kit):
    kit = make_kit(with_card=False)
    page = kit.page
    show(qtbot, kit)
    start_juminhyo(qtbot, kit)
    kit.clock.advance(10)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert page.visit.suspended and page.suspended_label.isVisible()
    kit.clock.advance(300)
    assert QApplication.focusWidget() is page
    qtbot.keyClick(page, Qt.Key.Key_Escape)
    assert not page.visit.suspended
    assert page.visit.times().step_seconds["identify"] == 10.0

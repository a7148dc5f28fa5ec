"""More counter paths over the simulated card: wrong PIN and retry, 照合番号B to the end, the My Number
read for a procedure added after identification, and a GUI that keeps turning while the card or the
form renderer is slow."""
from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from dxdesk.cardreader.service import SIMULATED_READER, CardSource
from dxdesk.cardreader.simcard import SimulatedCard, SimulatedTransport
from dxdesk.cardreader.testdata import PERSON_KOKUTOU, PERSON_LONG_ADDRESS
from dxdesk.counter import VisitStep
from test_counter_facecheck import confirm_face_photo
from test_counter_visit import ctrl_enter, show, start_juminhyo, type_and_enter, type_text

READ_BINARY = 0xB0


def _card_reads(db):
    """The card.read audit records, from a new read session: one session would keep reading the
    snapshot its first query saw (SQLite WAL) and never see a write that lands after it."""
    from dxdesk.security.audit import load_records

    with db.session() as orm:
        return [r for r in load_records(orm, db.desk_id) if r.event_type == "card.read"]


def wait_for_pad(qtbot, pad_owner):
    qtbot.waitUntil(lambda: pad_owner.pin_dialog is not None and pad_owner.pin_dialog.isVisible())
    return pad_owner.pin_dialog.pad


def press_pin(qtbot, pad, pin):
    for digit in pin:
        qtbot.keyClick(pad, getattr(Qt.Key, f"Key_{digit}"))
    qtbot.keyClick(pad, Qt.Key.Key_Return)


def identify_with_pin(qtbot, kit):
    page = kit.page
    qtbot.waitUntil(lambda: "残り回数: 3 回" in page.identify.tries_label.text())
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F2)
    press_pin(qtbot, wait_for_pad(qtbot, page.identify), "1234")
    qtbot.waitUntil(lambda: page.current_step() == VisitStep.INTERVIEW.value)


class TickCounter:
    """Counts GUI event-loop turns: a 5 ms timer only fires while the GUI thread is free."""

    def __init__(self) -> None:
        self.ticks = 0
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        self.ticks += 1


# -- wrong PIN ------------------------------------------------------------------------------------


def test_wrong_pin_shows_fewer_tries_and_the_resident_can_retry(qtbot, make_kit):
    kit = make_kit()
    page = kit.page
    show(qtbot, kit)
    start_juminhyo(qtbot, kit)
    qtbot.waitUntil(lambda: "残り回数: 3 回" in page.identify.tries_label.text())

    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F2)
    pad = wait_for_pad(qtbot, page.identify)
    assert "あと 3 回" in pad.tries_label.text()
    press_pin(qtbot, pad, "9999")
    # The read fails on the card thread; the identify step shows the decreased count and why.
    qtbot.waitUntil(lambda: "残り回数: 2 回" in page.identify.tries_label.text())
    assert page.identify.help_box.isVisible()
    assert "が違います。残りは2回です。" in page.identify.help_message.text()
    assert page.identify.pin_dialog is None
    assert page.identify.read_button.isEnabled()  # 2 tries left is still above the lock-out margin
    assert kit.card_service.card.tries_left() == 2

    page.activateWindow()  # the resident's pad window has closed; the clerk's window takes keys again
    qtbot.waitUntil(lambda: QApplication.activeWindow() is page)
    qtbot.keyClick(page.identify.read_button, Qt.Key.Key_F2)
    pad = wait_for_pad(qtbot, page.identify)
    assert "あと 2 回" in pad.tries_label.text()  # the resident sees it on their pad too
    press_pin(qtbot, pad, "1234")
    qtbot.waitUntil(lambda: page.current_step() == VisitStep.INTERVIEW.value)
    assert page.visit.identify_method.value == "card_pin"
    assert kit.card_service.card.tries_left() == 3  # a correct PIN resets the counter


def test_wrong_pin_down_to_one_try_switches_to_code_b(qtbot, make_kit):
    kit = make_kit(tries_left=2)
    page = kit.page
    show(qtbot, kit)
    start_juminhyo(qtbot, kit)
    qtbot.waitUntil(lambda: "残り回数: 2 回" in page.identify.tries_label.text())
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F2)
    press_pin(qtbot, wait_for_pad(qtbot, page.identify), "0000")
    qtbot.waitUntil(lambda: "残り回数: 1 回" in page.identify.tries_label.text())
    # One try left: the pad is never offered again, 照合番号B is.
    assert not page.identify.read_button.isEnabled()
    assert page.identify.stack.currentWidget() is page.identify.code_b_form
    page.identify.read_with_pin()
    assert page.identify.pin_dialog is None
    assert kit.card_service.card.tries_left() == 1


# -- 照合番号B, end to end ------------------------------------------------------------------------------


def test_code_b_visit_end_to_end(qtbot, make_kit):
    kit = make_kit()
    page = kit.page
    show(qtbot, kit)
    start_juminhyo(qtbot, kit)
    qtbot.waitUntil(lambda: "残り回数: 3 回" in page.identify.tries_label.text())
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F4)
    form = page.identify.code_b_form
    assert QApplication.focusWidget() is form.birth_date
    assert not form.number_note.isVisible()  # 住民票 alone needs no number: nothing to explain
    type_text(qtbot, form.birth_date, "1980-02-17")
    assert form.yymmdd.text() == "550217"
    type_and_enter(qtbot, form.expiry, "2035")
    type_and_enter(qtbot, form.security, "2285")
    confirm_face_photo(qtbot, page)
    qtbot.waitUntil(lambda: page.current_step() == VisitStep.INTERVIEW.value)
    visit = page.visit
    assert visit.card.name == PERSON_KOKUTOU.holder.name and not visit.card.has_my_number

    type_and_enter(qtbot, page.interview.kana, "こくとう　みきや")
    for qid, value in {"juminhyo_copies": 1, "scope": "household", "juminhyo_purpose": "bank", "requester": "self"}.items():
        page.interview.fields[qid].set_value(value)
    ctrl_enter(qtbot, kit)
    assert page.current_step() == VisitStep.CONFIRM.value, page.interview.error.text()
    ctrl_enter(qtbot, kit)
    qtbot.waitUntil(lambda: page.printing.print_button.isEnabled(), timeout=15000)
    with qtbot.waitSignal(page.printing.printed, timeout=15000):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    with qtbot.waitSignal(page.visit_stored, timeout=15000) as stored:
        ctrl_enter(qtbot, kit)
    record = stored.args[0]
    assert record.outcome == "completed" and record.identify_method == "card_matching_b"
    assert record.card_items_read == ("name", "address", "birth_date", "sex", "face_photo")
    assert kit.card_service.card.tries_left() == 3  # the PIN counter was never touched

    db = kit.database
    qtbot.waitUntil(lambda: bool(_card_reads(db)))  # a fresh read each poll (see _card_reads)
    read = _card_reads(db)[0]
    assert read.items == ("basic4", "pinless", "face_photo") and read.details["method"] == "card_matching_b"


# -- My Number for a procedure added after identification ----------------------------------------------


def test_follow_on_needing_my_number_reads_only_the_number(qtbot, make_kit):
    kit = make_kit()
    page = kit.page
    show(qtbot, kit)
    start_juminhyo(qtbot, kit)
    identify_with_pin(qtbot, kit)
    visit = page.visit
    panel = page.interview.number_panel
    assert not panel.isVisible() and not visit.card.has_my_number

    page.add_procedure("kokuho_kanyu")  # what the clerk's follow-on button does
    assert panel.isVisible()
    assert "F6" in page.status.text()
    assert panel.purpose.reason.text() == "国民健康保険の加入"  # prefilled; the clerk may edit it
    panel.purpose.reason.setFocus()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F6)
    pad = wait_for_pad(qtbot, panel)
    assert "あと 3 回" in pad.tries_label.text()
    press_pin(qtbot, pad, "1234")
    qtbot.waitUntil(lambda: visit.card.has_my_number)
    assert visit.card.masked_my_number() == "**** **** 7188"
    assert visit.card.items_read[-1] == "my_number"
    assert not panel.isVisible() and panel.pin_dialog is None
    assert page.status.text().startswith("個人番号を読み取りました")
    assert "537686677188" not in page.status.text()

    db = kit.database
    qtbot.waitUntil(lambda: len(_card_reads(db)) == 2)
    number_read = _card_reads(db)[-1]
    assert "my_number" in number_read.items
    assert number_read.jimu_type and number_read.reason == "国民健康保険の加入"


def test_my_number_read_needs_a_reason(qtbot, make_kit):
    kit = make_kit()
    page = kit.page
    show(qtbot, kit)
    start_juminhyo(qtbot, kit)
    identify_with_pin(qtbot, kit)
    page.add_procedure("kokuho_kanyu")
    panel = page.interview.number_panel
    panel.purpose.reason.clear()
    panel.read()
    assert "処理事由" in panel.error.text() and panel.error.isVisible()
    assert panel.pin_dialog is None and not panel.reading
    assert QApplication.focusWidget() is panel.purpose.reason


def test_my_number_from_someone_elses_card_is_refused(qtbot, make_kit):
    kit = make_kit()
    page = kit.page
    show(qtbot, kit)
    start_juminhyo(qtbot, kit)
    identify_with_pin(qtbot, kit)
    page.add_procedure("kokuho_kanyu")
    # Another resident's card is now on the reader.
    kit.card_service._sim_card = SimulatedCard.from_person(PERSON_LONG_ADDRESS)
    page.interview.read_my_number()
    press_pin(qtbot, wait_for_pad(qtbot, page.interview.number_panel), PERSON_LONG_ADDRESS.pin)
    panel = page.interview.number_panel
    qtbot.waitUntil(lambda: panel.error.isVisible())
    assert "本人確認した方のカードではありません" in panel.error.text()
    assert not page.visit.card.has_my_number and panel.isVisible()
    assert panel.read_button.isEnabled()  # the right card can still be read


def identify_with_code_b(qtbot, kit):
    page = kit.page
    page.identify.read_with_code_b("55021720352285")
    confirm_face_photo(qtbot, page)
    qtbot.waitUntil(lambda: page.current_step() == VisitStep.INTERVIEW.value)
    assert page.visit.identify_method.value == "card_matching_b" and not page.visit.card.has_my_number


def visible_texts(page):
    """Every text the clerk's window shows (labels, buttons, fields)."""
    from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit

    return [w.text() for kind in (QLabel, QAbstractButton, QLineEdit) for w in page.findChildren(kind)
            if w.isVisible()]


def test_code_b_visit_reads_the_number_in_place(qtbot, make_kit):
    kit = make_kit()
    page = kit.page
    show(qtbot, kit)
    start_juminhyo(qtbot, kit)
    qtbot.waitUntil(lambda: "残り回数: 3 回" in page.identify.tries_label.text())
    identify_with_code_b(qtbot, kit)
    visit = page.visit
    page.add_procedure("kokuho_kanyu")  # now a chosen procedure needs the number
    panel = page.interview.number_panel
    assert panel.isVisible() and panel.read_button.isEnabled()
    assert panel.read_button.text() == "個人番号も読み取る（暗証番号）"
    assert "照合番号Bでの本人確認はそのまま" in panel.explain.text()
    assert panel.purpose.reason.text() == "国民健康保険の加入"  # the 処理事由 fields, prefilled
    assert "個人番号が必要です" in page.status.text() and "F6）」で読み取って" not in page.status.text()

    panel.purpose.reason.setFocus()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F6)
    pad = wait_for_pad(qtbot, panel)
    assert "あと 3 回" in pad.tries_label.text()
    press_pin(qtbot, pad, "1234")
    qtbot.waitUntil(lambda: visit.card.has_my_number)
    assert page.visit is visit and page.current_step() == VisitStep.INTERVIEW.value  # same visit, no restart
    assert visit.identify_method.value == "card_matching_b"
    assert visit.card.name == PERSON_KOKUTOU.holder.name  # the four items read with B are kept
    assert visit.card.items_read == ("name", "address", "birth_date", "sex", "face_photo", "my_number")
    assert visit.card.masked_my_number() == "**** **** 7188"
    assert not panel.isVisible() and panel.pin_dialog is None
    assert page.status.text().startswith("個人番号を読み取りました")
    assert not any(PERSON_KOKUTOU.my_number in text for text in visible_texts(page))  # masked on screen
    assert kit.card_service.card.tries_left() == 3

    db = kit.database
    qtbot.waitUntil(lambda: len(_card_reads(db)) == 2)
    number_read = _card_reads(db)[-1]
    # This read opened the card with the PIN (not 照合番号B): the audit says so.
    assert number_read.items == ("basic4", "my_number") and number_read.details["method"] == "card_pin"
    assert number_read.jimu_type and number_read.reason == "国民健康保険の加入"


def test_code_b_for_a_procedure_needing_the_number_offers_it_at_once(qtbot, make_kit):
    kit = make_kit()
    page = kit.page
    show(qtbot, kit)
    page.start_visit(["kokuho_kanyu"])  # the number is needed from the start; the clerk still uses 照合番号B
    qtbot.waitUntil(lambda: "残り回数: 3 回" in page.identify.tries_label.text())
    page.identify.show_code_b()
    assert page.identify.code_b_form.number_note.isVisible()  # told before the read: no restart needed
    assert "個人番号も読み取る（暗証番号）" in page.identify.code_b_form.number_note.text()
    identify_with_code_b(qtbot, kit)
    panel = page.interview.number_panel
    assert panel.isVisible() and panel.read_button.isEnabled()  # offered on arrival, no restart
    assert panel.read_button.text() == "個人番号も読み取る（暗証番号）"
    page.interview.read_my_number()
    press_pin(qtbot, wait_for_pad(qtbot, panel), "1234")
    qtbot.waitUntil(lambda: page.visit.card.has_my_number)
    assert page.visit.identify_method.value == "card_matching_b" and not panel.isVisible()


def code_b_visit_with_one_try_left(qtbot, make_kit):
    """照合番号B with one PIN try left, then a procedure that needs the number: the panel's advice shows."""
    kit = make_kit(tries_left=1)
    page = kit.page
    show(qtbot, kit)
    start_juminhyo(qtbot, kit)
    qtbot.waitUntil(lambda: "残り回数: 1 回" in page.identify.tries_label.text())
    identify_with_code_b(qtbot, kit)
    page.add_procedure("kokuho_kanyu")
    return kit, page


def test_code_b_visit_with_one_try_left_explains_instead_of_the_pad(qtbot, make_kit):
    kit, page = code_b_visit_with_one_try_left(qtbot, make_kit)
    panel = page.interview.number_panel
    assert panel.isVisible() and not panel.read_button.isEnabled()
    assert "残り回数が1回" in panel.explain.text() and "手入力（F3）" in panel.explain.text()
    page.interview.read_my_number()  # F6 does nothing either
    assert panel.pin_dialog is None and not panel.reading
    assert kit.card_service.card.tries_left() == 1  # nothing was sent to the card
    assert page.visit.card.name == PERSON_KOKUTOU.holder.name and not page.visit.card.has_my_number


def test_code_b_visit_with_one_try_left_the_advice_leads_to_the_number(qtbot, make_kit):
    """The panel's advice, followed key by key as written: F3 works only on the identify step, so the
    advice is to cancel (Ctrl+Shift+Del), start again with the same procedures and choose 手入力（F3）."""
    from test_counter_safety import cancel_the_visit
    from test_counter_visit import choose

    kit, page = code_b_visit_with_one_try_left(qtbot, make_kit)
    advice = page.interview.number_panel.explain.text()
    assert "（Ctrl+Shift+Del）" in advice and "「手入力（F3）」" in advice and "同じ手続き" in advice
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F3)  # on the interview F3 does nothing: hence the advice
    assert page.current_step() == VisitStep.INTERVIEW.value

    cancel_the_visit(qtbot, page)
    qtbot.waitUntil(lambda: page.isAncestorOf(QApplication.focusWidget()))  # the keyboard is back on the page
    ctrl_enter(qtbot, kit)  # the done step: a new visit
    assert page.current_step() == "start"
    type_and_enter(qtbot, page.start.search, "住民票")
    type_and_enter(qtbot, page.start.search, "国保")
    assert sorted(page.start.chosen()) == ["juminhyo", "kokuho_kanyu"]
    ctrl_enter(qtbot, kit)
    assert page.current_step() == VisitStep.IDENTIFY.value
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F3)
    form = page.identify.manual_form
    assert form.my_number_row.isVisible()  # the number is asked for on this route
    holder = PERSON_KOKUTOU.holder
    type_text(qtbot, form.family, "黒桐")
    type_text(qtbot, form.given, "幹也")
    type_text(qtbot, form.kana, "こくとう　みきや")
    type_text(qtbot, form.address, holder.address)
    type_text(qtbot, form.birth, holder.birth_date.isoformat())
    choose(qtbot, form.sex, "男")
    type_text(qtbot, form.my_number, PERSON_KOKUTOU.my_number)
    ctrl_enter(qtbot, kit)
    assert page.current_step() == VisitStep.INTERVIEW.value, form.summary.text()
    assert page.visit.identify_method.value == "manual" and page.visit.card.has_my_number
    assert not page.interview.number_panel.isVisible()
    assert kit.card_service.card.tries_left() == 1  # the PIN was never asked


def test_code_b_number_read_down_to_one_try_stops_offering_the_pad(qtbot, make_kit):
    kit = make_kit(tries_left=2)
    page = kit.page
    show(qtbot, kit)
    start_juminhyo(qtbot, kit)
    qtbot.waitUntil(lambda: "残り回数: 2 回" in page.identify.tries_label.text())
    identify_with_code_b(qtbot, kit)
    page.add_procedure("kokuho_kanyu")
    panel = page.interview.number_panel
    assert panel.read_button.isEnabled()  # 2 tries: the PIN may still be asked
    page.interview.read_my_number()
    press_pin(qtbot, wait_for_pad(qtbot, panel), "0000")
    qtbot.waitUntil(lambda: panel.error.isVisible())
    assert "残りは1回です" in panel.error.text()
    assert not panel.read_button.isEnabled() and "残り回数が1回" in panel.explain.text()
    page.interview.read_my_number()
    assert panel.pin_dialog is None and kit.card_service.card.tries_left() == 1
    assert page.visit.card.name == PERSON_KOKUTOU.holder.name  # the visit and its B identity stay


def test_suspend_cancels_a_pending_number_read(qtbot, make_kit):
    kit = make_kit()
    page = kit.page
    show(qtbot, kit)
    start_juminhyo(qtbot, kit)
    identify_with_pin(qtbot, kit)
    page.add_procedure("kokuho_kanyu")
    panel = page.interview.number_panel
    page.interview.read_my_number()
    wait_for_pad(qtbot, panel)
    page.toggle_suspend()
    assert page.visit.suspended and panel.pin_dialog is None
    qtbot.waitUntil(lambda: not panel.reading)
    assert "取り消しました" in panel.error.text()
    assert kit.card_service.card.tries_left() == 3  # nothing was sent to the card
    page.toggle_suspend()
    assert panel.read_button.isEnabled()


# -- the GUI never freezes --------------------------------------------------------------------------


class GatedTransport(SimulatedTransport):
    """The simulated card, except that READ BINARY waits until the test opens the gate: a slow card."""

    def __init__(self, card: SimulatedCard, gate: threading.Event, reached: threading.Event) -> None:
        super().__init__(card)
        self.gate, self.reached = gate, reached

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        if apdu[1] == READ_BINARY:
            self.reached.set()
            self.gate.wait(30)  # bounded so a broken test cannot hang the run
        return super().transmit(apdu)


@pytest.fixture
def gate():
    event = threading.Event()
    yield event
    event.set()  # never leave the card thread waiting


def test_gui_keeps_turning_while_the_card_is_slow(qtbot, make_kit, gate):
    kit = make_kit()
    page = kit.page
    reached = threading.Event()
    # Every card conversation (status, read) opens a fresh transport; all of them are slow now.
    kit.card_service._simulated = lambda: (GatedTransport(kit.card_service.card, gate, reached),
                                           CardSource(SIMULATED_READER, simulated=True))
    show(qtbot, kit)
    start_juminhyo(qtbot, kit)
    qtbot.waitUntil(lambda: "残り回数: 3 回" in page.identify.tries_label.text())
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F2)
    press_pin(qtbot, wait_for_pad(qtbot, page.identify), "1234")
    qtbot.waitUntil(reached.is_set)  # the card thread is now stuck in a read

    ticks = TickCounter()
    qtbot.waitUntil(lambda: ticks.ticks >= 10)
    assert not gate.is_set() and page.current_step() == VisitStep.IDENTIFY.value
    assert "読み取っています" in page.identify.card_label.text()
    assert not page.identify.read_button.isEnabled()  # no second read while one runs
    page.toggle_suspend()  # the clerk can still act on the page; suspending abandons the read
    assert page.visit.suspended
    assert page.identify.card_label.text() == "カード: 読み取りを取り消しました"
    page.toggle_suspend()
    gate.set()
    kit.card_service.submit(lambda: None).result(10)  # the card thread has finished the slow read
    QApplication.processEvents()  # ... and its late answer has been delivered
    assert page.current_step() == VisitStep.IDENTIFY.value  # the abandoned read identified nobody
    assert page.visit.card is None
    ticks.timer.stop()


def test_gui_keeps_turning_while_forms_render(qtbot, make_kit, slow_forms):
    started, release = slow_forms
    kit = make_kit()
    page = kit.page
    show(qtbot, kit)
    start_juminhyo(qtbot, kit)
    identify_with_pin(qtbot, kit)
    page.visit.set_name_kana("コクトウ　ミキヤ")
    for qid, value in {"juminhyo_copies": 1, "scope": "household", "juminhyo_purpose": "bank", "requester": "self"}.items():
        page.visit.answer(qid, value)
    page.interview.load(page.visit)
    page.next()
    assert page.current_step() == VisitStep.CONFIRM.value, page.interview.error.text()
    page.next()
    assert page.current_step() == VisitStep.PRINT.value
    qtbot.waitUntil(started.is_set)

    ticks = TickCounter()
    qtbot.waitUntil(lambda: ticks.ticks >= 10)
    assert not page.printing.print_button.isEnabled()
    assert page.printing.status.text() == "帳票を作成しています…"
    with qtbot.waitSignal(page.printing.ready, timeout=15000):
        release.set()
    assert page.printing.preview.page_count() == 2
    ticks.timer.stop()

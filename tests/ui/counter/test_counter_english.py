"""The counter screens in English: built after i18n.set_language("en"), every visible label is English."""
from __future__ import annotations

import re

from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QLineEdit, QWidget


JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")
# Japanese on purpose: sample dates in the Japanese era the clerk may type, and the card's own term.
INTENDED = re.compile(r"(昭和|平成|令和)\d+年\d+月\d+日|照合番号B")


def japanese(texts: list[str]) -> list[str]:
    return [t for t in texts if JAPANESE.search(INTENDED.sub("", t))]


def visible_texts(root: QWidget) -> list[str]:
    """Texts of the labels, buttons and placeholders the clerk can see under ``root``."""
    texts = []
    for label in root.findChildren(QLabel):
        if label.isVisibleTo(root) and label.text():
            texts.append(label.text())
    for button in root.findChildren(QAbstractButton):
        if button.isVisibleTo(root) and button.text():
            texts.append(button.text())
    for edit in root.findChildren(QLineEdit):
        if edit.isVisibleTo(root) and edit.placeholderText():
            texts.append(edit.placeholderText())
    return texts


def show(qtbot, page) -> None:
    """Shown and active, as the visit tests expect their page to be (focus follows the active window)."""
    page.show()
    qtbot.waitExposed(page)
    page.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is page)


def test_identify_step_shows_no_japanese(qtbot, english, make_kit):
    kit = make_kit()
    page = kit.page
    show(qtbot, page)
    page.start_visit(["juminhyo"])
    qtbot.waitUntil(lambda: "PIN attempts left: 3" in page.identify.tries_label.text())
    assert page.identify.read_button.text() == "Read card (F2)"
    assert page.identify.code_b_button.text() == "Read with code B (F4)"
    assert page.identify.reader_label.text() == "Reader: Training card"
    assert page.stepbar.names["identify"].text() == "2. Identification"
    assert page.status.text() == "Visit started."
    texts = visible_texts(page)
    assert "How to read the card" in texts
    assert japanese(texts) == []


def test_card_help_and_code_b_form_in_english(qtbot, english, make_kit):
    kit = make_kit(tries_left=1)
    page = kit.page
    show(qtbot, page)
    page.start_visit(["juminhyo"])
    qtbot.waitUntil(lambda: "PIN attempts left: 1" in page.identify.tries_label.text())
    identify = page.identify
    assert identify.help_title.text() == "Too few PIN attempts left: the PIN will not be used"
    assert "• One more wrong PIN will lock the card." in identify.help_steps.text()
    assert "→ Switch to: Verification code B (F4) / Manual entry (F3)" in identify.help_steps.text()
    identify.show_code_b()
    form = identify.code_b_form
    assert form.submit_button.text() == "Read with code B (Enter)"
    form.yymmdd.setText("5502")
    form.submit()
    assert form.error.text() == ("Enter the date of birth as a 6-digit Japanese-era date / Enter the expiry year as 4 digits"
                                 " / The security code is 4 digits")


def test_start_and_manual_entry_in_english(qtbot, english, make_kit):
    kit = make_kit(with_card=False)
    page = kit.page
    show(qtbot, page)
    assert page.start.start_button.text() == "Start visit (Ctrl+Enter)"
    assert page.start.chosen_label.text() == "Chosen procedures: (none yet)"
    page.start.request_start()
    assert page.start.error.text() == "Choose at least one procedure"
    page.start_visit(["juminhyo"])
    form = page.identify.manual_form
    assert page.identify.stack.currentWidget() is form
    assert [form.sex.itemText(i) for i in range(form.sex.count())] == [
        "Please select", "Male", "Female", "Not applicable", "Unknown"]
    form.submit()
    assert form.summary.text().startswith(
        "4 entries to fix: Enter the family name / Enter the address / Enter the date of birth")
    assert form.errors[form.family].text() == "Enter the family name"
    assert japanese(visible_texts(page.identify)) == []


def test_japanese_is_still_the_default(qtbot, make_kit):
    kit = make_kit()
    assert kit.page.identify.read_button.text() == "カードを読み取る（F2）"
    assert kit.page.stepbar.names["identify"].text() == "2. 本人確認"

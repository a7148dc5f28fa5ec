"""The resident's confirmation view for a 75-year-old: ≥ 24 pt everywhere (values ≥ 28, furigana ≥ 14),
one heading per procedure, plain words, English values, every row reachable page by page, no word cut."""
from __future__ import annotations

import pytest
from PySide6.QtGui import QFontInfo, QFontMetrics
from PySide6.QtWidgets import QAbstractButton, QLabel

from dxdesk.counter.residentview import default_glossary, phrases, resident_sections
from dxdesk.ui.counter.resident import ResidentView
from dxdesk.ui.counter.residentpages import RUBY_OBJECT_NAME, VALUE_PT

from resident_helpers import visit_at_confirm
from test_counter_visit import show

SIZES = [(1366, 768), (1920, 1080)]


def _texts_on_page(view):
    page = view.pages.currentWidget()
    labels = [w for w in page.findChildren(QLabel) if w.isVisibleTo(view) and w.text()]
    return page, labels


def _fixed_parts(view):
    return [w for w in view.findChildren(QLabel) + view.findChildren(QAbstractButton)
            if w.isVisibleTo(view) and w.text() and not view.pages.isAncestorOf(w)]


def _check_every_page(qtbot, view, sections):
    """Returns the row keys seen; asserts fonts, fit and phrase-only line breaks on every page."""
    seen: list[str] = []
    smallest = min(QFontInfo(w.font()).pointSizeF() for w in _fixed_parts(view))
    assert smallest >= 24, "banner, subtitle, buttons and page number must be ≥ 24 pt"
    assert view.page_label.isVisible() and view.page_label.text() == f"1 / {view.page_count()}"
    for index in range(view.page_count()):
        assert view.current_page() == index
        assert view.page_label.text() == f"{index + 1} / {view.page_count()}"
        page, labels = _texts_on_page(view)
        keys = view.row_keys_by_page()[index]
        seen.extend(keys)
        for label in labels:
            size = QFontInfo(label.font()).pointSizeF()
            assert size >= (14 if label.objectName() == RUBY_OBJECT_NAME else 24), label.text()
            # Nothing is cut off at the bottom of the page, unless one row alone is taller than a page.
            bottom = label.mapTo(page, label.rect().bottomLeft()).y()
            assert bottom <= page.height() or len(keys) == 1, (label.text(), bottom, page.height())
            # Lines end only where a phrase or word ends, and each line fits its label.
            metrics = QFontMetrics(label.font())
            original = label.text().replace("\n", "")  # wrapping only adds newlines
            boundaries = _boundaries(original)
            offset = 0
            for line in label.text().split("\n"):
                offset += len(line)
                assert offset in boundaries, f"line break inside a word: {label.text()!r}"
                fits = metrics.horizontalAdvance(line.rstrip()) <= label.width() + 1
                assert fits or len(phrases(line)) == 1, f"line wider than its label: {line!r}"
        if index < view.page_count() - 1:
            assert view.next_button.isEnabled()
            view.next_button.click()
    assert not view.next_button.isEnabled()
    return seen


def _shown_view(qtbot, sections, size):
    view = ResidentView()
    qtbot.addWidget(view)
    view.resize(*size)
    view.show_items(sections)
    view.show()
    qtbot.waitExposed(view)
    return view


def _boundaries(text):
    out, pos = {0, len(text)}, 0
    for phrase in phrases(text):
        pos += len(phrase)
        out.add(pos)
    return out


@pytest.mark.parametrize("size", SIZES)
def test_resident_view_is_large_and_every_row_is_reachable(qtbot, make_kit, size):
    kit = make_kit()
    show(qtbot, kit)
    visit = visit_at_confirm(qtbot, kit)
    sections = resident_sections(visit, default_glossary())
    view = _shown_view(qtbot, sections, size)
    assert view.page_count() > 1  # 転入 + 住民票 is more than one screen, even at 1920×1080
    seen = _check_every_page(qtbot, view, sections)
    expected = [row.key for section in sections for row in section.rows]
    assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen))  # every row once, none hidden
    headings = [s.heading.text() for s in sections]
    assert headings == ["あなたのこと", "転入届", "住民票の写しの請求"]  # one heading per procedure


def test_plain_words_reach_the_resident_not_the_jargon(qtbot, make_kit):
    kit = make_kit()
    show(qtbot, kit)
    visit = visit_at_confirm(qtbot, kit)
    rows = {r.key: r for s in resident_sections(visit, default_glossary()) for r in s.rows}
    assert rows["interview.new_address"].label.ja == "新しい住所（建物名・部屋番号まで）"
    assert "転入届の特例" not in rows["interview.special_move_in"].label.ja
    all_text = " ".join(r.label.ja + r.value.ja for r in rows.values())
    assert "方書" not in all_text and "特例" not in all_text
    # In the clerk's own preview the values are large too: the name with furigana above it.
    texts = [w.text() for w in kit.page.confirm.preview.findChildren(QLabel) if w.text()]
    assert "コクトウ　ミキヤ" in texts


@pytest.mark.usefixtures("english")
def test_english_values_are_english(qtbot, make_kit):
    kit = make_kit()
    show(qtbot, kit)
    visit = visit_at_confirm(qtbot, kit)
    view = _shown_view(qtbot, resident_sections(visit, default_glossary()), (1366, 728))
    values = []
    for _ in range(view.page_count()):
        values += [w.text().replace("\n", " ") for w in _texts_on_page(view)[1]]
        view.next_page()
    joined = " | ".join(values)
    for english_value in ("Male", "Whole household", "Spouse", "Yes", "About you", "Moving-in notification"):
        assert english_value in joined
    for japanese in ("男", "世帯全員", "はい", "妻・夫"):
        assert japanese not in joined
    assert {w.font().pointSize() for w in view.findChildren(QLabel) if w.text() == "Male"} == {VALUE_PT}

"""#14: zooming the print preview keeps the page and the place the clerk was looking at (it jumped back
to page 1), and 全体表示 shows that page whole."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfReader, PdfWriter

pytest.importorskip("PySide6.QtPdfWidgets")

from dxdesk.forms import FormData, fill_form  # noqa: E402
from dxdesk.ui.forms_preview import FormPreview  # noqa: E402

pytestmark = pytest.mark.ui


@pytest.fixture
def preview(qtbot):
    data = FormData(card={"name": "吉田\u3000花子", "address": "サンプル町大町1-2-3", "birth_date": "1950-04-01"})
    writer = PdfWriter()
    for form in ("juminhyo_request", "idou_todoke", "guide_sheet"):
        for page in PdfReader(io.BytesIO(fill_form(form, data.with_computed()).pdf)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    w = FormPreview()
    qtbot.addWidget(w)
    w.resize(800, 600)
    w.show()
    qtbot.waitExposed(w)
    assert w.load_pdf(out.getvalue())
    assert w.page_count() >= 3
    return w


def _middle(preview) -> float:
    """The middle of the view as a share of the document's height."""
    bar = preview.view.verticalScrollBar()
    return (bar.value() + bar.pageStep() / 2) / (bar.maximum() + bar.pageStep())


def test_zoom_keeps_the_page_and_the_place(preview):
    preview.go_to_page(1)
    preview.zoom_in()
    bar = preview.view.verticalScrollBar()
    bar.setValue(bar.value() + 150)  # the clerk scrolled down a little on page 2
    place, value = _middle(preview), bar.value()
    assert preview.current_page() == 1
    preview.zoom_in()
    preview.zoom_in()
    assert preview.current_page() == 1
    assert preview.page_label.text().startswith("2 / ")
    assert _middle(preview) == pytest.approx(place, abs=0.01)
    preview.zoom_out()
    preview.zoom_out()
    assert abs(bar.value() - value) <= 2  # back where the clerk was, not at the top of page 1


def test_fit_shows_the_current_page_whole(preview):
    preview.go_to_page(2)
    preview.zoom_in()
    preview.fit()
    assert preview.current_page() == 2
    assert preview.page_label.text().startswith("3 / ")

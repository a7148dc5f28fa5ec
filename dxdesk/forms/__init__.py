"""Forms engine: declarative templates (resources/forms/*.toml), exact Japanese PDFs.

Typical use::

    from dxdesk.forms import FormData, fill_form
    result = fill_form("juminhyo_request", FormData(card={...}, interview={...}).with_computed())
    if result.issues: ...          # overflow / missing glyph: show them before printing
    pdf_bytes = result.pdf
"""
from __future__ import annotations

from pathlib import Path

from dxdesk.config import Calibration
from dxdesk.forms.data import FormData
from dxdesk.forms.overlay import OverlayError, merge_onto
from dxdesk.forms.registry import discover, find_template
from dxdesk.forms.render import FillIssue, FillResult, render_form
from dxdesk.forms.template import FormTemplate, TemplateError, load_template

__all__ = [
    "Calibration", "FillIssue", "FillResult", "FormData", "FormTemplate", "OverlayError", "TemplateError",
    "discover", "fill_form", "find_template", "load_template", "merge_onto", "render_form",
]


def fill_form(form: str | FormTemplate, data: FormData, mode: str = "plain",
              calibration: Calibration | None = None, onto: Path | bytes | None = None,
              use_fallback: bool = True) -> FillResult:
    """Fill a form (by id, path or template). ``onto`` = a town's PDF: data-only overlay merged onto it."""
    template = form if isinstance(form, FormTemplate) else find_template(form)
    if onto is not None:
        mode = "overlay"
    result = render_form(template, data, mode, calibration, use_fallback)
    if onto is not None:
        result = FillResult(merge_onto(onto, result.pdf), result.issues)
    return result

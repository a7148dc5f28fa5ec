"""Forms engine: declarative templates (resources/forms/*.toml), exact Japanese PDFs.

Typical use::

    from dxdesk.forms import FormData, fill_form
    result = fill_form("juminhyo_request", FormData(card={...}, interview={...}).with_computed())
    if result.issues: ...          # overflow / missing glyph: show them before printing
    pdf_bytes = result.pdf

The names below are loaded on first use (PEP 562): importing any ``dxdesk.forms.*`` module runs
this file first, and loading ReportLab and pypdf here cost every window start about 0.3 s before
a single form was drawn.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dxdesk.config import Calibration
    from dxdesk.forms.data import FormData
    from dxdesk.forms.overlay import OverlayError, merge_onto
    from dxdesk.forms.registry import discover, find_template
    from dxdesk.forms.render import FillIssue, FillResult, render_form
    from dxdesk.forms.template import FormTemplate, TemplateError, load_template

_LAZY = {
    "Calibration": "dxdesk.config", "FormData": "dxdesk.forms.data", "OverlayError": "dxdesk.forms.overlay",
    "merge_onto": "dxdesk.forms.overlay", "discover": "dxdesk.forms.registry",
    "find_template": "dxdesk.forms.registry", "FillIssue": "dxdesk.forms.render", "FillResult": "dxdesk.forms.render",
    "render_form": "dxdesk.forms.render", "FormTemplate": "dxdesk.forms.template",
    "TemplateError": "dxdesk.forms.template", "load_template": "dxdesk.forms.template",
}

__all__ = [
    "Calibration", "FillIssue", "FillResult", "FormData", "FormTemplate", "OverlayError", "TemplateError",
    "discover", "fill_form", "find_template", "load_template", "merge_onto", "render_form",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value


def fill_form(form: "str | FormTemplate", data: "FormData", mode: str = "plain",
              calibration: "Calibration | None" = None, onto: Path | bytes | None = None,
              use_fallback: bool = True) -> "FillResult":
    """Fill a form (by id, path or template). ``onto`` = a town's PDF: data-only overlay merged onto it."""
    from dxdesk.forms.overlay import merge_onto
    from dxdesk.forms.registry import find_template
    from dxdesk.forms.render import FillResult, render_form
    from dxdesk.forms.template import FormTemplate

    template = form if isinstance(form, FormTemplate) else find_template(form)
    if onto is not None:
        mode = "overlay"
    result = render_form(template, data, mode, calibration, use_fallback)
    if onto is not None:
        result = FillResult(merge_onto(onto, result.pdf), result.issues)
    return result

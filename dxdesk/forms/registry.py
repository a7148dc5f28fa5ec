"""Finding form templates: bundled ones in resources/forms, plus a town's own.

A town adds or replaces a form by dropping a ``*.toml`` file into
``app_paths().data_dir / "forms"``; a town file with the same id as a bundled form
wins, so a town can adapt a layout without touching the installation.
"""
from __future__ import annotations

import logging
from pathlib import Path

from dxdesk.forms.template import FormTemplate, TemplateError, load_template
from dxdesk.paths import app_paths
from dxdesk.resources import resource_path

log = logging.getLogger(__name__)


def template_dirs() -> list[Path]:
    """Search order: bundled first, then the town's directory (later entries override)."""
    return [resource_path("forms"), app_paths().data_dir / "forms"]


def discover() -> tuple[dict[str, FormTemplate], list[TemplateError]]:
    """All valid templates by id, and the errors of files that failed to load."""
    forms: dict[str, FormTemplate] = {}
    errors: list[TemplateError] = []
    for d in template_dirs():
        if not d.is_dir():
            continue
        for path in sorted(d.glob("*.toml")):
            try:
                t = load_template(path)
            except TemplateError as exc:
                log.warning("skipping form template: %s", exc)
                errors.append(exc)
                continue
            if t.id in forms:
                log.info("form %s from %s overrides %s", t.id, path, forms[t.id].path)
            forms[t.id] = t
    return forms, errors


def find_template(name: str) -> FormTemplate:
    """A template by id, or by path to a .toml file; TemplateError if unknown or invalid."""
    path = Path(name)
    if name.endswith(".toml") or path.exists():
        return load_template(path)
    # Load only the matching file(s) so one broken town template does not block the others.
    found: FormTemplate | None = None
    for d in template_dirs():
        candidate = d / f"{name}.toml"
        if candidate.exists():
            found = load_template(candidate)
    if found is None:
        forms, _ = discover()
        if name in forms:
            return forms[name]
        known = ", ".join(sorted(forms)) or "none"
        raise TemplateError(f"no form named '{name}' (known: {known})")
    return found

"""``dxdesk form ...``: list, fill, check, calibration-page."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from dxdesk.cli import UserError
from dxdesk.clisession import add_as

if TYPE_CHECKING:
    from dxdesk.config import Calibration
    from dxdesk.forms import FormData, FormTemplate
    from dxdesk.forms.render import FillIssue


MAX_DATA_BYTES = 256 * 1024  # a visit's data is a few kB; refuse before parsing anything bigger


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("form", help="fill and check printed forms")
    sub = p.add_subparsers(dest="form_command", metavar="ACTION", required=True)

    s = sub.add_parser("list", help="list the available forms")
    s.set_defaults(func=cmd_list)

    s = sub.add_parser("fill", help="fill a form from a JSON data file into a PDF")
    s.add_argument("form", help="form id (see 'form list') or path to a .toml template")
    s.add_argument("--data", required=True, type=Path, help="JSON with card / interview / computed objects")
    s.add_argument("--out", required=True, type=Path, help="PDF file to write")
    s.add_argument("--mode", choices=("plain", "overlay"), default=None, help="default: settings forms.default_mode")
    s.add_argument("--calibration", metavar="PRINTER", help="apply this printer's stored calibration")
    s.add_argument("--onto", type=Path, metavar="TOWN.pdf", help="merge the data onto this PDF form")
    s.add_argument("--pdfa", action="store_true", help="write PDF/A-2b (XMP metadata, sRGB output intent) for archiving")
    s.add_argument("--force", action="store_true", help="replace --out if it exists")
    s.set_defaults(func=cmd_fill)

    s = sub.add_parser("print", help="fill a form and send it to a printer at true size (signed in, audited)")
    s.add_argument("form", help="form id (see 'form list') or path to a .toml template")
    s.add_argument("--data", required=True, type=Path, help="JSON with card / interview / computed objects")
    s.add_argument("--printer", required=True, metavar="NAME", help="CUPS queue; its stored calibration is applied")
    s.add_argument("--copies", type=int, default=1, help="number of copies (1-99)")
    s.add_argument("--mode", choices=("plain", "overlay"), default=None, help="default: settings forms.default_mode")
    add_as(s)
    s.set_defaults(func=cmd_print)

    s = sub.add_parser("check", help="report overflowing fields and missing glyphs (exit 1 if any)")
    s.add_argument("form")
    s.add_argument("--data", required=True, type=Path)
    s.set_defaults(func=cmd_check)

    s = sub.add_parser("calibration-page", help="write the printer calibration test page")
    s.add_argument("--out", required=True, type=Path)
    s.add_argument("--calibration", metavar="PRINTER", help="draw through this printer's stored calibration")
    s.add_argument("--force", action="store_true", help="replace --out if it exists")
    s.set_defaults(func=cmd_calibration_page)


def _template(name: str) -> FormTemplate:
    from dxdesk.forms import TemplateError, find_template

    try:
        return find_template(name)
    except TemplateError as exc:
        raise UserError(str(exc)) from None


def _not_json(constant: str) -> None:
    """Python's json reads NaN and Infinity, which JSON has not: a name of "nan" must never be printed."""
    raise ValueError(f"{constant} is not a JSON value")


def _data(path: Path) -> FormData:
    from dxdesk.config import load_settings
    from dxdesk.forms import FormData

    try:
        if path.stat().st_size > MAX_DATA_BYTES:
            raise ValueError(f"the file is larger than {MAX_DATA_BYTES // 1024} kB; form data is a few kB")
        # utf-8-sig: Notepad on Windows saves UTF-8 with a BOM by default.
        raw = json.loads(path.read_text(encoding="utf-8-sig"), parse_constant=_not_json)
        if not isinstance(raw, dict):
            raise ValueError("the top level must be an object")
        data = FormData.from_dict(raw)
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:  # saved as Shift_JIS: say so, not the codec's words
        raise UserError(f"{path}: the file is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except RecursionError:
        raise UserError(f"{path}: the data is nested too deeply to be form data") from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise UserError(f"{path}: {exc}") from None
    general = load_settings().general
    return data.with_computed(desk_name=general.desk_name, municipality=general.municipality)


def _calibration(printer: str | None) -> Calibration | None:
    if printer is None:
        return None
    from dxdesk.config import load_settings
    from dxdesk.forms.calibration import calibration_for

    settings = load_settings()
    if printer not in settings.forms.calibrations:
        known = ", ".join(sorted(settings.forms.calibrations)) or "none stored"
        raise UserError(f"no calibration for printer '{printer}' ({known})")
    return calibration_for(settings, printer)


def _check_out(out: Path, force: bool) -> None:
    """Never the database, keys or settings; an existing file only with --force."""
    from dxdesk.outputfiles import OutputRefusedError, check_output

    try:
        check_output(out, force)
    except OutputRefusedError as exc:
        raise UserError(exc.msg.en) from None


def _write_out(out: Path, pdf: bytes) -> None:
    """Owner-only and atomic: a filled form holds a resident's name, address and maybe more."""
    from dxdesk.outputfiles import write_private

    write_private(out, pdf)


def _print_issues(issues: Iterable[FillIssue]) -> None:
    for issue in issues:
        print(f"{issue.kind}: {issue}", file=sys.stderr)


def cmd_list(args: argparse.Namespace) -> int:
    from dxdesk.forms import discover

    forms, errors = discover()
    for form_id, t in sorted(forms.items()):
        print(f"{form_id:24} {t.title}  ({t.path})")
    for exc in errors:
        print(f"error: {exc}", file=sys.stderr)
    return 1 if errors else 0


def cmd_fill(args: argparse.Namespace) -> int:
    from dxdesk.config import load_settings
    from dxdesk.forms import OverlayError, fill_form

    _check_out(args.out, args.force)
    template = _template(args.form)
    data = _data(args.data)
    mode = args.mode or load_settings().forms.default_mode
    if args.onto is not None and not args.onto.exists():
        raise UserError(f"no such PDF: {args.onto}")
    try:
        result = fill_form(template, data, mode, _calibration(args.calibration), args.onto)
    except OverlayError as exc:
        raise UserError(str(exc)) from None
    pdf = result.pdf
    if args.pdfa:
        from dxdesk.forms.pdfa import to_pdfa

        pdf = to_pdfa(pdf, template.title)
    try:
        _write_out(args.out, pdf)
    except OSError as exc:
        raise UserError(f"cannot write {args.out}: {exc.strerror}") from None
    _print_issues(result.issues)
    kind = ", PDF/A-2b" if args.pdfa else ""
    print(f"wrote {args.out} ({template.title}, {'overlay' if args.onto else mode} mode{kind}, {len(result.issues)} issue(s))")
    return 1 if result.issues else 0


def cmd_print(args: argparse.Namespace) -> int:
    """Fill with the chosen printer's calibration and hand it to the spooler (CUPS: the PDF itself;
    without CUPS, Qt's print engine in bands); refuses forms with issues."""
    from dxdesk.app.formprint import FormPrinting
    from dxdesk.config import load_settings
    from dxdesk.forms import fill_form
    from dxdesk.forms.printing import PrintError
    from dxdesk.clisession import open_auth, sign_in, user_errors

    template = _template(args.form)
    data = _data(args.data)
    settings = load_settings()
    mode = args.mode or settings.forms.default_mode
    with open_auth(settings) as (_db, auth):
        with user_errors():
            session = sign_in(auth, args.as_login, "printing a form")
        printing = FormPrinting(auth.audit, settings)
        with user_errors():
            printing.check(session)
        result = fill_form(template, data, mode, printing.calibration(args.printer))
        if result.issues:
            # A clerk looks at a form with a problem before it goes on paper: nothing is printed.
            _print_issues(result.issues)
            raise UserError(f"{template.id}: {len(result.issues)} issue(s); nothing printed (see 'form check')")
        try:
            with user_errors():
                request = printing.print_pdf(session, result.pdf, args.printer, forms=(template.id,), pages=1,
                                             copies=args.copies, title=template.title)
        except PrintError as exc:
            raise UserError(exc.message.en) from None
    print(f"sent {template.title} to {args.printer} ({args.copies} copy/copies, {mode} mode): {request}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from dxdesk.forms import fill_form

    template = _template(args.form)
    result = fill_form(template, _data(args.data), "plain", use_fallback=True)
    _print_issues(result.issues)
    print(f"{template.id}: {'OK' if not result.issues else f'{len(result.issues)} issue(s)'}")
    return 1 if result.issues else 0


def cmd_calibration_page(args: argparse.Namespace) -> int:
    from dxdesk.forms.calibration import calibration_page

    _check_out(args.out, args.force)
    pdf = calibration_page(_calibration(args.calibration), args.calibration or "")
    try:
        _write_out(args.out, pdf)
    except OSError as exc:
        raise UserError(f"cannot write {args.out}: {exc.strerror}") from None
    print(f"wrote {args.out}")
    return 0

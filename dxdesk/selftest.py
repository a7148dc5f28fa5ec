"""``dxdesk --self-test``: does this installation work? One command for town IT staff and CI.

Runs the paths a counter uses every day, end to end and in-process: the bundled
resources, the Qt main window (offscreen), a card read (the built-in simulated card,
no reader needed), one form rendered to PDF with embedded fonts, and a record written
and read back through the encrypted store. It also loads the optional drivers a
frozen build must carry (PostgreSQL, keyring backends, PC/SC), which a source
checkout always has but PyInstaller can silently leave out.

Everything runs under a temporary ``DXDESK_HOME`` with the keyring switched off, so
the user's settings, database and stored keys are never touched. The report prints
each step with OK/FAIL and its time; it never shows card data (the card is fictional,
but the rule is the same as for a real one). Exit code 0 when every step passed.
"""
from __future__ import annotations

import argparse
import importlib
import io
import logging
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, TextIO

from dxdesk import __version__
from dxdesk.paths import HOME_ENV

log = logging.getLogger(__name__)

SELFTEST_FORM = "juminhyo_request"
# The platform's keyring backend, by its entry-point name.  keyring finds backends only through entry
# points (package metadata), which a frozen build must carry: without them every PC falls back to key files.
_KEYRING_BACKEND = {"win32": "Windows", "darwin": "macOS"}
_KEYRING_BACKEND_DEFAULT = "SecretService"


class CheckFailed(Exception):
    """A step ran but found something wrong; the message says what (never personal data)."""


@dataclass
class StepResult:
    name: str
    ok: bool
    ms: float
    detail: str


@dataclass
class _Context:
    """What steps hand on to later ones (the card read feeds the form)."""

    home: Path
    real_keyring: Any  # the user's keyring backend, reported but never used
    values: dict[str, Any] = field(default_factory=dict)


# --- steps -------------------------------------------------------------------------------------
# Each returns a one-line detail for the report or raises; none may put personal data in either.


def _check_resources(ctx: _Context) -> str:
    from dxdesk import fonts
    from dxdesk.forms import discover
    from dxdesk.resources import resource_path, resource_root
    from dxdesk.store import migrate

    missing = fonts.missing_bundled_fonts()
    if missing:
        raise CheckFailed(f"bundled fonts missing: {', '.join(p.name for p in missing)} (under {resource_root()})")
    templates, errors = discover()
    if errors:
        raise CheckFailed(f"{len(errors)} form template(s) failed to load: {errors[0]}")
    if SELFTEST_FORM not in templates:
        raise CheckFailed(f"form template {SELFTEST_FORM} not found under {resource_path('forms')}")
    procedures = sorted(resource_path("procedures").glob("*.toml"))
    if not procedures:
        raise CheckFailed(f"no procedure catalogue under {resource_path('procedures')}")
    if not resource_path("support", "topics.toml").is_file():
        raise CheckFailed(f"support topics missing under {resource_path('support')}")
    if not migrate.MIGRATIONS_DIR.is_dir():
        raise CheckFailed(f"database migrations missing: {migrate.MIGRATIONS_DIR}")
    head = migrate.head_revision()
    return (f"{len(fonts.BUNDLED)} fonts, {len(templates)} forms, {len(procedures)} procedures, "
            f"schema {head}")


def _check_window(ctx: _Context) -> str:
    # Imported here: the core must not load Qt (tests/foundation/test_architecture.py).
    from dxdesk.ui.app import build_main_window, create_application
    from dxdesk.ui.qtfonts import UI_FAMILY

    app = create_application([sys.argv[0], "-platform", "offscreen"])
    window = build_main_window()
    try:
        window.show()
        app.processEvents()
        if not window.isVisible():
            raise CheckFailed("the main window did not show")
        if window.grab().isNull():
            raise CheckFailed("the main window could not be drawn")
        # fontInfo() is the font Qt actually resolved: without the bundled face it falls back to a system
        # font, which on a town PC may lack Japanese (boxes) or differ from the printed forms.
        resolved = window.fontInfo().family()
        if resolved != UI_FAMILY:
            raise CheckFailed(f"UI font {UI_FAMILY!r} not loaded (Qt uses {resolved!r}): Japanese may render as boxes")
        # The form preview needs QtPdf, QtPdfWidgets and QtPrintSupport, which a trimmed build could lose.
        importlib.import_module("dxdesk.ui.forms_preview")
        return f"platform {app.platformName()}, font {resolved}, preview/printing modules loaded"
    finally:
        window.close()
        window.deleteLater()
        app.processEvents()


def _check_card(ctx: _Context) -> str:
    from dxdesk.cardreader.mynumber import MyNumberCard
    from dxdesk.cardreader.simcard import SimulatedCard, SimulatedTransport
    from dxdesk.cardreader.testdata import PERSON_KOKUTOU

    transport = SimulatedTransport(SimulatedCard.from_person(PERSON_KOKUTOU))
    holder = MyNumberCard(transport).read(pin=PERSON_KOKUTOU.pin)
    if holder != PERSON_KOKUTOU.holder.without_my_number():
        raise CheckFailed("the simulated card read back different basic information")
    ctx.values["holder"] = holder
    return "simulated card: PIN verified, basic information read and integrity checked"


def _check_form(ctx: _Context) -> str:
    from dxdesk.cardreader.testdata import PERSON_KOKUTOU
    from dxdesk.forms import FormData, fill_form

    holder = ctx.values.get("holder") or PERSON_KOKUTOU.holder.without_my_number()
    card = {
        "name": holder.name, "family_name": holder.family_name, "given_name": holder.given_name,
        "address": holder.address, "birth_date": holder.birth_date, "sex": holder.sex.value,
    }
    result = fill_form(SELFTEST_FORM, FormData(card=card, interview={}).with_computed())
    glyph_issues = [i for i in result.issues if i.kind == "missing_glyph"]
    if glyph_issues:
        raise CheckFailed(f"{len(glyph_issues)} character(s) missing from the fonts, e.g. {glyph_issues[0]}")
    if not result.pdf.startswith(b"%PDF-"):
        raise CheckFailed("the renderer did not produce a PDF")
    embedded = _embedded_fonts(result.pdf)
    if not any("BIZUD" in name for name in embedded):
        raise CheckFailed("the bundled Japanese font is not embedded in the PDF")
    return f"{SELFTEST_FORM}: {len(result.pdf) // 1024} KB PDF, embedded {', '.join(sorted(embedded))}"


def _embedded_fonts(pdf: bytes) -> set[str]:
    """Base names (subset prefix dropped) of fonts that carry their font file in the PDF."""
    from pypdf import PdfReader

    names: set[str] = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources = page.get("/Resources")
        font_dict = resources.get_object().get("/Font") if resources else None
        for ref in (font_dict.get_object().values() if font_dict else []):
            font = ref.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants.get_object()[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            if descriptor is None:
                continue  # one of the 14 standard PDF fonts: never embedded, never used for Japanese
            descriptor = descriptor.get_object()
            if any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                names.add(str(font.get("/BaseFont", "?")).lstrip("/").split("+")[-1])
    return names


def _check_database(ctx: _Context) -> str:
    from sqlalchemy import select

    from dxdesk.store.base import utcnow
    from dxdesk.store.database import open_database
    from dxdesk.store.models import SupportSession

    marker = "self-test contact"  # stored encrypted: reading it back proves the key and cipher work
    db = open_database(path=ctx.home / "selftest.sqlite3")
    try:
        def add(session: Any) -> str:
            row = SupportSession(started_at=utcnow(), venue="self-test", venue_type="other", device="none",
                                 age_band="80+", outcome="resolved", follow_up_needed=True,
                                 follow_up_contact=marker)
            session.add(row)
            session.flush()
            return str(row.id)

        record_id = db.writer.run(add, timeout=60)
        with db.session() as s:
            row = s.get(SupportSession, record_id)
            if row is None or row.follow_up_contact != marker:
                raise CheckFailed("a record written to the database did not read back intact")
            count = len(s.scalars(select(SupportSession.id)).all())
        pending = db.pending_count()
        return f"SQLite {db.path.name}: wrote and read back {count} encrypted record, {pending} queued for sync"
    finally:
        db.close()


def _check_drivers(ctx: _Context) -> str:
    from importlib.metadata import entry_points

    import psycopg
    from sqlalchemy import create_engine

    # Building (not connecting) an engine loads the dialect and the DBAPI module by name, the way a
    # server URL from the settings does at run time.
    create_engine("postgresql+psycopg://dxdesk@localhost/dxdesk").dispose()
    wanted = _KEYRING_BACKEND.get(sys.platform, _KEYRING_BACKEND_DEFAULT)
    found = [ep for ep in entry_points(group="keyring.backends") if ep.name == wanted]
    if not found:
        raise CheckFailed(f"keyring backend {wanted!r} is not registered: secrets would go to key files")
    found[0].load()
    importlib.import_module("smartcard.scard")  # pyscard's PC/SC binding (winscard / pcsc-lite)
    active = ctx.real_keyring
    return (f"PostgreSQL via psycopg {psycopg.__version__} ({psycopg.pq.__impl__}), "
            f"keyring {type(active).__module__}.{type(active).__name__}, PC/SC binding")


STEPS: tuple[tuple[str, Callable[[_Context], str]], ...] = (
    ("resources", _check_resources),
    ("drivers", _check_drivers),
    ("window", _check_window),
    ("card", _check_card),
    ("form", _check_form),
    ("database", _check_database),
)


# --- runner ------------------------------------------------------------------------------------


class _IsolatedHome:
    """Temporary DXDESK_HOME and a keyring that stores nothing, restored afterwards."""

    def __enter__(self) -> "_IsolatedHome":
        import keyring
        from keyring.backends import null

        self._tmp = tempfile.TemporaryDirectory(prefix="dxdesk-selftest-")
        self.path = Path(self._tmp.name)
        self._old_home = os.environ.get(HOME_ENV)
        os.environ[HOME_ENV] = self._tmp.name
        self.real_keyring: Any = keyring.get_keyring()
        # The database key goes to a file in the temp home. (keyring's backends are unannotated.)
        keyring.set_keyring(null.Keyring())  # type: ignore[no-untyped-call]
        # That file fallback is intended here, so keys.py's "no usable OS keyring" warning would mislead.
        self._keys_log = logging.getLogger("dxdesk.store.keys")
        self._keys_level = self._keys_log.level
        self._keys_log.setLevel(logging.ERROR)
        return self

    def __exit__(self, *exc: object) -> None:
        import keyring

        keyring.set_keyring(self.real_keyring)
        self._keys_log.setLevel(self._keys_level)
        if self._old_home is None:
            os.environ.pop(HOME_ENV, None)
        else:
            os.environ[HOME_ENV] = self._old_home
        self._tmp.cleanup()


def run_steps(home: Path, real_keyring: Any) -> Iterator[StepResult]:
    ctx = _Context(home, real_keyring)
    for name, step in STEPS:
        start = time.perf_counter()
        try:
            detail, ok = step(ctx), True
        except CheckFailed as exc:
            detail, ok = str(exc), False
        except Exception as exc:  # any crash is a finding, reported by type; the traceback goes to the log
            log.exception("self-test step %s crashed", name)
            detail, ok = f"{type(exc).__name__}: {exc}", False
        yield StepResult(name, ok, (time.perf_counter() - start) * 1000, detail)


def run_self_test(out: TextIO | None = None) -> int:
    """Run every step, print the report, return 0 when all passed and 1 otherwise."""
    out = out or sys.stdout
    # Always offscreen: the self-test must run over SSH, in CI and on a locked screen alike.
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    frozen = "frozen" if getattr(sys, "frozen", False) else "source"
    lines = [f"dxdesk {__version__} self-test ({frozen}, Python {sys.version.split()[0]}, {sys.platform})"]
    _emit(out, lines[0])
    results: list[StepResult] = []
    with _IsolatedHome() as isolated:
        for result in run_steps(isolated.path, isolated.real_keyring):
            results.append(result)
            line = f"  {'OK  ' if result.ok else 'FAIL'}  {result.name:<9} {result.ms:7.0f} ms  {result.detail}"
            lines.append(line)
            _emit(out, line)
    failed = [r.name for r in results if not r.ok]
    summary = (f"self-test passed: {len(results)} steps OK" if not failed
               else f"self-test FAILED: {', '.join(failed)}")
    lines.append(summary)
    _emit(out, summary)
    # A windowed Windows build has no console, so the log file is where IT staff find the report.
    log.info("self-test report:\n%s", "\n".join(lines))
    return 1 if failed else 0


def _emit(out: TextIO | None, line: str) -> None:
    if out is None:  # windowed frozen app on Windows: sys.stdout is None
        return
    print(line, file=out, flush=True)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "self-test", help="check that this installation works (same as --self-test), then exit")
    parser.set_defaults(func=lambda _args: run_self_test())

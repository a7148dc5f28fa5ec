"""``dxdesk doctor``: checks that this PC can run dxdesk and says how to fix what is wrong.

Each check returns a :class:`CheckResult`. FAIL means the app cannot run (exit 1);
WARN means a feature is degraded (e.g. no card reader: manual entry still works).
Checks write nothing outside DXDESK_HOME.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys
import tempfile
from dataclasses import dataclass
from enum import Enum
from typing import Callable

from dxdesk.paths import AppPaths, app_paths

log = logging.getLogger(__name__)


class Status(Enum):
    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: Status
    detail: str
    fix: str = ""


REQUIRED_MODULES = {
    "PySide6": "pyside6",
    "sqlalchemy": "sqlalchemy",
    "alembic": "alembic",
    "reportlab": "reportlab",
    "pypdf": "pypdf",
    "smartcard": "pyscard",
    "keyring": "keyring",
    "cryptography": "cryptography",
    "platformdirs": "platformdirs",
    "jaconv": "jaconv",
}


def check_python_deps(paths: AppPaths) -> CheckResult:
    missing = []
    for module, package in REQUIRED_MODULES.items():
        try:
            importlib.import_module(module)
        except Exception:  # ImportError, or a broken native library
            missing.append(package)
    if missing:
        return CheckResult("Python packages", Status.FAIL, "missing: " + ", ".join(missing),
                           "run `make run` (or `uv sync`) to install the locked dependencies")
    return CheckResult("Python packages", Status.OK, f"all {len(REQUIRED_MODULES)} present (Python {sys.version.split()[0]})")


def check_home(paths: AppPaths) -> CheckResult:
    name = "Data folders"
    try:
        paths.ensure()
        for d in (paths.config_dir, paths.data_dir, paths.log_dir):
            with tempfile.NamedTemporaryFile(dir=d, prefix=".doctor-", delete=True):
                pass
    except OSError as exc:
        where = getattr(exc, "filename", None) or paths.data_dir
        return CheckResult(name, Status.FAIL, f"cannot write to {where}: {exc.strerror or exc}",
                           f"make {where} writable by this user, or set DXDESK_HOME to a writable folder")
    return CheckResult(name, Status.OK, f"data in {paths.data_dir}, logs in {paths.log_dir}")


def check_settings(paths: AppPaths) -> CheckResult:
    name = "Settings"
    if not paths.settings_file.exists():  # read-only: the first start writes it
        return CheckResult(name, Status.OK, f"no settings yet; {paths.settings_file} is written on first start")
    from dxdesk.config import SettingsError, load_settings

    try:
        settings = load_settings(paths)
    except SettingsError as exc:
        return CheckResult(name, Status.FAIL, str(exc),
                           f"correct {paths.settings_file} as the line above says (keep its desk_id: it names "
                           "this desk's keys)")
    return CheckResult(name, Status.OK, f"{paths.settings_file} (desk {settings.general.desk_name})")


def check_fonts(paths: AppPaths) -> CheckResult:
    from dxdesk import fonts

    missing = fonts.missing_bundled_fonts()
    if missing:
        return CheckResult("Japanese font", Status.FAIL, "bundled font missing: " + ", ".join(str(p) for p in missing),
                           "reinstall dxdesk; the fonts ship in resources/fonts (BIZ UD Gothic/Mincho, OFL)")
    try:
        from reportlab.pdfbase.ttfonts import TTFont

        TTFont("doctor-check", str(fonts.GOTHIC.path))
    except Exception as exc:
        return CheckResult("Japanese font", Status.FAIL, f"{fonts.GOTHIC.path} cannot be loaded: {exc}",
                           "reinstall dxdesk; the font file is damaged")
    fallback = fonts.fallback_font()
    if fallback is None:
        return CheckResult("Japanese font", Status.WARN, "BIZ UD fonts OK; no fallback for rare name kanji (e.g. 𠮷)",
                           "install IPAmj Mincho (Debian: fonts-ipamj-mincho) so rare characters print")
    return CheckResult("Japanese font", Status.OK, f"BIZ UD Gothic/Mincho; fallback {fallback.path.name}")


def check_pcsc(paths: AppPaths) -> CheckResult:
    name = "Card reader (PC/SC)"
    try:
        from smartcard.System import readers
    except Exception as exc:
        return CheckResult(name, Status.WARN, f"pyscard unavailable: {exc}", "install pyscard (`uv sync`)")
    try:
        found = [str(r) for r in readers()]
    except Exception as exc:  # pyscard raises EstablishContextException and friends
        return CheckResult(name, Status.WARN, f"PC/SC service not reachable ({type(exc).__name__})",
                           "start the smart-card service (Linux: `systemctl start pcscd`; Windows: 'Smart Card' service)")
    if not found:
        return CheckResult(name, Status.WARN, "PC/SC service running, no reader connected (cards cannot be read; training mode uses its fictional card)",
                           "connect an IC card reader; install its driver if it is not listed")
    return CheckResult(name, Status.OK, "readers: " + "; ".join(found))


def check_database(paths: AppPaths) -> CheckResult:
    name = "Database"
    try:
        from dxdesk.store import doctor_check  # provided by the store package
    except ImportError:
        return CheckResult(name, Status.WARN, "storage module not installed", "reinstall dxdesk")
    return doctor_check(paths)


def check_keyring(paths: AppPaths) -> CheckResult:
    name = "Keyring"
    try:
        import keyring
        from keyring.backends import fail, null

        backend = keyring.get_keyring()
    except Exception as exc:
        return CheckResult(name, Status.WARN, f"keyring unusable: {exc}", "install a keyring backend")
    usable = not isinstance(backend, (fail.Keyring, null.Keyring))
    detail = f"backend {type(backend).__module__}.{type(backend).__name__}"
    try:
        from dxdesk.store.crypto import key_storage_description

        detail += "; " + key_storage_description(paths)
    except ImportError:
        pass
    if not usable:
        return CheckResult(name, Status.WARN, detail + " (no OS keyring: secrets kept in an owner-only key file)",
                           "on a desktop, unlock/install the OS keyring (Windows Credential Manager, GNOME Keyring)")
    return CheckResult(name, Status.OK, detail)


def check_printer(paths: AppPaths) -> CheckResult:
    name = "Printer"
    if sys.platform == "win32":
        return CheckResult(name, Status.OK, "Windows printing (checked when printing)")
    from dxdesk.forms.printing import cups_status

    status = cups_status()  # scheduler asked with lpstat -r: an installed but stopped CUPS is not "no printer"
    if not status.installed:
        return CheckResult(name, Status.WARN, "no print system (CUPS) found; forms can still be saved as PDF",
                           "install CUPS and add a printer (Debian: cups)")
    if not status.running:
        return CheckResult(name, Status.WARN, status.detail + "; forms can still be saved as PDF",
                           "start the CUPS service (systemctl start cups)")
    if not status.printers:
        return CheckResult(name, Status.WARN, status.detail + "; forms can still be saved as PDF",
                           "add a printer (lpadmin or the CUPS web page)")
    if status.default is None:
        return CheckResult(name, Status.WARN, status.detail, "set a default printer (`lpoptions -d NAME`)")
    return CheckResult(name, Status.OK, status.detail)


CHECKS: tuple[Callable[[AppPaths], CheckResult], ...] = (
    check_python_deps, check_home, check_settings, check_fonts, check_database, check_keyring, check_pcsc, check_printer,
)


def run_checks(paths: AppPaths | None = None) -> list[CheckResult]:
    paths = paths or app_paths()
    from dxdesk.config import SettingsError

    results = []
    for check in CHECKS:
        try:
            results.append(check(paths))
        except SettingsError:  # the Settings line says what is wrong; no traceback for a known cause
            results.append(CheckResult(check.__name__.removeprefix("check_").capitalize(), Status.FAIL,
                                       "not checked: settings.toml cannot be read", "fix Settings first"))
        except Exception as exc:  # a broken check must not hide the others
            log.exception("doctor check %s crashed", check.__name__)
            results.append(CheckResult(check.__name__.removeprefix("check_"), Status.FAIL,
                                       f"check crashed: {type(exc).__name__}", "see the log file"))
    return results


def format_report(results: list[CheckResult]) -> str:
    lines = ["dxdesk doctor", ""]
    width = max(len(r.name) for r in results)
    for r in results:
        lines.append(f"  [{r.status.value:4}] {r.name:<{width}}  {r.detail}")
    fixes = [r for r in results if r.status is not Status.OK and r.fix]
    if fixes:
        lines += ["", "To fix:"]
        lines += [f"  - {r.name}: {r.fix}" for r in fixes]
    failed = any(r.status is Status.FAIL for r in results)
    lines += ["", "Result: " + ("dxdesk cannot run until the FAIL items are fixed." if failed
                                else "dxdesk can run." + (" Some features are limited (WARN)." if fixes else ""))]
    return "\n".join(lines)


def _cmd_doctor(args: argparse.Namespace) -> int:
    results = run_checks()
    print(format_report(results))
    return 1 if any(r.status is Status.FAIL for r in results) else 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("doctor", help="check this PC (packages, card reader, font, database, keyring, printer)")
    p.set_defaults(func=_cmd_doctor)

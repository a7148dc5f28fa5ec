"""Start-up cost: a command imports only its own module; --version imports no heavy library at all.

Each check runs a fresh interpreter (this test process has everything imported already) and looks at
``sys.modules`` afterwards: what was imported, not how long it took (timings are in docs/performance.md).
"""
from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys

from dxdesk.cli import COMMAND_MODULES, COMMANDS, build_parser

HEAVY = ("sqlalchemy", "reportlab", "pypdf", "alembic", "PySide6", "keyring", "smartcard")


def _imported_after(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter, then list which HEAVY top-level packages it imported."""
    probe = (f"import sys\n{code}\n"
             f"print('MODULES=' + __import__('json').dumps([m for m in {HEAVY!r} if m in sys.modules]))\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    line = next(line for line in out.stdout.splitlines() if line.startswith("MODULES="))
    return list(json.loads(line.removeprefix("MODULES=")))


def test_version_imports_no_heavy_library():
    assert _imported_after("from dxdesk.cli import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n"
                           "    pass") == []


def test_python_m_dxdesk_version_imports_no_heavy_library():
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "dxdesk", "--version"], capture_output=True,
                         text=True, timeout=120, check=True)
    imported = {line.split("|")[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}
    assert out.stdout.strip().startswith("dxdesk ")
    assert not {name.split(".")[0] for name in imported} & set(HEAVY)


def test_a_command_imports_only_its_own_module():
    code = ("from dxdesk.cli import build_parser, _modules_for\n"
            "build_parser(_modules_for(['card', 'status'])).parse_args(['card', 'status'])")
    imported = _imported_after(code)
    assert not {"sqlalchemy", "reportlab", "pypdf", "alembic", "PySide6"} & set(imported)
    code = "import dxdesk.cli, sys\ndxdesk.cli.build_parser(('dxdesk.cardreader.cli',))\n" \
           "assert 'dxdesk.support.cli' not in sys.modules and 'dxdesk.forms.cli' not in sys.modules"
    _imported_after(code)


def test_each_module_registers_exactly_the_commands_listed_for_it():
    for module in COMMAND_MODULES:
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(module).register(sub)
        assert set(sub.choices) == {name for name, owner in COMMANDS.items() if owner == module}, module


def test_help_still_lists_every_command(capsys):
    text = build_parser().format_help()
    for name in COMMANDS:
        assert name in text


def test_an_unknown_command_is_answered_with_the_real_ones(capsys):
    from dxdesk.cli import main

    try:
        main(["suport", "list"])
    except SystemExit as exc:
        assert exc.code == 2
    err = capsys.readouterr().err
    assert "invalid choice" in err and "support" in err and "audit" in err


def test_a_current_schema_opens_without_importing_alembic(tmp_path):
    opening = "from dxdesk.store.database import open_database\nopen_database().close()"
    _imported_after(opening)  # creates and migrates the desk database (Alembic runs)
    assert "alembic" not in _imported_after(opening)  # already at head: the version table is enough


def test_the_head_read_from_the_scripts_is_alembics():
    from dxdesk.store import migrate

    assert migrate.head_revision_without_alembic() == migrate.head_revision()


def test_the_server_and_join_modules_load_without_alembic():
    """The window imports them for the join dialog; Alembic is needed only when a server schema is prepared."""
    assert "alembic" not in _imported_after("import dxdesk.security.join, dxdesk.store.server")


def test_every_revision_id_fits_the_version_table_of_postgresql():
    """alembic_version.version_num is VARCHAR(32) on PostgreSQL: a longer id breaks the server's upgrade."""
    from dxdesk.store import migrate

    assert all(len(rev) <= 32 for rev in migrate.known_revisions())


def test_the_window_and_the_counter_load_no_form_drawing_until_a_visit_prints():
    """ReportLab and pypdf (about 0.3 s) load when a visit reaches the print step, not at window start."""
    imported = _imported_after("import os\nos.environ.setdefault('QT_QPA_PLATFORM', 'offscreen')\n"
                               "import dxdesk.ui.app, dxdesk.ui.main_window, dxdesk.ui.counter")
    assert "PySide6" in imported  # the probe did import the window code
    assert not {"reportlab", "pypdf"} & set(imported)

"""The core must run headless: nothing outside dxdesk/ui/ may import PySide6."""
import ast
from pathlib import Path

import dxdesk

PACKAGE_DIR = Path(dxdesk.__file__).parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_never_imports_pyside6():
    offenders = []
    for path in PACKAGE_DIR.rglob("*.py"):
        rel = path.relative_to(PACKAGE_DIR)
        if rel.parts[0] == "ui":
            continue
        qt = sorted(n for n in _imports(path) if n.split(".")[0] in {"PySide6", "shiboken6", "PyQt5", "PyQt6"})
        if qt:
            offenders.append(f"{rel}: {', '.join(qt)}")
    assert offenders == [], "core modules importing Qt:\n" + "\n".join(offenders)


def test_checker_detects_a_qt_import(tmp_path):
    # Guard against a checker that can never fail.
    bad = tmp_path / "bad.py"
    bad.write_text("from PySide6.QtWidgets import QWidget\n", encoding="utf-8")
    assert "PySide6.QtWidgets" in _imports(bad)


def test_importing_the_core_does_not_load_qt():
    import subprocess
    import sys

    # Enumerate core modules from the file tree: pkgutil.walk_packages would import the
    # dxdesk.ui packages themselves while walking, which is exactly what must not count.
    code = (
        "import sys, importlib, pathlib, dxdesk\n"
        "root = pathlib.Path(dxdesk.__file__).parent\n"
        "for path in sorted(root.rglob('*.py')):\n"
        "    rel = path.relative_to(root)\n"
        "    if rel.parts[0] == 'ui' or 'migrations' in rel.parts or rel.name == '__main__.py': continue\n"
        "    parts = rel.with_suffix('').parts\n"
        "    if parts[-1] == '__init__': parts = parts[:-1]\n"
        "    importlib.import_module('.'.join(('dxdesk',) + parts))\n"
        "print(sorted(k for k in sys.modules if k.startswith('PySide6')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# The UI is a client of dxdesk.app: no SQL, no ORM rows, no writer jobs under dxdesk/ui.
UI_FORBIDDEN = ("sqlalchemy", "dxdesk.store.models", "dxdesk.store.writer")


def _all_imports(path: Path) -> set[str]:
    """Absolute and package-relative imports, plus ``from dxdesk.store import models`` spelled as a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _ui_offenders(root: Path) -> list[str]:
    offenders = []
    for path in sorted(root.rglob("*.py")):
        bad = sorted(n for n in _all_imports(path)
                     if any(n == f or n.startswith(f + ".") for f in UI_FORBIDDEN))
        if bad:
            offenders.append(f"{path.relative_to(root)}: {', '.join(bad)}")
    return offenders


def test_ui_never_imports_sqlalchemy_or_the_orm_models():
    offenders = _ui_offenders(PACKAGE_DIR / "ui")
    assert offenders == [], "UI modules reaching into the store (use dxdesk.app):\n" + "\n".join(offenders)


def test_ui_checker_detects_store_imports(tmp_path):
    # Guard against a checker that can never fail: each spelling of the forbidden imports is caught.
    for i, line in enumerate(("from sqlalchemy import select", "import sqlalchemy.orm",
                              "from dxdesk.store import models", "from dxdesk.store.models import Visit",
                              "    from dxdesk.store import models as m")):
        body = f"def f():\n{line}\n" if line.startswith(" ") else line + "\n"
        (tmp_path / f"bad{i}.py").write_text(body, encoding="utf-8")
    assert len(_ui_offenders(tmp_path)) == 5

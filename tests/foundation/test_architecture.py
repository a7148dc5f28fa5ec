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

    code = (
        "import sys, importlib, pkgutil, dxdesk\n"
        "for m in pkgutil.walk_packages(dxdesk.__path__, 'dxdesk.'):\n"
        "    if m.name.startswith('dxdesk.ui') or m.name.endswith('__main__'): continue\n"
        "    importlib.import_module(m.name)\n"
        "print(any(k.startswith('PySide6') for k in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"

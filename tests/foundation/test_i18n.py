"""The English UI is complete: every Japanese text on screen goes through the catalogue."""
import ast
import re
import subprocess
import sys
from pathlib import Path

import dxdesk
from dxdesk import i18n

UI_DIR = Path(dxdesk.__file__).parent / "ui"
ROOT = UI_DIR.parent.parent
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")
MARKERS = {"tr", "N_", "Msg"}
ALLOW_COMMENT = "# i18n: ja-only"


def unmarked_japanese(source: str, name: str) -> list[str]:
    """Japanese string literals not passed to tr()/N_()/Msg() (docstrings and ja-only lines excepted)."""
    lines = source.splitlines()
    tree = ast.parse(source, filename=name)
    exempt: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if called in MARKERS:
                exempt.update(id(a) for a in list(node.args) + [k.value for k in node.keywords]
                              if isinstance(a, ast.Constant))
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            exempt.add(id(node.value))  # docstrings are for developers
    return [
        f"{name}:{node.lineno}: {node.value[:40]!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and JAPANESE.search(node.value)
        and id(node) not in exempt and ALLOW_COMMENT not in lines[node.lineno - 1]
    ]


def test_every_japanese_ui_text_is_marked_for_translation():
    problems = []
    for path in sorted(UI_DIR.rglob("*.py")):
        problems += unmarked_japanese(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert problems == [], "wrap these in tr()/N_() (or Msg):\n" + "\n".join(problems[:80])


def test_the_checker_finds_unmarked_text():
    source = 'a = tr("受付")\nb = "受付"\nc = f"{a}件"\nd = Msg(ja="受付", en="Reception")\ne = "受付"  # i18n: ja-only\n'
    assert [p.split(":")[1] for p in unmarked_japanese(source, "x.py")] == ["2", "3"]


def test_every_marked_text_has_english():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "i18n_extract.py"), "--check"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_tr_switches_language():
    catalogue = i18n.load_catalogue("en")
    assert catalogue, "the English catalogue is empty"
    msgid, english = next(iter(catalogue.items()))
    try:
        i18n.set_language("en")
        assert i18n.tr(msgid) == english
        assert i18n.tr("カタログにない文") == "カタログにない文"
        i18n.set_language("ja")
        assert i18n.tr(msgid) == msgid
    finally:
        i18n.set_language("ja")

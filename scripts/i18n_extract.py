"""Adds every tr()/N_() msgid found in dxdesk/ to the English catalogue (keeps existing translations).

Run: .venv/bin/python scripts/i18n_extract.py            # update resources/locale/en/LC_MESSAGES/dxdesk.po
     .venv/bin/python scripts/i18n_extract.py --check    # exit 1 if msgids are missing or untranslated
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "resources" / "locale" / "en" / "LC_MESSAGES" / "dxdesk.po"
MARKERS = {"tr", "N_"}


def marked_strings(root: Path = ROOT / "dxdesk") -> dict[str, list[str]]:
    """msgid → ["file:line", ...] for string literals passed to tr() or N_()."""
    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                if name in MARKERS:
                    found.setdefault(node.args[0].value, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def load_or_new() -> polib.POFile:
    if CATALOGUE.exists():
        return polib.pofile(str(CATALOGUE), wrapwidth=0)
    po = polib.POFile(wrapwidth=0)
    po.metadata = {"Project-Id-Version": "dxdesk", "Language": "en", "MIME-Version": "1.0",
                   "Content-Type": "text/plain; charset=UTF-8", "Content-Transfer-Encoding": "8bit"}
    return po


def main(argv: list[str]) -> int:
    po = load_or_new()
    strings = marked_strings()
    known = {e.msgid: e for e in po}
    missing = [s for s in strings if s not in known]
    untranslated = [s for s, e in known.items() if s in strings and not e.msgstr]
    if "--check" in argv:
        for s in missing:
            print(f"not in catalogue: {s!r} ({strings[s][0]})")
        for s in untranslated:
            print(f"no English yet: {s!r} ({strings[s][0]})")
        return 1 if missing or untranslated else 0
    for s in missing:
        po.append(polib.POEntry(msgid=s, msgstr="", occurrences=[tuple(o.rsplit(":", 1)) for o in strings[s][:3]]))
    for entry in po:
        if entry.msgid in strings:
            entry.occurrences = [tuple(o.rsplit(":", 1)) for o in strings[entry.msgid][:3]]
            entry.obsolete = False
        elif entry.msgid:
            entry.obsolete = True  # kept for translators, ignored at run time
    CATALOGUE.parent.mkdir(parents=True, exist_ok=True)
    po.save(str(CATALOGUE))
    print(f"{len(strings)} msgids; added {len(missing)}; untranslated {len(untranslated) + len(missing)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Keeps the English catalogues in step with the tr()/N_() texts in the code.

One gettext domain (a .po file) per screen group, so translators and developers can work on
groups independently; the app merges all domains of a language.

  .venv/bin/python scripts/i18n_extract.py --domain counter dxdesk/ui/counter
        add the msgids found under the given paths to resources/locale/en/LC_MESSAGES/counter.po
  .venv/bin/python scripts/i18n_extract.py --check
        exit 1 if any msgid in dxdesk/ is in no catalogue or has no English text
"""
from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "resources" / "locale" / "en" / "LC_MESSAGES"
MARKERS = {"tr", "N_"}


def marked_strings(paths: list[Path]) -> dict[str, list[str]]:
    """msgid → ["file:line", ...] for string literals passed to tr() or N_()."""
    found: dict[str, list[str]] = {}
    files = sorted(f for p in paths for f in ([p] if p.is_file() else p.rglob("*.py")))
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                if name in MARKERS:
                    found.setdefault(node.args[0].value, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def _open(path: Path) -> polib.POFile:
    if path.exists():
        return polib.pofile(str(path), wrapwidth=0)
    po = polib.POFile(wrapwidth=0)
    po.metadata = {"Project-Id-Version": "dxdesk", "Language": "en", "MIME-Version": "1.0",
                   "Content-Type": "text/plain; charset=UTF-8", "Content-Transfer-Encoding": "8bit"}
    return po


def check() -> int:
    strings = marked_strings([ROOT / "dxdesk"])
    translated: dict[str, str] = {}
    bad = 0
    for path in sorted(LOCALE.glob("*.po")):
        for e in polib.pofile(str(path)):
            if e.obsolete:
                continue
            # The domains are merged at run time: one msgid must mean one English text everywhere.
            if e.msgstr and translated.get(e.msgid) and translated[e.msgid] != e.msgstr:
                print(f"two translations of {e.msgid!r}: {translated[e.msgid]!r} and {e.msgstr!r} ({path.name})")
                bad += 1
            translated[e.msgid] = translated.get(e.msgid) or e.msgstr
    for msgid, where in strings.items():
        if msgid not in translated:
            print(f"not in any catalogue: {msgid!r} ({where[0]})")
            bad += 1
        elif not translated[msgid]:
            print(f"no English yet: {msgid!r} ({where[0]})")
            bad += 1
    print(f"{len(strings)} msgids, {bad} problems")
    return 1 if bad else 0


def update(domain: str, paths: list[Path]) -> int:
    path = LOCALE / f"{domain}.po"
    po = _open(path)
    strings = marked_strings(paths)
    known = {e.msgid: e for e in po}
    for msgid, where in strings.items():
        entry = known.get(msgid)
        if entry is None:
            entry = polib.POEntry(msgid=msgid, msgstr="")
            po.append(entry)
        entry.occurrences = [tuple(o.rsplit(":", 1)) for o in where[:3]]
        entry.obsolete = False
    for entry in po:
        if entry.msgid and entry.msgid not in strings:
            entry.obsolete = True  # kept for translators, ignored at run time
    LOCALE.mkdir(parents=True, exist_ok=True)
    po.save(str(path))
    missing = sum(1 for e in po if not e.obsolete and not e.msgstr)
    print(f"{path.relative_to(ROOT)}: {len(strings)} msgids, {missing} without English")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--domain")
    parser.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args(argv)
    if args.check:
        return check()
    if not args.domain or not args.paths:
        parser.error("give --domain NAME and the paths whose texts belong to it")
    return update(args.domain, [p if p.is_absolute() else ROOT / p for p in args.paths])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

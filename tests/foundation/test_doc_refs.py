"""Documents the code cites exist, and so do the sections it cites in the card protocol notes.

The card code cites ``docs/mynumber-card.md §n`` (and, inside dxdesk/cardreader/, "doc §n");
a citation that leads nowhere is worse than none.
"""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CARD_DOC = ROOT / "docs" / "mynumber-card.md"
SOURCES = [*ROOT.joinpath("dxdesk").rglob("*.py"), *ROOT.joinpath("tools").rglob("*.py"),
           *ROOT.joinpath("tests").rglob("*.py"), *ROOT.joinpath("docs").glob("*.md"), ROOT / "README.md"]
DOC_PATH = re.compile(r"\bdocs/([\w.-]+\.md)\b")
# "mynumber-card.md §2.3-§2.6" and, in the card package, "doc §6.4" / "(§8.5)": every §n after such a lead-in.
CARD_CITE = re.compile(r"(?:mynumber-card\.md|\bdoc) (§[\d.]+(?:\s*[-–]\s*§[\d.]+)?)")


def _section_numbers(text: str) -> set[str]:
    return {m.group(1) for m in re.finditer(r"^#{2,4} (\d+(?:\.\d+)*)\.? ", text, re.MULTILINE)}


def test_cited_documents_exist():
    # The card notes themselves cite other projects' docs/ folders (jsapdu's TLV schema notes, for one).
    missing = sorted({f"{path.relative_to(ROOT)}: docs/{name}" for path in SOURCES if path != CARD_DOC
                      for name in DOC_PATH.findall(path.read_text(encoding="utf-8"))
                      if not (ROOT / "docs" / name).exists()})
    assert missing == []


def test_cited_card_protocol_sections_exist():
    sections = _section_numbers(CARD_DOC.read_text(encoding="utf-8"))
    dangling = []
    for path in SOURCES:
        if path == CARD_DOC:
            continue
        for cite in CARD_CITE.findall(path.read_text(encoding="utf-8")):
            for number in re.findall(r"§([\d.]+)", cite):
                number = number.rstrip(".")
                top = number.split(".")[0]
                # "§8.5" is item 5 of §8's checklist, not a heading of its own.
                if number not in sections and not (top in sections and top == "8"):
                    dangling.append(f"{path.relative_to(ROOT)}: §{number}")
    assert dangling == []


def test_section_finder_reads_headings():
    assert _section_numbers("## 2. Text AP\n### 2.4 EF 0002: layout\n") == {"2", "2.4"}

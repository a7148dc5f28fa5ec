"""Reading back generated PDFs with poppler (pdftotext -bbox, pdffonts) for position checks."""
from __future__ import annotations

import html
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from dxdesk.forms import FormData

MM = 72 / 25.4
DATA = Path(__file__).parent / "data"


def fixture_data(**interview) -> FormData:
    raw = json.loads((DATA / "resident.json").read_text(encoding="utf-8"))
    raw["interview"].update(interview)
    return FormData.from_dict(raw).with_computed()


@dataclass(frozen=True)
class Word:
    text: str
    x0: float  # points from the left
    y0: float  # points from the top
    x1: float
    y1: float


def words(pdf: bytes, tmp_path: Path) -> list[Word]:
    path = tmp_path / "w.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
    return [Word(html.unescape(t), float(a), float(b), float(c), float(d)) for a, b, c, d, t in re.findall(pattern, out)]


def find(ws: list[Word], text: str) -> Word:
    for w in ws:
        if w.text == text:
            return w
    raise AssertionError(f"{text!r} not found in {[w.text for w in ws][:60]}")


def fonts(pdf: bytes, tmp_path: Path) -> list[dict[str, str]]:
    path = tmp_path / "f.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()
    rows = []
    for line in out[2:]:
        parts = line.split()
        # name type... emb sub uni object-id gen: the flags are the 5th-3rd from the end
        rows.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4]})
    return rows


def inside(word: Word, x_mm: float, y_mm: float, w_mm: float, h_mm: float, slack_pt: float = 1.5) -> bool:
    return (x_mm * MM - slack_pt <= word.x0 and word.x1 <= (x_mm + w_mm) * MM + slack_pt
            and y_mm * MM - slack_pt <= word.y0 and word.y1 <= (y_mm + h_mm) * MM + slack_pt)

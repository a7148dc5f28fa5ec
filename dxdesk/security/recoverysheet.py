"""The printed town recovery sheet (PDF): the recovery secret, its check code and the key's fingerprint.

Printed once by ``dxdesk db recovery-setup`` and kept in the town's safe. BIZ UDGothic
(bundled) makes 0/O and 1/I distinguishable; the secret is in base32, which has no 0,
1, 8 or 9 anyway, and the check code catches a mistyped character.
"""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from dxdesk import fonts
from dxdesk.security.recoverykey import RecoverySecret, fingerprint

_LINES_JA = (
    "この用紙は、パソコンの故障・紛失時に、その端末の記録（個人情報を含む）を復元するための鍵です。",
    "金庫など施錠できる場所に保管し、コピーを作らないでください。端末には保存されていません。",
    "復元: 新しいパソコンで dxdesk db restore バックアップ --recovery-sheet -  を実行し、",
    "下の復旧キーと確認コードを入力します（区切りの - と空白は省略できます）。",
)
_LINES_EN = (
    "This sheet is the key to restore a lost or broken desk's records (including personal data).",
    "Keep it locked away (e.g. in the town's safe) and make no copies; no desk stores it.",
    "To restore: dxdesk db restore BACKUP --recovery-sheet -  then type the secret and check code below.",
)


def _register() -> None:
    registered = set(pdfmetrics.getRegisteredFontNames())
    for face in (fonts.GOTHIC, fonts.GOTHIC_BOLD):
        if face.family not in registered:
            pdfmetrics.registerFont(TTFont(face.family, str(face.path)))


def write_recovery_sheet(path: Path, secret: RecoverySecret, municipality: str = "",
                         today: date | None = None) -> None:
    """Write the sheet to ``path`` (created owner-only; never overwrites an existing file)."""
    _register()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        pdf = canvas.Canvas(out, pagesize=A4)
        pdf.setTitle("dxdesk town recovery sheet")
        width, height = A4
        x, y = 20 * mm, height - 25 * mm
        pdf.setFont(fonts.GOTHIC_BOLD.family, 18)
        pdf.drawString(x, y, f"町の復旧シート（dxdesk）　{municipality}".rstrip())
        y -= 8 * mm
        pdf.setFont(fonts.GOTHIC.family, 10)
        pdf.drawString(x, y, f"Town recovery sheet — created {(today or date.today()).isoformat()}")
        y -= 12 * mm
        for line in _LINES_JA:
            pdf.drawString(x, y, line)
            y -= 6 * mm
        y -= 2 * mm
        for line in _LINES_EN:
            pdf.drawString(x, y, line)
            y -= 6 * mm
        y -= 8 * mm
        pdf.setFont(fonts.GOTHIC_BOLD.family, 12)
        pdf.drawString(x, y, "復旧キー / Recovery secret")
        y -= 12 * mm
        groups = secret.grouped.split("-")
        pdf.setFont(fonts.GOTHIC.family, 20)
        for start in range(0, len(groups), 5):  # 5 groups a line: easy to keep one's place while typing
            pdf.drawString(x + 5 * mm, y, "  ".join(groups[start:start + 5]))
            y -= 11 * mm
        y -= 4 * mm
        pdf.setFont(fonts.GOTHIC_BOLD.family, 12)
        pdf.drawString(x, y, f"確認コード / Check code:  {secret.check_code}")
        y -= 8 * mm
        pdf.drawString(x, y, f"鍵の指紋 / Key fingerprint:  {fingerprint(secret.public)}")
        y -= 6 * mm
        pdf.setFont(fonts.GOTHIC.family, 9)
        pdf.drawString(x, y, "（dxdesk db status に表示される指紋と同じであることを確認してください）")
        pdf.showPage()
        pdf.save()

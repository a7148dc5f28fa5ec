"""The counter page's shortcut line: every key of the visit, each item whole, wrapping between items."""
from __future__ import annotations

from PySide6.QtWidgets import QWidget

from dxdesk.i18n import N_, tr
from dxdesk.ui.flowlayout import FlowLayout
from dxdesk.ui.theme import note

FULLWIDTH_SLASH = chr(0xFF0F)  # the separator of the Japanese shortcut hint
SHORTCUTS_HINT = (N_("Ctrl+Enter 次へ ／ Ctrl+Backspace 戻る ／ F2 カード読取 ／ F3 手入力 ／ F4 照合番号B ／ "
                  "F5 お客様画面 ／ F6 個人番号読取 ／ Ctrl+P 印刷 ／ Esc 中断・再開"))


def shortcut_hint(parent: QWidget) -> QWidget:
    """One label per key, wrapped as whole items: a single wrapped line broke 「Esc 中/断・再開」 (#14)."""
    hint = QWidget(parent)
    flow = FlowLayout(hint, spacing=4)
    flow.setContentsMargins(0, 0, 0, 0)
    text = tr(SHORTCUTS_HINT)
    separator = FULLWIDTH_SLASH if FULLWIDTH_SLASH in text else "/"
    items = text.split(f" {separator} ")
    for i, item in enumerate(items):
        key_label = note(item.strip() + (f" {separator}" if i < len(items) - 1 else ""), 11, hint)
        key_label.setWordWrap(False)  # each item whole; the flow wraps between items
        flow.addWidget(key_label)
    return hint

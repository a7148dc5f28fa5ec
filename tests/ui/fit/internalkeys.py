"""Internal keys and event codes must never reach the screen (#14: 「確認が必要な箇所があります: procedures」).

The keys come from the catalogues themselves: procedure and question ids, the forms' field names and the
audit event types and card items. In Japanese every such key is a leak; in English only the ones no
English sentence would contain (with "_" or "."), since "procedures" is also an English word.
"""
from __future__ import annotations

import re
from functools import cache

from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QWidget

from dxdesk.counter import load_catalogue
from dxdesk.forms.registry import discover
from dxdesk.security.audit import EventType
from fitcheck import plain_text

CARD_ITEMS = ("basic4", "pinless", "my_number", "birth_date")


@cache
def internal_keys() -> frozenset[str]:
    keys: set[str] = {e.value for e in EventType} | set(CARD_ITEMS)
    for procedure in load_catalogue():
        keys.add(procedure.id)
        keys.update(q.id for q in procedure.questions)
    for template_id, template in discover()[0].items():
        keys.add(template_id)
        keys.update(f.name for f in template.fields)
    return frozenset(k for k in keys if len(k) > 3)


def visible_texts(root: QWidget) -> list[str]:
    texts = [plain_text(w) for w in root.findChildren(QLabel) if w.isVisible() and w.text()]  # markup is not on screen
    texts += [w.text() for w in root.findChildren(QAbstractButton) if w.isVisible() and w.text()]
    texts += [w.placeholderText() for w in root.findChildren(QLineEdit) if w.isVisible() and w.placeholderText()]
    return texts


def leaked_keys(root: QWidget, keys: frozenset[str], language: str) -> list[str]:
    leaks = []
    for text in visible_texts(root):
        for token in re.findall(r"[A-Za-z][A-Za-z0-9_.]*[A-Za-z0-9]", text):
            if token in keys and (language == "ja" or "_" in token or "." in token):
                leaks.append(f"{token!r} in {text[:60]!r}")
    return leaks

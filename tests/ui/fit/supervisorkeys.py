"""Internal names on the supervisor's and administrator's pages (#14 item 12: 「support.change」, 「basic4, pinless」).

Beyond the counter's keys (internalkeys.py): role and permission ids, support topic / venue-type / device /
outcome codes, the setting names the audit log records, the detail keys of audit events. And beyond labels
and buttons: table cells and headers, tab titles, combo box entries and window titles, since the
supervisor's screens are mostly tables.
"""
from __future__ import annotations

import re
from functools import cache

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QComboBox, QTabBar, QWidget

from dxdesk.security.auditlabels import DETAIL_LABELS, VALUE_LABELS
from dxdesk.security.permissions import Permission, Role
from dxdesk.support.catalog import DEVICE_LABELS, OUTCOME_LABELS, Catalog
from internalkeys import internal_keys, visible_texts

ROWS_SCANNED = 60  # per table: the rows a supervisor sees first (a lazy list has more)


@cache
def supervisor_keys() -> frozenset[str]:
    catalog = Catalog.seeded()
    keys = set(internal_keys()) | {r.value for r in Role} | {p.value for p in Permission}
    keys |= {t.code for t in catalog.topics} | {v.code for v in catalog.venue_types}
    keys |= set(DEVICE_LABELS) | set(OUTCOME_LABELS) | set(DETAIL_LABELS)
    for key, values in VALUE_LABELS.items():
        keys |= set(values)
    # Codes that are also ordinary words in a sentence or a login are left to the "_"/"." rule.
    return frozenset(k for k in keys if len(k) > 3)


def table_texts(view: QAbstractItemView) -> list[str]:
    model = view.model()
    if model is None:
        return []
    root = QModelIndex()
    try:
        columns = model.columnCount(root)
    except TypeError:  # a list widget's model keeps columnCount private: it has one
        columns = 1
    texts = [str(model.headerData(c, Qt.Orientation.Horizontal) or "") for c in range(columns)]
    for row in range(min(model.rowCount(root), ROWS_SCANNED)):
        for column in range(columns):
            value = model.data(model.index(row, column))
            if value is not None:
                texts.append(str(value))
    return texts


def all_visible_texts(root: QWidget) -> list[str]:
    texts = visible_texts(root) + [root.windowTitle()]
    for view in root.findChildren(QAbstractItemView):
        if view.isVisible() and not isinstance(view.parentWidget(), QComboBox):
            texts += table_texts(view)
    for combo in root.findChildren(QComboBox):
        if combo.isVisible():
            texts += [combo.itemText(i) for i in range(combo.count())]
    for bar in root.findChildren(QTabBar):
        if bar.isVisible():
            texts += [bar.tabText(i) for i in range(bar.count()) if bar.isTabVisible(i)]
    return [t for t in texts if t]


def leaked_names(root: QWidget, language: str) -> list[str]:
    """Internal names among the visible texts: any in Japanese; in English those with "_", "." or a digit (an
    English sentence may say "sessions" or "topic", but never "support.change", "log_support" or "basic4")."""
    keys = supervisor_keys()
    leaks = []
    for text in all_visible_texts(root):
        for token in re.findall(r"[A-Za-z][A-Za-z0-9_.]*[A-Za-z0-9]", text):
            if token in keys and (language == "ja" or re.search(r"[_.0-9]", token)):
                leaks.append(f"{token!r} in {text[:60]!r}")
    return sorted(set(leaks))

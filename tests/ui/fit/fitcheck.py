"""Does a window fit the screen, and does every text in it show whole?

``problems(window, available)`` lists, in words a reviewer can act on, every place where the window or a
dialog is larger than the available screen geometry, a widget is squeezed below its minimum size (its
layout clips it), or a label/button text does not fit its widget (elided, cut, or a word-wrapped label
that needs more height than it has). Widgets scrolled inside a QScrollArea are not clipped: they can be
scrolled to; a QScrollArea's content is only checked for width (a horizontal scroll bar on a form is a defect).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFontMetrics, QGuiApplication, QTextDocument
from PySide6.QtWidgets import (
    QAbstractButton, QAbstractScrollArea, QApplication, QCheckBox, QDialog, QGroupBox, QLabel, QRadioButton,
    QScrollArea, QWidget,
)

SLACK = 1  # px: rounding between font metrics and layout


def _name(w: QWidget) -> str:
    text = ""
    if isinstance(w, (QLabel, QAbstractButton)):
        text = w.text().replace("\n", " ")[:40]
    return f"{type(w).__name__}({w.objectName() or ''}{': ' + repr(text) if text else ''})"


def plain_text(label: QLabel) -> str:
    """The words a label shows: rich text without its markup."""
    text = label.text()
    if label.textFormat() == Qt.TextFormat.RichText or (
            label.textFormat() == Qt.TextFormat.AutoText and bool(re.search(r"<[a-zA-Z/][^>]*>", text))):
        doc = QTextDocument()
        doc.setHtml(text)
        return doc.toPlainText()
    return text


def _inside_scroll_content(w: QWidget, stop: QWidget) -> bool:
    p = w.parentWidget()
    while p is not None and p is not stop:
        if isinstance(p.parentWidget(), QAbstractScrollArea) or (
                p.parentWidget() is not None and isinstance(p.parentWidget().parentWidget(), QAbstractScrollArea)):
            return True
        p = p.parentWidget()
    return False


def _label_problem(label: QLabel) -> str | None:
    text = plain_text(label)
    if not text.strip() or label.pixmap() is not None and not label.pixmap().isNull():
        return None
    rect = label.contentsRect()
    margin = label.margin() * 2 + max(label.indent(), 0)
    width, height = rect.width() - margin, rect.height() - label.margin() * 2
    fm = QFontMetrics(label.font())
    if label.wordWrap():
        need = label.heightForWidth(label.width())
        if need > label.height() + SLACK:
            return f"word-wrapped text needs {need} px of height, has {label.height()}"
        # A single unbreakable run wider than the label (a long ASCII word) is cut even when wrapped.
        for word in re.split(r"\s+", text):
            if word and word.isascii() and fm.horizontalAdvance(word) > width + SLACK:
                return f"word {word!r} is wider ({fm.horizontalAdvance(word)} px) than the label ({width})"
        return None
    lines = text.split("\n")
    need_w = max(fm.horizontalAdvance(line) for line in lines)
    need_h = fm.height() * len(lines)
    if need_w > width + SLACK:
        return f"text needs {need_w} px of width, has {width}"
    if need_h > height + SLACK:
        return f"text needs {need_h} px of height, has {height}"
    return None


def _button_problem(b: QAbstractButton) -> str | None:
    if not b.text().strip():
        return None
    hint = b.sizeHint()
    if isinstance(b, (QCheckBox, QRadioButton)) or b.property("wraps"):
        need_w = b.minimumSizeHint().width() if b.property("wraps") else hint.width()
    else:
        need_w = hint.width()
    if need_w > b.width() + SLACK:
        return f"button text needs {need_w} px of width, has {b.width()}"
    fm = QFontMetrics(b.font())
    lines = b.text().count("\n") + 1
    if fm.height() * lines > b.contentsRect().height() + SLACK:
        return f"button text needs {fm.height() * lines} px of height, has {b.contentsRect().height()}"
    return None


def _clipped_by_parent(w: QWidget) -> str | None:
    parent = w.parentWidget()
    if parent is None or w.isWindow():
        return None
    if isinstance(parent.parentWidget(), QScrollArea) and parent is parent.parentWidget().viewport():
        # The scroll area's content: reachable by scrolling down, but a form that must be scrolled
        # sideways is cut off for the clerk (no scroll area here shows a horizontal bar).
        if w.width() > parent.width() + SLACK:
            return f"scroll content is {w.width()} px wide in a {parent.width()} px view: cut off at the right"
        return None
    if isinstance(parent, QAbstractScrollArea) or isinstance(parent.parentWidget(), QAbstractScrollArea):
        return None  # scroll bars, viewports and item views manage their own children
    outside = w.geometry().united(parent.rect()) != parent.rect()
    if outside and w.geometry().intersects(parent.rect()):
        return f"extends outside its parent ({w.geometry().getRect()} in {parent.rect().getRect()})"
    return None


def _owner(w: QWidget, names: frozenset[str] | set[str]) -> bool:
    while w is not None:
        if type(w).__name__ in names:
            return True
        w = w.parentWidget()
    return False


def widget_problems(root: QWidget, owned_elsewhere: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Problems under ``root``; those inside a widget class named in ``owned_elsewhere`` start with
    "elsewhere:" (another part of the work owns them; the caller decides)."""
    found: list[str] = []
    for w in [root, *root.findChildren(QWidget)]:
        if not w.isVisible() or w.isWindow() and w is not root:
            continue
        if w.window() is not root:
            continue
        problem: str | None = None
        if isinstance(w, QLabel):
            problem = _label_problem(w)
        elif isinstance(w, QAbstractButton) and not w.inherits("QToolButton") or isinstance(w, QCheckBox):
            problem = _button_problem(w)
        elif isinstance(w, QGroupBox) and w.title():
            fm = QFontMetrics(w.font())
            if fm.horizontalAdvance(w.title()) > w.width():
                problem = "group title wider than the box"
        if problem is None and w is not root:
            problem = _clipped_by_parent(w)
        if problem is None and w.layout() is not None and w is not root and not _inside_scroll_content(w, root):
            need = w.minimumSizeHint()
            if need.height() > w.height() + SLACK or need.width() > w.width() + SLACK:
                problem = f"squeezed: needs at least {need.width()}x{need.height()}, has {w.width()}x{w.height()}"
        if problem:
            prefix = "elsewhere: " if owned_elsewhere and _owner(w, owned_elsewhere) else ""
            found.append(f"{prefix}{_name(w)}: {problem}")
    return found


def window_problems(window: QWidget, available: QRect,
                    owned_elsewhere: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Problems of one top-level window (the main window or a dialog) on a screen with ``available`` geometry."""
    found = []
    frame = window.frameGeometry()
    if frame.width() > available.width() or frame.height() > available.height():
        found.append(f"{_name(window)} {window.windowTitle()!r}: window {frame.width()}x{frame.height()} "
                     f"is larger than the screen's {available.width()}x{available.height()}")
    elif not available.contains(frame):
        found.append(f"{_name(window)} {window.windowTitle()!r}: window {frame.getRect()} is partly off the "
                     f"screen {available.getRect()}")
    found.extend(p if p.startswith("elsewhere:") else f"{window.windowTitle() or type(window).__name__}: {p}"
                 for p in widget_problems(window, owned_elsewhere))
    return found


def settled_windows(window: QWidget) -> tuple[QRect, list[QWidget]]:
    """After the layouts settle: the screen's available geometry, and ``window`` with every visible dialog."""
    for _ in range(4):  # layouts settle through posted LayoutRequest events, one level of nesting per turn
        QApplication.processEvents()
    available = QGuiApplication.primaryScreen().availableGeometry()
    windows = [window] + [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]
    return available, windows


def save_shots(windows: list[QWidget], name: str) -> None:
    """With DXDESK_FIT_SHOTS=DIR: a PNG of the window (NAME.png) and of each open dialog (NAME-dialogN.png)."""
    shots = os.environ.get("DXDESK_FIT_SHOTS", "")
    if not shots:
        return
    directory = Path(shots)
    directory.mkdir(parents=True, exist_ok=True)
    for i, w in enumerate(windows):
        suffix = "" if i == 0 else f"-dialog{i}"
        w.grab().save(str(directory / f"{name}{suffix}.png"))

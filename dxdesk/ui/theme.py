"""The one look of dxdesk: named colours, type sizes, the focus ring and the base style sheet.

``apply_theme(app)`` (called by ``create_application``) installs the style sheet app-wide,
so every page, dialog and message box shares the same buttons, fields, tabs, tables and
focus ring. Pages add only what is really theirs (the support page's toggle grid, the
resident-facing PIN pad), built from the colours here.

Widgets opt into variants with dynamic properties, never with their own colours:

* ``QPushButton[kind="primary" | "secondary" | "danger" | "step"]`` (see :func:`button`);
* ``QLabel[role="title" | "hint" | "error" | "ok" | "warning" | "problems"]``
  (see :func:`heading`, :func:`note`, :func:`message_label`, :func:`error_label`);
* ``QLabel#banner[kind="ok" | "error" | "info"]`` and ``QLabel#notice`` for boxed messages;
* ``QFrame[panel="true"]`` for a light card behind a group of content.

The focus ring follows the GOV.UK pattern (yellow fill, near-black 3 px ring): it is the
one indicator that stays visible on white, grey and blue alike, which a keyboard-only
clerk needs on every screen. Contrast of every text colour on white is >= 7:1 unless noted.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QDateTimeEdit, QLabel, QPushButton, QWidget

from dxdesk.i18n import tr
from dxdesk.resources import resource_path
from dxdesk.ui.qtfonts import ui_font

# -- colours -------------------------------------------------------------------------------------
INK = "#1a2433"  # body text (15:1 on white)
MUTED = "#4a5561"  # secondary text (7.6:1)
NAVY = "#12355b"  # headings; resident-facing banners (white on it: 12:1)
ACCENT = "#1d5c99"  # the one blue: primary buttons, selected tabs, checked toggles (white on it: 6.7:1)
ACCENT_DARK = "#144573"  # hover / pressed / borders of the blue
ACCENT_SOFT = "#e6eff8"  # hover and selection backgrounds
ERROR = "#b3261e"  # errors and the danger button (6.3:1)
ERROR_SOFT = "#fdecea"
OK = "#1b6e3a"  # success (6.4:1)
OK_SOFT = "#e5f3e9"
WARNING = "#7a4a00"  # cautions (7.2:1) on WARNING_SOFT
WARNING_SOFT = "#fff3c4"
WARNING_BORDER = "#d9b84a"
FOCUS_FILL = "#ffdd00"  # focus: yellow fill with a near-black ring (GOV.UK pattern)
FOCUS_RING = "#0b0c0c"
BORDER = "#8694a3"  # field and button borders (3:1 against white, as WCAG 1.4.11 asks)
DIVIDER = "#d5dde5"  # frames and grid lines that only group, never convey state
PAGE_BG = "#f5f7fa"  # behind the cards
SURFACE = "#ffffff"
DISABLED_TEXT = "#6b7580"
DISABLED_BG = "#eef1f4"

# -- type sizes (points) -------------------------------------------------------------------------
BODY_PT = 12
LARGE_PT = 14
SECTION_PT = 16
HEADING_PT = 18
TITLE_PT = 24
RESIDENT_PT = 24  # resident-facing screens (PIN pad, ResidentView) never go below this

# -- targets -------------------------------------------------------------------------------------
TARGET_PX = 44  # WCAG 2.5.5 minimum; every clerk button
TOUCH_TARGET_PX = 48  # tablets (support log), the home page's big buttons

# -- field padding -------------------------------------------------------------------------------
# Text of a QLineEdit starts after its 2 px border and 8 px style-sheet padding. Qt lays out the
# line edit inside a spin box over the whole box, ignoring the spin box's padding, so number
# fields get the same inset as text margins instead (see _SpinBoxInset).
SPIN_TEXT_INSET_PX = 10


def _icon(name: str) -> str:
    """A style-sheet url() for an icon in resources/ui (forward slashes: Qt wants them on Windows too)."""
    return resource_path("ui", name).as_posix()


APP_STYLE_SHEET = f"""
QWidget {{ color: {INK}; }}
QMainWindow, QDialog {{ background: {PAGE_BG}; }}
QMenuBar {{ background: {SURFACE}; border-bottom: 1px solid {DIVIDER}; }}
QMenuBar::item {{ padding: 6px 12px; }}
QMenuBar::item:selected, QMenu::item:selected {{ background: {ACCENT}; color: white; }}
QMenu {{ background: {SURFACE}; border: 1px solid {BORDER}; }}
QMenu::item {{ padding: 8px 28px 8px 20px; }}
QStatusBar {{ background: {SURFACE}; border-top: 1px solid {DIVIDER}; color: {INK}; }}
QToolTip {{ background: {SURFACE}; color: {INK}; border: 1px solid {BORDER}; padding: 4px; }}

/* Navigation list of the main window */
QListWidget#navigation {{ background: {NAVY}; color: white; border: none; outline: none; }}
QListWidget#navigation::item {{ padding: 14px 14px; border-left: 6px solid transparent; }}
QListWidget#navigation::item:selected {{ background: #0c2540; border-left: 6px solid {FOCUS_FILL}; color: white; }}
QListWidget#navigation::item:hover:!selected {{ background: #1b4776; }}
QListWidget#navigation:focus {{ border: 3px solid {FOCUS_FILL}; }}

/* Buttons: secondary is the default look; kind= picks the others. */
QPushButton {{
    background: {SURFACE}; color: {INK}; border: 2px solid {BORDER}; border-radius: 6px;
    padding: 6px 12px; min-height: 28px;
}}
QPushButton[compact="true"] {{ padding: 4px 8px; }}
QPushButton:hover {{ background: {ACCENT_SOFT}; border-color: {ACCENT}; }}
QPushButton:pressed {{ background: #cfdff0; }}
QPushButton:disabled {{ color: {DISABLED_TEXT}; background: {DISABLED_BG}; border-color: {DIVIDER}; }}
QPushButton[kind="primary"] {{ background: {ACCENT}; color: white; border-color: {ACCENT_DARK}; font-weight: bold; }}
QPushButton[kind="primary"]:hover {{ background: {ACCENT_DARK}; }}
QPushButton[kind="primary"]:disabled {{ background: #a9b6c3; border-color: #a9b6c3; color: white; }}
QPushButton[kind="danger"] {{ color: {ERROR}; border-color: {ERROR}; }}
QPushButton[kind="danger"]:hover {{ background: {ERROR_SOFT}; }}
QPushButton[kind="danger"]:disabled {{ color: #c98e89; border-color: #ecc9c6; background: {SURFACE}; }}
QPushButton[kind="step"] {{ background: {ACCENT_SOFT}; border-radius: 24px; font-weight: bold; padding: 0px; }}
QPushButton:focus, QPushButton[kind="primary"]:focus, QPushButton[kind="danger"]:focus {{
    background: {FOCUS_FILL}; color: {FOCUS_RING}; border: 3px solid {FOCUS_RING};
}}

/* Fields */
QLineEdit, QComboBox, QDateEdit, QDateTimeEdit, QSpinBox, QDoubleSpinBox, QTextEdit, QPlainTextEdit, QListWidget,
QTableView, QTableWidget, QTreeView {{
    background: {SURFACE}; border: 2px solid {BORDER}; border-radius: 6px;
}}
QLineEdit, QComboBox, QDateEdit, QDateTimeEdit, QSpinBox, QDoubleSpinBox {{ padding: 4px 8px; min-height: 28px; }}
QLineEdit:focus, QComboBox:focus, QDateEdit:focus, QDateTimeEdit:focus, QSpinBox:focus, QDoubleSpinBox:focus,
QTextEdit:focus,
QPlainTextEdit:focus, QListWidget:focus, QTableView:focus, QTableWidget:focus, QTreeView:focus {{
    border: 3px solid {FOCUS_RING}; background: #fffbe0;
}}
/* A restyled combo/spin box loses the platform's arrows: draw ours (resources/ui). */
QComboBox::drop-down, QDateEdit::drop-down, QDateTimeEdit::drop-down {{
    subcontrol-origin: padding; subcontrol-position: center right; width: 30px; border: none;
}}
QComboBox::down-arrow, QDateEdit::down-arrow, QDateTimeEdit::down-arrow {{ image: url({_icon("arrow-down.svg")}); width: 14px; height: 14px; }}
QSpinBox::up-button, QSpinBox::down-button, QDoubleSpinBox::up-button, QDoubleSpinBox::down-button {{
    subcontrol-origin: border; width: 26px; border: none;
}}
QSpinBox::up-button, QDoubleSpinBox::up-button {{ subcontrol-position: top right; }}
QSpinBox::down-button, QDoubleSpinBox::down-button {{ subcontrol-position: bottom right; }}
QSpinBox::up-arrow, QDoubleSpinBox::up-arrow {{ image: url({_icon("arrow-up.svg")}); width: 12px; height: 12px; }}
QSpinBox::down-arrow, QDoubleSpinBox::down-arrow {{ image: url({_icon("arrow-down.svg")}); width: 12px; height: 12px; }}
QComboBox QAbstractItemView {{ background: {SURFACE}; selection-background-color: {ACCENT}; selection-color: white; }}
QLineEdit:disabled, QComboBox:disabled {{ background: {DISABLED_BG}; color: {DISABLED_TEXT}; border-color: {DIVIDER}; }}
QLineEdit[invalid="true"], QComboBox[invalid="true"], QSpinBox[invalid="true"] {{ border-color: {ERROR}; }}
QCheckBox, QRadioButton {{ spacing: 8px; padding: 4px; }}
QCheckBox:focus, QRadioButton:focus {{ background: {FOCUS_FILL}; color: {FOCUS_RING}; border-radius: 4px; }}
QCheckBox::indicator, QRadioButton::indicator {{ width: 20px; height: 20px; }}
QListWidget::item {{ padding: 6px; }}
QListWidget::item:selected, QTableView::item:selected {{ background: {ACCENT}; color: white; }}

/* Tabs and tables */
QTabWidget::pane {{ border: 1px solid {DIVIDER}; background: {SURFACE}; border-radius: 6px; top: -1px; }}
QTabBar::tab {{
    padding: 10px 24px; margin-right: 4px; background: #dde5ec; color: {INK};
    border: 1px solid {DIVIDER}; border-bottom: none; border-top-left-radius: 8px; border-top-right-radius: 8px;
}}
QTabBar::tab:selected {{ background: {SURFACE}; color: {ACCENT_DARK}; font-weight: bold; border-top: 4px solid {ACCENT}; }}
QTabBar::tab:focus {{ background: {FOCUS_FILL}; color: {FOCUS_RING}; }}
QTableView, QTableWidget {{
    gridline-color: #e4e7eb; alternate-background-color: #f3f7fa;
    selection-background-color: {ACCENT}; selection-color: white;
}}
QHeaderView::section {{
    background: #e8eef4; color: {INK}; padding: 6px; border: none; border-right: 1px solid {DIVIDER};
    border-bottom: 1px solid {DIVIDER}; font-weight: bold;
}}
QProgressBar {{ border: 1px solid {BORDER}; border-radius: 4px; background: {SURFACE}; }}
QProgressBar::chunk {{ background: {ACCENT}; }}

/* Labels by role */
QLabel[role="title"] {{ color: {NAVY}; font-weight: bold; }}
QLabel[role="hint"] {{ color: {MUTED}; }}
QLabel[role="error"], QLabel[role="fieldError"] {{ color: {ERROR}; font-weight: bold; }}
QLabel[role="problems"] {{ color: {ERROR}; }}
QLabel[role="ok"] {{ color: {OK}; font-weight: bold; }}
QLabel[role="warning"] {{ color: {WARNING}; }}
QLabel[role="value"] {{ color: {NAVY}; font-weight: bold; }}
QLabel#notice {{
    background: {WARNING_SOFT}; color: {WARNING}; border: 1px solid {WARNING_BORDER}; border-radius: 6px;
    padding: 6px 12px;
}}
QLabel#banner[kind="ok"] {{
    background: {OK_SOFT}; color: {OK}; border: 2px solid {OK}; border-radius: 8px; padding: 6px 12px;
}}
QLabel#banner[kind="error"] {{
    background: {ERROR_SOFT}; color: {ERROR}; border: 2px solid {ERROR}; border-radius: 8px; padding: 6px 12px;
}}
QLabel#banner[kind="info"] {{
    background: {ACCENT_SOFT}; color: {ACCENT_DARK}; border: 2px solid #9cc3e6; border-radius: 8px; padding: 6px 12px;
}}

/* Cards */
QFrame[panel="true"], QFrame#card {{ background: {SURFACE}; border: 1px solid {DIVIDER}; border-radius: 10px; }}
QFrame[panel="true"] QLabel, QFrame#card QLabel {{ border: none; background: transparent; }}
"""


class _SpinBoxInset(QObject):
    """Gives every QSpinBox / QDoubleSpinBox the text fields' left and right inset when it is polished.

    The style sheet cannot do this (see SPIN_TEXT_INSET_PX). Date edits are left alone: with their
    calendar drop-down Qt already honours the padding.
    """

    NAME = "dxdeskSpinBoxInset"

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if (event.type() == QEvent.Type.Polish and isinstance(watched, QAbstractSpinBox)
                and not isinstance(watched, QDateTimeEdit)):
            edit = watched.lineEdit()
            if edit is not None:
                edit.setTextMargins(SPIN_TEXT_INSET_PX, 0, SPIN_TEXT_INSET_PX, 0)
        return False


def apply_theme(app: QApplication) -> None:
    """Install the palette, the style sheet and the spin-box inset app-wide (idempotent)."""
    palette = app.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor(PAGE_BG))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(INK))
    palette.setColor(QPalette.ColorRole.Base, QColor(SURFACE))
    palette.setColor(QPalette.ColorRole.Text, QColor(INK))
    palette.setColor(QPalette.ColorRole.Highlight, QColor(ACCENT))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("white"))
    palette.setColor(QPalette.ColorRole.PlaceholderText, QColor(DISABLED_TEXT))
    app.setPalette(palette)
    app.setStyleSheet(APP_STYLE_SHEET)
    if app.findChild(QObject, _SpinBoxInset.NAME) is None:  # once per application object
        inset = _SpinBoxInset(app)
        inset.setObjectName(_SpinBoxInset.NAME)
        app.installEventFilter(inset)


def repolish(widget: QWidget) -> None:
    """Re-apply the style sheet after a dynamic property (kind, role) changed."""
    widget.style().unpolish(widget)
    widget.style().polish(widget)
    widget.update()


# -- building blocks -----------------------------------------------------------------------------

def heading(text: str, size: int = HEADING_PT, parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setProperty("role", "title")
    label.setFont(ui_font(size, bold=True))
    label.setWordWrap(True)
    label.setAccessibleName(text)
    return label


def note(text: str = "", size: int = BODY_PT, parent: QWidget | None = None, role: str = "hint") -> QLabel:
    """A paragraph of explanation; ``role="body"`` for normal ink, ``"value"`` for emphasised navy."""
    label = QLabel(text, parent)
    label.setFont(ui_font(size))
    label.setWordWrap(True)
    label.setProperty("role", role)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def message_label(parent: QWidget | None = None, role: str = "error") -> QLabel:
    """A status line (error / ok / hint) hidden while empty; set it with :func:`show_message`."""
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setProperty("role", role)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


def set_role(label: QLabel, role: str) -> None:
    """Change a label's look (its ``role``: title, hint, body, value, error, ok, warning)."""
    if label.property("role") != role:
        label.setProperty("role", role)
        repolish(label)


def show_message(label: QLabel, text: str, role: str = "error") -> None:
    """Set text and look; an empty text hides the label."""
    set_role(label, role)
    label.setText(text)
    label.setVisible(bool(text))


def error_label(parent: QWidget | None = None, size: int = BODY_PT) -> QLabel:
    """Inline validation message under a field (hidden, taking no space, while empty)."""
    label = message_label(parent, "error")
    label.setFont(ui_font(size, bold=True))
    label.setAccessibleName(tr("エラー"))
    return label


def set_error(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


def button(text: str, parent: QWidget | None = None, *, kind: str = "secondary", size: int = 13,
           min_height: int = TARGET_PX) -> QPushButton:
    """A themed push button: ``kind`` is "primary" (one per screen: what Enter does), "secondary",
    "danger" (destroys or cancels something) or "step" (round +/−)."""
    b = QPushButton(text, parent)
    b.setFont(ui_font(size, bold=kind == "primary"))
    b.setMinimumHeight(min_height)
    b.setProperty("kind", kind)
    return b


def set_kind(widget: QWidget, kind: str) -> None:
    """Change a button's kind (or a banner's) after creation."""
    widget.setProperty("kind", kind)
    repolish(widget)

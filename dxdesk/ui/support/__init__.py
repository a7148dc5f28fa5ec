"""PySide6 screens of the support-session log; the app uses :class:`SupportPage`."""
from dxdesk.ui.support.page import SupportPage

__all__ = ["SupportPage"]

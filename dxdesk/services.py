"""Kept for existing imports: the composition root lives in :mod:`dxdesk.app.composition`."""
from __future__ import annotations

from dxdesk.app.composition import MODE_COUNTER, MODE_SUPPORT, AppServices, JournalKey, desk_mode

__all__ = ["MODE_COUNTER", "MODE_SUPPORT", "AppServices", "JournalKey", "desk_mode"]

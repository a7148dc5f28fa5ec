"""A signed-in clerk as a plain value, for tests of the Qt-free visit state machine.

Tests that go through the database sign a real account in instead (tests/ui/conftest.py
``signed_in_clerk``); the state machine itself only needs the Session it checks.
"""
from __future__ import annotations

from datetime import datetime, timezone

from dxdesk.security.permissions import Role, Session


def clerk_session(clerk_id: str = "clerk-7", role: Role = Role.CLERK) -> Session:
    return Session(clerk_id, clerk_id, f"{clerk_id} さん", role, datetime(2026, 4, 1, tzinfo=timezone.utc))

"""Accounts as a town sets them up: the administrator gives a first password, the holder replaces it."""
from __future__ import annotations

from typing import Any

# The password an administrator hands out; the new holder must replace it at the first sign-in.
ISSUED_PASSWORD = "issued pass 7"


def add_ready_account(auth: Any, admin: Any, login: str, display_name: str, role: Any, password: str) -> Any:
    """Create the account, sign in once with the issued password and set ``password``; returns that session."""
    auth.create_account(admin, login, display_name, role, ISSUED_PASSWORD)
    first = auth.sign_in(login, ISSUED_PASSWORD)
    assert first.must_change_password
    return auth.change_password(first, ISSUED_PASSWORD, password)

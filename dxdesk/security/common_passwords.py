"""The bundled list of commonly used passwords (resources/passwords/, see its README for source and licence).

Loaded once, on the first password that is set, not at start-up: sign-in never needs it.
"""
from __future__ import annotations

import functools
import logging
import unicodedata

from dxdesk.resources import resource_path

log = logging.getLogger(__name__)

LIST_FILE = ("passwords", "common-passwords.txt")


def fold(password: str) -> str:
    """How the list is compared: width-folded (ｐａｓｓ == pass) and case-folded, like the list itself."""
    return unicodedata.normalize("NFKC", password).strip().casefold()


@functools.lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    path = resource_path(*LIST_FILE)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        # A broken installation must not stop anyone from setting a password: the other rules still apply.
        log.error("common password list %s unreadable (%s); only the other password rules apply", path, exc)
        return frozenset()
    return frozenset(fold(line) for line in text.splitlines() if line.strip())


def is_common(password: str) -> bool:
    return fold(password) in common_passwords()

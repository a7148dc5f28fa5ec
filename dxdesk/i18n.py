"""User-facing messages in Japanese (primary) and English.

dxdesk keeps each message as a pair beside the code that raises or shows it, so a
message can never exist in one language only. The UI shows ``ja`` (or ``en`` when
the settings say so); logs and the CLI use ``en``.
"""
from __future__ import annotations

from dataclasses import dataclass

_language = "ja"


def set_language(language: str) -> None:
    global _language
    _language = "en" if language == "en" else "ja"


def current_language() -> str:
    return _language


@dataclass(frozen=True)
class Msg:
    ja: str
    en: str

    def text(self, language: str | None = None) -> str:
        return self.en if (language or _language) == "en" else self.ja

    def format(self, **kwargs: object) -> "Msg":
        return Msg(self.ja.format(**kwargs), self.en.format(**kwargs))

    def __str__(self) -> str:  # English: str() ends up in logs and exceptions
        return self.en

"""User-facing text in Japanese (primary) and English.

Two mechanisms, one rule (a text never exists in one language only):

* Core messages (errors, validation) are :class:`Msg` pairs beside the code that raises
  them; logs and the CLI use ``en``, the UI the current language.
* Screen labels use gettext's convention with the Japanese text as the msgid:
  ``tr("受付開始")``. The English catalogue is ``resources/locale/en/LC_MESSAGES/*.po``, one
  gettext domain per screen group (standard PO, so any translation tool can edit it and
  another language is one more folder).
  Module-level constants are marked with ``N_()`` and translated with ``tr()`` where used,
  because the language is chosen after modules are imported.
  ``scripts/i18n_extract.py`` adds new msgids to the catalogue; a test fails while any
  Japanese literal in dxdesk/ui is unmarked or any msgid lacks its English text.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

_language = "ja"


def set_language(language: str) -> None:
    global _language
    _language = "en" if language == "en" else "ja"


def current_language() -> str:
    return _language


def catalogue_dir(language: str = "en") -> Path:
    from dxdesk.resources import resource_path

    return resource_path("locale", language, "LC_MESSAGES")


@functools.lru_cache(maxsize=4)
def load_catalogue(language: str = "en") -> dict[str, str]:
    """msgid → translation, merged from every gettext domain (``*.po``) of the language."""
    import polib

    folder = catalogue_dir(language)
    files = sorted(folder.glob("*.po")) if folder.is_dir() else []
    if not files:
        log.warning("no %s catalogue in %s; showing Japanese", language, folder)
    merged: dict[str, str] = {}
    for path in files:
        merged.update({e.msgid: e.msgstr for e in polib.pofile(str(path))
                       if e.msgstr and "fuzzy" not in e.flags and not e.obsolete})
    return merged


def tr(text: str) -> str:
    """The Japanese UI text ``text`` in the current language (Japanese when untranslated)."""
    if _language == "ja":
        return text
    return load_catalogue(_language).get(text, text)


def N_(text: str) -> str:  # noqa: N802 - gettext's name for "mark now, translate later"
    return text


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

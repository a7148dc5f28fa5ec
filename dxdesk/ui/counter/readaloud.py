"""Read-aloud for the resident's confirmation view: QtTextToSpeech when a voice is installed.

On Windows the shipped build uses the SAPI engine (build.spec bundles QtTextToSpeech and its
``sapi`` plugin); on Linux the ``speechd`` engine (speech-dispatcher with espeak-ng, installed by
scripts/bootstrap.sh). The module needs libpulse on Linux and may be missing; an engine may have
no voice for the UI language. In every such case :attr:`ReadAloud.available` is False and the view
shows a note instead of a button that would do nothing.
"""
from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QLocale, QObject

from dxdesk.counter.residentview import ResidentSection
from dxdesk.i18n import current_language, tr

from .residentpages import display_value

log = logging.getLogger(__name__)

# The engine the shipped build prefers on each platform; the first installed one is used otherwise.
PREFERRED_ENGINES = ("sapi", "winrt", "speechd", "flite", "darwin")


def text_to_speech_class() -> Any:
    """QTextToSpeech, or None when the module cannot load (libpulse missing on some Linux PCs)."""
    try:
        from PySide6.QtTextToSpeech import QTextToSpeech
    except ImportError as exc:
        log.info("read-aloud unavailable: %s", exc)
        return None
    return QTextToSpeech


def choose_engine(available: list[str]) -> str | None:
    """The preferred real engine; never the ``mock`` plugin that PySide6 ships for Qt's own tests."""
    real = [e for e in available if e != "mock"]
    for name in PREFERRED_ENGINES:
        if name in real:
            return name
    return real[0] if real else None


class ReadAloud(QObject):
    """One QTextToSpeech for the view, set to a voice of the UI language when the engine has one."""

    def __init__(self, parent: QObject | None = None, engine: str | None = None) -> None:
        super().__init__(parent)
        self.engine: Any = None
        self.reason = ""
        cls = text_to_speech_class()
        if cls is None:
            self.reason = "QtTextToSpeech could not be loaded"
            return
        name = engine or choose_engine(list(cls.availableEngines()))
        if name is None:
            self.reason = "no text-to-speech engine is installed"
            return
        try:
            tts = cls(name, self)
        except Exception as exc:  # noqa: BLE001 - a broken backend must only hide read-aloud
            self.reason = f"engine {name} failed: {type(exc).__name__}"
            return
        if tts.state() == cls.State.Error:
            self.reason = f"engine {name}: {tts.errorString() or 'error'}"
            return
        wanted = QLocale(QLocale.Language.English if current_language() == "en" else QLocale.Language.Japanese)
        voices = [v for v in tts.availableVoices() if v.language() == wanted.language()] or list(tts.availableVoices())
        if not voices:
            self.reason = f"engine {name} has no voice"
            return
        tts.setVoice(voices[0])
        self.engine = tts
        log.info("read-aloud: engine %s, voice %s", name, voices[0].name())

    @property
    def available(self) -> bool:
        return self.engine is not None

    def say(self, text: str) -> None:
        if self.engine is not None and text:
            self.engine.say(text)

    def stop(self) -> None:
        if self.engine is not None:
            self.engine.stop()


def spoken_text(sections: list[ResidentSection]) -> str:
    """What is read: each heading, then label and value (the name by its reading) in the UI language."""
    lang = current_language()
    parts: list[str] = []
    for section in sections:
        parts.append(section.heading.text(lang))
        for row in section.rows:
            value = row.reading if row.reading and lang != "en" else display_value(row, lang)
            if row.key == "card.my_number":
                continue  # never read a number aloud across the counter, even masked
            parts.append(tr("、").join((row.label.text(lang), value)))
    return tr("。").join(parts)

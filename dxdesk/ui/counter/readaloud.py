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

from PySide6.QtCore import QCoreApplication, QLocale, QObject

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
    """QTextToSpeech for the view, connected on the first use, in a voice of the UI language.

    Whether read-aloud is offered is decided without connecting: the module loads and a real engine
    plugin is installed. Connecting to speech-dispatcher can block for a long time when the daemon
    is wedged, so it never happens while a window is being built, only when 「読み上げる」 is pressed.
    """

    def __init__(self, parent: QObject | None = None, engine: str | None = None) -> None:
        super().__init__(parent)
        self.engine: Any = None
        self.reason = ""
        self._cls = text_to_speech_class()
        self._name: str | None = None
        if self._cls is None:
            self.reason = "QtTextToSpeech could not be loaded"
            return
        self._name = engine or choose_engine(list(self._cls.availableEngines()))
        if self._name is None:
            self.reason = "no text-to-speech engine is installed"

    def _connect(self) -> Any:
        if self.engine is not None or self._cls is None or self._name is None:
            return self.engine
        try:
            tts = self._cls(self._name, self)
        except Exception as exc:  # noqa: BLE001 - a broken backend must only stop read-aloud
            self.reason = f"engine {self._name} failed: {type(exc).__name__}"
            self._name = None
            return None
        if tts.state() == self._cls.State.Error or not tts.availableVoices():
            self.reason = f"engine {self._name}: {tts.errorString() or 'no voice'}"
            tts.deleteLater()
            self._name = None
            return None
        log.info("read-aloud: engine %s", self._name)
        self.engine = tts
        return tts

    @property
    def available(self) -> bool:
        return self._name is not None

    def say(self, text: str) -> bool:
        """Speak in a voice of the UI language (chosen now: the language may change at sign-in).

        False when the engine turned out unusable; :attr:`available` is then False too."""
        engine = self._connect() if text else None
        if engine is None:
            return False
        voice = pick_voice(list(engine.availableVoices()), current_language())
        if voice is not None and voice != engine.voice():
            engine.setVoice(voice)
        engine.say(text)
        return True

    def stop(self) -> None:
        if self.engine is not None:
            self.engine.stop()


_LANGUAGE_NAMES = {"ja": ("japanese",), "en": ("english",)}


def pick_voice(voices: list[Any], language: str) -> Any:
    """A voice for the UI language: by its locale, else by its name (speech-dispatcher's espeak-ng
    voices carry no locale, only names like "Japanese"); else the engine's first voice."""
    wanted = QLocale.Language.English if language == "en" else QLocale.Language.Japanese
    by_locale = [v for v in voices if v.language() == wanted]
    if by_locale:
        return by_locale[0]
    names = _LANGUAGE_NAMES.get(language, ())
    by_name = [v for v in voices if v.name().lower() in names] + \
              [v for v in voices if any(v.name().lower().startswith(n) for n in names)]
    return by_name[0] if by_name else (voices[0] if voices else None)


_shared: ReadAloud | None = None


def shared_read_aloud() -> ReadAloud:
    """One engine per process: connecting to speech-dispatcher (and starting it) once, not per view."""
    global _shared
    if _shared is None:
        _shared = ReadAloud(QCoreApplication.instance())
    return _shared


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

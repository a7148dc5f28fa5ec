"""Read-aloud on the resident view: a real engine when one is installed, a clear note when none is."""
from __future__ import annotations

import shutil
import subprocess

import pytest
from PySide6.QtWidgets import QLabel

from dxdesk.counter.residentview import default_glossary, resident_sections
from dxdesk.ui.counter import readaloud
from dxdesk.ui.counter.resident import ResidentView

from resident_helpers import visit_at_confirm
from test_counter_visit import show


def test_no_engine_shows_a_note_not_a_missing_button(qtbot, monkeypatch):
    monkeypatch.setattr(readaloud, "text_to_speech_class", lambda: None)  # as on a PC without libpulse
    speech = readaloud.ReadAloud()
    assert not speech.available and "could not be loaded" in speech.reason
    view = ResidentView(read_aloud=speech)
    qtbot.addWidget(view)
    view.resize(1366, 728)
    view.show()
    qtbot.waitExposed(view)
    assert not view.read_aloud_button.isVisible()
    assert view.read_aloud_note.isVisible() and "音声" in view.read_aloud_note.text()
    assert view.read_aloud_note.font().pointSize() >= 24


def test_the_mock_engine_is_never_chosen():
    assert readaloud.choose_engine(["mock"]) is None
    assert readaloud.choose_engine(["mock", "speechd"]) == "speechd"
    assert readaloud.choose_engine(["speechd", "sapi"]) == "sapi"


@pytest.mark.skipif(shutil.which("speech-dispatcher") is None, reason="speech-dispatcher not installed (scripts/bootstrap.sh)")
def test_speechd_engine_is_found_and_offered(qtbot):
    cls = readaloud.text_to_speech_class()
    assert cls is not None, "QtTextToSpeech must load when libpulse is installed"
    assert "speechd" in cls.availableEngines()
    speech = readaloud.ReadAloud(engine="speechd")
    assert speech.available, speech.reason
    view = ResidentView(read_aloud=speech)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    assert view.read_aloud_button.isVisible() and not view.read_aloud_note.isVisible()
    assert speech.engine is None  # not connected while the window was built (speechd can block)


class _Voice:
    def __init__(self, name):
        self._name = name

    def name(self):
        return self._name

    def language(self):
        from PySide6.QtCore import QLocale
        return QLocale.Language.AnyLanguage  # speech-dispatcher's espeak-ng voices carry no locale


def test_a_voice_of_the_ui_language_is_picked_by_name():
    voices = [_Voice("Bishnupriya Manipuri"), _Voice("English (Great Britain)"), _Voice("Japanese")]
    assert readaloud.pick_voice(voices, "ja").name() == "Japanese"
    assert readaloud.pick_voice(voices, "en").name() == "English (Great Britain)"


@pytest.mark.skipif(shutil.which("espeak-ng") is None or shutil.which("sox") is None,
                    reason="espeak-ng and sox not installed (scripts/bootstrap.sh)")
def test_what_is_read_can_be_voiced_by_espeak_ng(qtbot, make_kit, tmp_path):
    """The text the view reads, through the backend speechd uses here, into a WAV measured by sox."""
    kit = make_kit()
    show(qtbot, kit)
    sections = resident_sections(visit_at_confirm(qtbot, kit), default_glossary())
    text = readaloud.spoken_text(sections)
    assert "コクトウ　ミキヤ" in text and "****" not in text  # the name by its reading; no number, even masked
    wav = tmp_path / "read.wav"
    subprocess.run(["espeak-ng", "-v", "ja", "-w", str(wav), text], check=True, timeout=120)
    seconds = float(subprocess.run(["sox", "--i", "-D", str(wav)], check=True, capture_output=True, text=True,
                                   timeout=30).stdout)
    assert seconds > 5  # about 40 items: far more than a beep or an empty file
    labels = [w for w in ResidentView().findChildren(QLabel)]
    assert labels  # the view builds with the shared engine as well

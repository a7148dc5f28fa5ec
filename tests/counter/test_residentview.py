"""The resident glossary as data: it loads, names real questions, and a bad town copy falls back."""
from __future__ import annotations

import pytest

from dxdesk.counter import load_catalogue
from dxdesk.counter.residentview import Glossary, load_glossary, parse_glossary, phrases
from dxdesk.i18n import Msg
from dxdesk.resources import resource_path


def test_the_shipped_glossary_loads_and_names_real_questions():
    glossary = load_glossary([resource_path("counter_words", "glossary.toml")])
    assert glossary.labels and glossary.terms
    questions = {q.id for p in load_catalogue() for q in p.questions}
    assert set(glossary.labels) <= questions
    assert glossary.plain(Msg("新住所（方書まで）", "x")).ja == "新住所（建物名・部屋番号まで）"


def test_longer_terms_win_and_english_is_replaced_too():
    glossary = parse_glossary({"terms": [
        {"ja": "特例", "plain_ja": "X"},
        {"ja": "転入届の特例", "plain_ja": "カードでの届け", "en": "special move-in", "plain_en": "moving with the card"},
    ]})
    assert glossary.plain(Msg("（転入届の特例）", "(special move-in)")) == Msg("（カードでの届け）", "(moving with the card)")


@pytest.mark.parametrize("data", [
    {"labels": {"phone": {"ja": "電話"}}},
    {"terms": [{"ja": "方書"}]},
    {"terms": [{"ja": "方書", "plain_ja": "部屋", "en": "x"}]},
])
def test_bad_entries_are_refused(data):
    with pytest.raises(TypeError):
        parse_glossary(data)


def test_a_broken_town_copy_falls_back_to_the_catalogue_words(tmp_path):
    bad = tmp_path / "glossary.toml"
    bad.write_text("[[terms]\n", encoding="utf-8")
    assert load_glossary([bad]) == Glossary()


@pytest.mark.parametrize("text", ["世帯主との続柄", "Did you report it online?", "東京都千代田区霞が関1-2-3 101号室", ""])
def test_phrases_only_split(text):
    assert "".join(phrases(text)) == text

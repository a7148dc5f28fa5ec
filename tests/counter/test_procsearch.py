"""The 受付 search over the shipped catalogue and search words: readings, synonyms, usage order."""
from __future__ import annotations

import jaconv
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dxdesk.counter import load_catalogue
from dxdesk.counter.procsearch import (
    MatchKind, ProcedureSearch, SearchWords, load_search_words, canonical_romaji, loose, normalise,
)

CATALOGUE = load_catalogue()
WORDS = load_search_words()
FINDER = ProcedureSearch(CATALOGUE, WORDS)
IDS = list(CATALOGUE.ids())


@pytest.mark.parametrize(("query", "first"), [
    ("住民", "juminhyo"),            # not 印鑑登録証明書 through the counter's 「住民課」
    ("resident", "juminhyo"),        # not the seal certificate through "Residents Division"
    ("てんにゅう", "tennyu"),
    ("テンニュウ", "tennyu"),
    ("ﾃﾝﾆｭｳ", "tennyu"),
    ("tennyu", "tennyu"),
    ("juminhyo", "juminhyo"),
    ("juuminhyou", "juminhyo"),
    ("Juminhyo", "juminhyo"),
    ("kokuminkenkohokennokanyu", "kokuho_kanyu"),
    ("hikkosi", "tennyu"),
    ("印鑑証明", "inkan_shomei"),
    ("こせきとうほん", "koseki_shomei"),
])
def test_the_meant_procedure_comes_first(query, first):
    assert FINDER.ids(query)[0] == first


def test_resident_and_juumin_never_reach_the_seal_certificate():
    assert "inkan_shomei" not in FINDER.ids("住民")
    assert "inkan_shomei" not in FINDER.ids("resident")


def test_everyday_words_find_what_they_mean():
    assert set(FINDER.ids("引っ越し")) == {"tennyu", "tenshutsu", "tenkyo"}
    assert set(FINDER.ids("ひっこし")) == {"tennyu", "tenshutsu", "tenkyo"}
    assert set(FINDER.ids("国保")) == {"kokuho_kanyu", "kokuho_soshitsu"}
    assert all(m.kind is MatchKind.SYNONYM for m in FINDER.search("国保"))


def test_nothing_found_is_an_empty_list():
    assert FINDER.ids("ぱすぽーと") == []
    assert FINDER.ids("xyzzy") == []


def test_empty_query_lists_everything_most_used_first():
    listed = FINDER.ids("")
    assert sorted(listed) == sorted(IDS)
    assert listed[:3] == list(WORDS.most_used[:3])


def test_usage_counts_from_the_store_come_before_the_data_order():
    finder = ProcedureSearch(CATALOGUE, WORDS, usage={"kaigo_hoken": 50, "tenko": 20})
    assert finder.ids("")[:2] == ["kaigo_hoken", "tenko"]
    assert finder.ids("転")[0] == "tenko"  # same kind of match (name prefix): the most used wins


def test_a_better_kind_of_match_beats_usage():
    finder = ProcedureSearch(CATALOGUE, WORDS, usage={"tenkyo": 1000})
    assert finder.ids("転入")[0] == "tennyu"


def test_every_synonym_and_reading_names_a_catalogue_procedure():
    for word, targets in WORDS.synonyms.items():
        assert set(targets) <= set(IDS), word
    assert set(WORDS.readings) <= set(IDS)
    assert set(WORDS.most_used) <= set(IDS)


def test_a_broken_town_file_falls_back_to_names(tmp_path):
    bad = tmp_path / "search.toml"
    bad.write_text("most_used = 3\n", encoding="utf-8")
    words = load_search_words([bad])
    assert words == SearchWords()
    assert ProcedureSearch(CATALOGUE, words).ids("住民票") == ["juminhyo"]


def test_loose_drops_long_vowels_only():
    assert loose("じゅうみんひょう") == "じゅみんひょ"
    assert loose("てんにゅう") == "てんにゅ"
    assert loose("かいご") == "かいご"
    assert canonical_romaji("juuminhyou") == canonical_romaji("juminhyo") == canonical_romaji("zyuuminhyou")
    assert canonical_romaji("tensyutu") == canonical_romaji("tenshutsu")


# -- properties ---------------------------------------------------------------------------------------

procedure = st.sampled_from(list(CATALOGUE))


@given(st.text(max_size=12))
@settings(max_examples=300, deadline=None)
def test_any_text_gives_distinct_catalogue_ids_without_error(text):
    found = FINDER.ids(text)
    assert len(found) == len(set(found))
    assert set(found) <= set(IDS)


@given(procedure, st.data())
@settings(max_examples=100, deadline=None)
def test_any_piece_of_a_name_finds_its_procedure(proc, data):
    name = proc.name.ja
    start = data.draw(st.integers(0, len(name) - 1))
    end = data.draw(st.integers(start + 1, len(name)))
    assert proc.id in FINDER.ids(name[start:end])


@given(procedure, st.data())
@settings(max_examples=100, deadline=None)
def test_a_reading_prefix_finds_its_procedure_in_every_script(proc, data):
    readings = WORDS.readings.get(proc.id, ())
    if not readings:
        return
    reading = data.draw(st.sampled_from(readings))
    cut = reading[:data.draw(st.integers(2, len(reading)))]
    assert proc.id in FINDER.ids(cut)
    assert proc.id in FINDER.ids(jaconv.hira2kata(cut))
    assert proc.id in FINDER.ids(jaconv.hira2hkata(cut))
    assert proc.id in FINDER.ids(jaconv.kana2alphabet(reading))  # romaji of the whole reading


@given(st.text(alphabet="住民票転入てんにゅうabc ", max_size=8), st.sampled_from([" ", "　", ""]))
@settings(max_examples=200, deadline=None)
def test_spaces_and_width_do_not_change_the_result(text, pad):
    assert FINDER.ids(pad + text + pad) == FINDER.ids(text)
    assert FINDER.ids(text) == FINDER.ids(normalise(text))

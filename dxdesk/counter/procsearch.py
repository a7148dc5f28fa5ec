"""Finding a procedure on the 受付 step: names, readings, everyday words, most-used first.

A clerk types 「住民」, 「てんにゅう」, 「テンニュウ」, "tennyu", 「引っ越し」 or "resident" and expects the
procedure they mean at the top, and nothing that only shares a counter name with it (「住民」 once
matched 印鑑登録証明書 through 「住民課」). So only the procedure's own names, its readings and the
synonyms in ``resources/counter_words/search.toml`` are searched, never the counter's name.

Matching is on a normalised form: NFKC, lower case, katakana → hiragana, and for readings a
"loose" form without long-vowel marks. Romaji is compared as romaji in one canonical spelling
(Kunrei → Hepburn, long vowels and ん's double n collapsed), because typed romaji is ambiguous
when turned back into kana (kenno: けんの or けんお).
"""
from __future__ import annotations

import logging
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any

import jaconv

from dxdesk.paths import app_paths
from dxdesk.resources import resource_path

from .procedures import Procedure

log = logging.getLogger(__name__)

SEARCH_FILE = "search.toml"


class MatchKind(IntEnum):
    """How a procedure matched; lower sorts first (a name match beats a synonym)."""

    NAME_PREFIX = 0
    NAME = 1
    READING_PREFIX = 2
    READING = 3
    SYNONYM = 4


@dataclass(frozen=True)
class SearchWords:
    """The data behind the search (see search.toml): usage order, readings, synonyms."""

    most_used: tuple[str, ...] = ()
    readings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def load_search_words(paths: Sequence[Path] | None = None) -> SearchWords:
    """The bundled words, replaced by the town's copy in ``<data dir>/counter_words/`` when there is one."""
    if paths is None:
        paths = [resource_path("counter_words", SEARCH_FILE), app_paths().data_dir / "counter_words" / SEARCH_FILE]
    chosen = [p for p in paths if p.is_file()]
    if not chosen:
        return SearchWords()
    path = chosen[-1]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return _parse(data)
    except (OSError, ValueError, TypeError) as exc:
        # The search still works on names without the extra words; the clerk is not blocked.
        log.warning("search words in %s ignored: %s", path, exc)
        return SearchWords()


def _parse(data: dict[str, Any]) -> SearchWords:
    def words(table: Any, what: str) -> dict[str, tuple[str, ...]]:
        if not isinstance(table, dict):
            raise TypeError(f"{what} must be a table")
        out: dict[str, tuple[str, ...]] = {}
        for key, values in table.items():
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise TypeError(f"{what}.{key} must be a list of strings")
            out[str(key)] = tuple(values)
        return out

    most_used = data.get("most_used", [])
    if not isinstance(most_used, list) or not all(isinstance(v, str) for v in most_used):
        raise TypeError("most_used must be a list of procedure ids")
    return SearchWords(tuple(most_used), words(data.get("readings", {}), "readings"),
                       words(data.get("synonyms", {}), "synonyms"))


def normalise(text: str) -> str:
    """NFKC, lower case, no spaces, katakana as hiragana (ｼﾞｭｳﾐﾝ, ジュウミン → じゅうみん)."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return jaconv.kata2hira("".join(folded.split()))


# Hepburn and IME spellings → one Kunrei-like spelling, in this order (shi before sh, jy before j).
_ROMAJI_SPELLINGS = [
    ("n'", "n"), ("shi", "si"), ("sh", "sy"), ("chi", "ti"), ("ch", "ty"), ("tsu", "tu"), ("fu", "hu"),
    ("jy", "zy"), ("ji", "zi"), ("j", "zy"),
]
_ROMAJI_SOUNDS = [(re.compile(r"m(?=[bpm])"), "n"), (re.compile(r"o[ou]"), "o"), (re.compile(r"uu"), "u"),
                  (re.compile(r"nn"), "n")]


def canonical_romaji(text: str) -> str:
    """One spelling for the ways a reading is typed: juuminhyou, juminhyo, zyuuminhyou → zyuminhyo."""
    out = text
    for spelling, canonical in _ROMAJI_SPELLINGS:
        out = out.replace(spelling, canonical)
    for pattern, replacement in _ROMAJI_SOUNDS:  # long vowels and ん's nn, which romaji typists drop
        out = pattern.sub(replacement, out)
    return out


def kana_to_romaji(kana: str) -> str:
    return canonical_romaji(jaconv.kana2alphabet(kana))


_LONG_VOWEL_BEFORE = frozenset("ou")


def loose(kana: str) -> str:
    """Without long-vowel marks: う after an o/u sound and ー go (じゅうみんひょう → じゅみんひょ)."""
    out: list[str] = []
    for ch in kana:
        if ch == "ー":
            continue
        if ch == "う" and out and jaconv.kana2alphabet(out[-1])[-1:] in _LONG_VOWEL_BEFORE:
            continue
        out.append(ch)
    return "".join(out)


def _is_romaji(text: str) -> bool:
    return bool(text) and text.isascii() and any(c.isalpha() for c in text)


@dataclass(frozen=True)
class Match:
    procedure_id: str
    kind: MatchKind


class ProcedureSearch:
    """Ranks the catalogue's procedures for a typed query; an empty query lists them all, most-used first."""

    def __init__(self, procedures: Iterable[Procedure], words: SearchWords | None = None,
                 usage: Mapping[str, int] | None = None) -> None:
        self.words = words or SearchWords()
        self._procedures = list(procedures)
        ids = [p.id for p in self._procedures]
        self._rank = self._usage_rank(ids, usage or {})
        self._names = {p.id: (normalise(p.name.ja), normalise(p.name.en)) for p in self._procedures}
        self._readings = {pid: tuple(normalise(r) for r in self.words.readings.get(pid, ())) for pid in ids}
        self._romaji = {pid: tuple(kana_to_romaji(r) for r in readings) for pid, readings in self._readings.items()}
        known = set(ids)
        self._synonyms = [(normalise(word), kana_to_romaji(normalise(word)), tuple(t for t in targets if t in known))
                          for word, targets in self.words.synonyms.items()]

    def _usage_rank(self, ids: list[str], usage: Mapping[str, int]) -> dict[str, int]:
        """Counts from the store first (most used), then the data's order, then the catalogue's."""
        listed = {pid: i for i, pid in enumerate(self.words.most_used)}
        ordered = sorted(ids, key=lambda pid: (-usage.get(pid, 0), listed.get(pid, len(listed)), ids.index(pid)))
        return {pid: i for i, pid in enumerate(ordered)}

    def all_ids(self) -> list[str]:
        return sorted(self._names, key=self._rank.__getitem__)

    def search(self, query: str) -> list[Match]:
        """Matches, best first: name prefix, name, reading prefix, reading, synonym; then by usage."""
        needle = normalise(query)
        if not needle:
            return [Match(pid, MatchKind.NAME) for pid in self.all_ids()]
        romaji = canonical_romaji(needle) if _is_romaji(needle) else ""
        best: dict[str, MatchKind] = {}

        def offer(pid: str, kind: MatchKind) -> None:
            if pid not in best or kind < best[pid]:
                best[pid] = kind

        def offer_reading(pid: str, have: str, want: str) -> None:
            if want and have.startswith(want):
                offer(pid, MatchKind.READING_PREFIX)
            elif want and want in have:
                offer(pid, MatchKind.READING)

        for pid, names in self._names.items():
            for name in names:
                if name.startswith(needle):
                    offer(pid, MatchKind.NAME_PREFIX)
                elif needle in name:
                    offer(pid, MatchKind.NAME)
            for reading, reading_romaji in zip(self._readings[pid], self._romaji[pid]):
                if romaji:
                    offer_reading(pid, reading_romaji, romaji)
                else:
                    offer_reading(pid, reading, needle)
                    offer_reading(pid, loose(reading), loose(needle))
        for word, word_romaji, targets in self._synonyms:
            if _synonym_hit(word, needle) or (romaji and _synonym_hit(word_romaji, romaji)):
                for pid in targets:
                    offer(pid, MatchKind.SYNONYM)
        return [Match(pid, kind) for pid, kind in sorted(best.items(), key=lambda kv: (kv[1], self._rank[kv[0]]))]

    def ids(self, query: str) -> list[str]:
        return [m.procedure_id for m in self.search(query)]


def _synonym_hit(word: str, typed: str) -> bool:
    """The typed text starts the word (ひっこ → ひっこし) or contains it (引っ越しの届出)."""
    return bool(word) and (word.startswith(typed) or word in typed)

"""Choice lists of the support-session log: topics, venue types, devices, age bands, outcomes.

Topics and venues are *editable* lists (a town adds its own topics and venues);
they are seeded from ``resources/support/*.toml``. Devices, age bands, outcomes and
venue types are fixed code lists because the KPIs and the national review group by
them; only their labels are translatable.

Codes are what records store. Labels are for screens, PDFs and CSV readers; a
topic is never deleted, only retired (``active=False``) so old records keep a label.
"""
from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dxdesk.errors import DetailedError
from dxdesk.i18n import Msg
from dxdesk.resources import resource_path

VENUE_TYPES: tuple[str, ...] = ("counter", "community_hall", "shop", "home_visit", "other")
DEVICES: tuple[str, ...] = ("iphone", "android", "feature_phone", "tablet", "pc", "none")
AGE_BANDS: tuple[str, ...] = ("<65", "65-69", "70-74", "75-79", "80+")
OUTCOMES: tuple[str, ...] = ("resolved", "partly", "referred")

DEVICE_LABELS: dict[str, Msg] = {
    "iphone": Msg("iPhone", "iPhone"),
    "android": Msg("Android", "Android"),
    "feature_phone": Msg("携帯電話(ガラケー)", "Feature phone"),
    "tablet": Msg("タブレット", "Tablet"),
    "pc": Msg("パソコン", "PC"),
    "none": Msg("端末なし", "No device"),
}
# KPI bucket for sessions whose age band or outcome is no longer one of the choices (records made
# before a choice was retired, or synced from a newer desk). Never offered in entry or import: it only
# appears in KPI counts, so that the shares of the reports add up to 100% of the sessions counted.
UNKNOWN_CHOICE = "unknown"
UNKNOWN_CHOICE_LABEL = Msg("その他・不明", "Other / unknown")

AGE_BAND_LABELS: dict[str, Msg] = {
    "<65": Msg("65歳未満", "Under 65"),
    "65-69": Msg("65〜69歳", "65-69"),
    "70-74": Msg("70〜74歳", "70-74"),
    "75-79": Msg("75〜79歳", "75-79"),
    "80+": Msg("80歳以上", "80 and over"),
    UNKNOWN_CHOICE: UNKNOWN_CHOICE_LABEL,  # for KPI tables only (see above); not in AGE_BANDS
}
OUTCOME_LABELS: dict[str, Msg] = {
    "resolved": Msg("解決", "Resolved"),
    "partly": Msg("一部解決", "Partly resolved"),
    "referred": Msg("他機関へ案内", "Referred"),
    UNKNOWN_CHOICE: UNKNOWN_CHOICE_LABEL,  # for KPI tables only (see above); not in OUTCOMES
}


@dataclass(frozen=True)
class Topic:
    code: str
    label_ja: str
    label_en: str
    national: bool = False  # part of the national standard menu (seed file)
    active: bool = True  # retired topics stay for old records but are not offered
    sort_order: int = 0

    @property
    def label(self) -> Msg:
        return Msg(self.label_ja, self.label_en)


@dataclass(frozen=True)
class VenueType:
    code: str
    label_ja: str
    label_en: str

    @property
    def label(self) -> Msg:
        return Msg(self.label_ja, self.label_en)


@dataclass(frozen=True)
class Venue:
    """A named place where sessions happen (e.g. 中央公民館), with its type."""

    name: str
    venue_type: str
    active: bool = True


class CatalogError(DetailedError):
    """A seed file is missing or malformed (a packaging problem, not a user one)."""

    ja_lead = "dxdesk のインストールが不完全です。dxdesk を入れ直してください"


def _read_toml(name: str) -> dict[str, Any]:
    path: Path = resource_path("support", name)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(f"cannot read support seed file {path}: {exc}") from exc


def seed_topics() -> tuple[Topic, ...]:
    """The national 11-topic menu from ``resources/support/topics.toml``, in menu order."""
    data = _read_toml("topics.toml")
    topics = []
    for i, entry in enumerate(data.get("topic", [])):
        try:
            topics.append(
                Topic(
                    code=str(entry["code"]),
                    label_ja=str(entry["label_ja"]),
                    label_en=str(entry["label_en"]),
                    national=bool(entry.get("national", True)),
                    active=bool(entry.get("active", True)),
                    sort_order=(i + 1) * 10,  # gaps leave room for towns to insert their own
                )
            )
        except KeyError as exc:
            raise CatalogError(f"topics.toml entry {i + 1} lacks {exc}") from exc
    return tuple(topics)


def seed_venue_types() -> tuple[VenueType, ...]:
    data = _read_toml("venue_types.toml")
    types = tuple(VenueType(str(e["code"]), str(e["label_ja"]), str(e["label_en"])) for e in data.get("venue_type", []))
    if tuple(t.code for t in types) != VENUE_TYPES:
        raise CatalogError("venue_types.toml must list exactly the codes " + ", ".join(VENUE_TYPES))
    return types


@dataclass(frozen=True)
class Catalog:
    """Immutable snapshot of the choice lists; edits return a new catalog."""

    topics: tuple[Topic, ...]
    venue_types: tuple[VenueType, ...]
    venues: tuple[Venue, ...] = ()

    @classmethod
    def seeded(cls) -> "Catalog":
        return cls(seed_topics(), seed_venue_types(), ())

    # --- look-ups -------------------------------------------------------
    def topic(self, code: str) -> Topic | None:
        return next((t for t in self.topics if t.code == code), None)

    def topic_codes(self, *, active_only: bool = False) -> tuple[str, ...]:
        return tuple(t.code for t in self.sorted_topics() if t.active or not active_only)

    def sorted_topics(self) -> list[Topic]:
        return sorted(self.topics, key=lambda t: (t.sort_order, t.code))

    def topic_label(self, code: str, language: str = "ja") -> str:
        topic = self.topic(code)
        return topic.label.text(language) if topic else code

    def venue_type_label(self, code: str, language: str = "ja") -> str:
        vt = next((v for v in self.venue_types if v.code == code), None)
        return vt.label.text(language) if vt else code

    def resolve_topic(self, text: str) -> str | None:
        """Topic code for a code or a ja/en label (spreadsheets from towns use labels)."""
        key = text.strip()
        for t in self.topics:
            if key in (t.code, t.label_ja) or key.casefold() == t.label_en.casefold():
                return t.code
        return None

    def resolve_venue_type(self, text: str) -> str | None:
        key = text.strip()
        for v in self.venue_types:
            if key in (v.code, v.label_ja) or key.casefold() == v.label_en.casefold():
                return v.code
        return None

    def venue(self, name: str) -> Venue | None:
        return next((v for v in self.venues if v.name == name), None)

    # --- edits -----------------------------------------------------------
    def with_topic(self, topic: Topic) -> "Catalog":
        """Add or replace (by code) a topic; new topics go after the existing ones."""
        if topic.sort_order == 0 and self.topic(topic.code) is None:
            last = max((t.sort_order for t in self.topics), default=0)
            topic = dataclasses.replace(topic, sort_order=last + 10)
        others = tuple(t for t in self.topics if t.code != topic.code)
        return dataclasses.replace(self, topics=others + (topic,))

    def with_venue(self, venue: Venue) -> "Catalog":
        others = tuple(v for v in self.venues if v.name != venue.name)
        return dataclasses.replace(self, venues=others + (venue,))

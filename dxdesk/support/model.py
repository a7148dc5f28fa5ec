"""The support-session record and its validation.

A record holds no names: the KPIs need none (product.md). The only personal datum
is the optional ``follow_up_contact`` (a phone number, say), kept only while a
follow-up is open; it is encrypted by the store, never exported to CSV, never put
in reprs, logs or change events, and dropped when the follow-up is closed.

``started_at`` is the local wall-clock time of the session (naive). An aware value
is converted to the desk's zone (:mod:`dxdesk.timeutil`, JST by default) and made
naive, so that "which day / month / fiscal year" is always the town's calendar day
whatever the caller passed, and the same day the counter forms print.
"""
from __future__ import annotations

import dataclasses
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable

from dxdesk.errors import DxError
from dxdesk.i18n import Msg
from dxdesk.support.catalog import (
    AGE_BAND_LABELS, AGE_BANDS, DEVICE_LABELS, DEVICES, OUTCOME_LABELS, OUTCOMES, VENUE_TYPES, Catalog, Topic,
    seed_venue_types,
)
from dxdesk.timeutil import local_now as _desk_now
from dxdesk.timeutil import to_local_naive

MAX_DURATION_MINUTES = 600  # a 10-hour "session" is a typing mistake, not a session
MAX_PEOPLE = 500  # attendees/helpers above this are almost certainly a slip of the keyboard
MAX_TEXT = 2000
TOPIC_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class SupportSession:
    """One support session. Immutable: edits go through :func:`dataclasses.replace`."""

    id: str
    started_at: datetime
    venue: str
    venue_type: str
    topics: tuple[str, ...]
    device: str
    age_band: str
    attendees: int
    helpers: int
    duration_minutes: int
    outcome: str
    note: str = ""
    helper_role: str = ""
    follow_up_needed: bool = False
    # Sensitive: excluded from repr/eq so it cannot leak into logs or assertion messages.
    follow_up_contact: str | None = field(default=None, repr=False, compare=False)
    follow_up_closed_at: datetime | None = None
    repeat_visitor: bool = False
    logged_by: str = ""
    deleted: bool = False
    # Another desk's record (pulled for town-wide reports): that desk's name; "" for this desk's own.
    # Read-only here: only the creating desk changes a record (dxdesk.store.session.OWNED_TABLES).
    other_desk: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        # Normalise the two shapes callers commonly get wrong; everything else is validate()'s job.
        if isinstance(self.started_at, datetime):
            object.__setattr__(self, "started_at", to_local_naive(self.started_at))
        if isinstance(self.topics, list):
            object.__setattr__(self, "topics", tuple(self.topics))

    @property
    def follow_up_open(self) -> bool:
        return self.follow_up_needed and self.follow_up_closed_at is None and not self.deleted

    def redacted(self) -> "SupportSession":
        """Copy without the follow-up contact (for change events, audit and exports)."""
        return dataclasses.replace(self, follow_up_contact=None)


def local_now() -> datetime:
    """Now, as the desk's wall-clock time without tzinfo (same convention as ``started_at``)."""
    return _desk_now().replace(tzinfo=None)


@dataclass(frozen=True)
class FieldError:
    """One problem with one field; ``message`` is shown to the user (ja) or the CLI (en)."""

    field: str
    message: Msg

    def __str__(self) -> str:
        return f"{self.field}: {self.message.en}"


class SessionValidationError(DxError, ValueError):
    """Raised when a record does not validate; ``errors`` lists every problem at once."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        # Each English message already names its field: one line for the CLI, one line per problem on screen.
        super().__init__(Msg("\n".join(e.message.ja for e in errors),
                             "; ".join(e.message.en.rstrip(".") for e in errors)))


def _int_ok(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _one_of(errors: list[FieldError], name: str, value: object, choices: dict[str, Msg], what: Msg) -> None:
    """``value`` must be a key of ``choices`` (code -> label, in display order).

    The Japanese message names the choices as the screen shows them (not codes, which
    users never see); the English one lists codes, which is what the CLI accepts.
    """
    if value in choices:
        return
    codes = ", ".join(choices)
    if value is None or not str(value).strip():
        message = Msg(f"{what.ja}を選んでください。", f"{what.en} is required (one of: {codes}).")
    else:
        labels = "、".join(label.ja for label in choices.values())
        message = Msg(f"{what.ja}「{value}」は選択肢にありません（{labels}）。", f"{what.en} '{value}' is not one of: {codes}.")
    errors.append(FieldError(name, message))


def _labels(codes: tuple[str, ...], labels: dict[str, Msg]) -> dict[str, Msg]:
    return {code: labels.get(code, Msg(code, code)) for code in codes}


def _venue_type_labels(catalog: Catalog | None) -> dict[str, Msg]:
    types = catalog.venue_types if catalog is not None else seed_venue_types()
    return _labels(VENUE_TYPES, {t.code: t.label for t in types})


def _count(errors: list[FieldError], name: str, value: object, what: Msg, minimum: int, maximum: int) -> None:
    if not _int_ok(value) or not (minimum <= value <= maximum):  # type: ignore[operator]
        errors.append(
            FieldError(
                name,
                Msg(
                    f"{what.ja}は{minimum}〜{maximum}の整数で入力してください（入力: {value}）。",
                    f"{what.en} must be a whole number from {minimum} to {maximum} (got {value!r}).",
                ),
            )
        )


def validate(session: SupportSession, catalog: Catalog | None = None) -> list[FieldError]:
    """Every problem with ``session`` (empty list = valid).

    With a ``catalog`` the topic codes must exist in it; retired topics are still
    accepted so that old records stay editable.
    """
    errors: list[FieldError] = []
    try:
        uuid.UUID(str(session.id))
    except ValueError:
        errors.append(FieldError("id", Msg("IDの形式が正しくありません。", f"id '{session.id}' is not a UUID.")))
    if not isinstance(session.started_at, datetime):
        errors.append(
            FieldError("started_at", Msg("開始日時を入力してください。", "started_at must be a date and time."))
        )
    if not str(session.venue).strip():
        errors.append(FieldError("venue", Msg("会場を入力してください。", "venue is required.")))
    elif len(session.venue) > 200:
        errors.append(FieldError("venue", Msg("会場名が長すぎます（200文字まで）。", "venue is longer than 200 characters.")))
    if session.venue_type not in VENUE_TYPES:  # labels are read only when needed (a seed file)
        _one_of(errors, "venue_type", session.venue_type, _venue_type_labels(catalog), Msg("会場種別", "venue_type"))
    topics = tuple(session.topics)
    if not topics:
        errors.append(
            FieldError("topics", Msg("トピックを1つ以上選んでください。", "choose at least one topic."))
        )
    elif len(set(topics)) != len(topics):
        errors.append(FieldError("topics", Msg("同じトピックが重複しています。", "a topic is listed twice.")))
    if catalog is not None:
        known = set(catalog.topic_codes())
        for code in topics:
            if code not in known:
                errors.append(
                    FieldError(
                        "topics",
                        Msg(f"トピック「{code}」は登録されていません。", f"unknown topic '{code}' (see 'dxdesk support topics')."),
                    )
                )
    _one_of(errors, "device", session.device, _labels(DEVICES, DEVICE_LABELS), Msg("端末", "device"))
    _one_of(errors, "age_band", session.age_band, _labels(AGE_BANDS, AGE_BAND_LABELS), Msg("年齢層", "age_band"))
    _count(errors, "attendees", session.attendees, Msg("参加者数", "attendees"), 1, MAX_PEOPLE)
    _count(errors, "helpers", session.helpers, Msg("支援者数", "helpers"), 1, MAX_PEOPLE)
    _count(errors, "duration_minutes", session.duration_minutes, Msg("所要時間（分）", "duration_minutes"), 1, MAX_DURATION_MINUTES)
    _one_of(errors, "outcome", session.outcome, _labels(OUTCOMES, OUTCOME_LABELS), Msg("結果", "outcome"))
    for name, what in (("note", Msg("メモ", "note")), ("helper_role", Msg("支援者の役割", "helper_role"))):
        if len(getattr(session, name) or "") > MAX_TEXT:
            errors.append(
                FieldError(name, Msg(f"{what.ja}は{MAX_TEXT}文字までです。", f"{what.en} is longer than {MAX_TEXT} characters."))
            )
    if session.follow_up_contact and not session.follow_up_needed:
        errors.append(
            FieldError(
                "follow_up_contact",
                Msg(
                    "フォローアップが不要な場合は連絡先を記録しないでください。",
                    "a follow-up contact may only be kept when a follow-up is needed.",
                ),
            )
        )
    if session.follow_up_contact and session.follow_up_closed_at is not None:
        errors.append(
            FieldError(
                "follow_up_contact",
                Msg("完了したフォローアップの連絡先は削除してください。", "a closed follow-up must not keep a contact."),
            )
        )
    return errors


def check(session: SupportSession, catalog: Catalog | None = None) -> SupportSession:
    """Return ``session`` if valid, else raise :class:`SessionValidationError` listing every problem."""
    errors = validate(session, catalog)
    if errors:
        raise SessionValidationError(errors)
    return session


def new_session(
    *,
    started_at: datetime,
    venue: str,
    venue_type: str,
    topics: Iterable[str],
    device: str,
    age_band: str,
    attendees: int,
    helpers: int,
    duration_minutes: int,
    outcome: str,
    catalog: Catalog | None = None,
    **optional: object,
) -> SupportSession:
    """Create a validated record with a fresh UUID (``optional``: note, helper_role, follow_up_*, ...)."""
    session = SupportSession(
        id=str(uuid.uuid4()),
        started_at=started_at,
        venue=venue.strip(),
        venue_type=venue_type,
        topics=tuple(topics),
        device=device,
        age_band=age_band,
        attendees=attendees,
        helpers=helpers,
        duration_minutes=duration_minutes,
        outcome=outcome,
        **optional,  # type: ignore[arg-type]
    )
    return check(session, catalog)


def validate_topic(topic: Topic, catalog: Catalog | None = None, *, is_new: bool = True) -> list[FieldError]:
    """Problems with a town-defined topic (code format, labels, duplicates)."""
    errors: list[FieldError] = []
    if not TOPIC_CODE_RE.match(topic.code):
        errors.append(
            FieldError(
                "code",
                Msg(
                    "コードは半角英小文字で始まり、英小文字・数字・_ のみ（40文字まで）です。",
                    "a topic code starts with a-z and uses only a-z, 0-9 and _ (max 40).",
                ),
            )
        )
    if not topic.label_ja.strip():
        errors.append(FieldError("label_ja", Msg("日本語の名称を入力してください。", "label_ja is required.")))
    if not topic.label_en.strip():
        errors.append(FieldError("label_en", Msg("英語の名称を入力してください。", "label_en is required.")))
    if catalog is not None and is_new and catalog.topic(topic.code) is not None:
        errors.append(
            FieldError("code", Msg(f"コード「{topic.code}」は既に使われています。", f"topic code '{topic.code}' already exists."))
        )
    return errors

"""My Number (個人番号) handling: masking, reading purposes, and the audited reveal.

The clear number is only ever returned by :func:`reveal_my_number`, after the
role check and after the audit event is written (if the audit write fails, the
number is not shown). Everywhere else the number travels as :class:`MaskedNumber`,
whose ``str`` and ``repr`` show only the last four digits.
"""
from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from dxdesk.cardreader.model import my_number_check_digit  # the one implementation (番号法施行令第8条)
from dxdesk.errors import DxError
from dxdesk.i18n import Msg
from dxdesk.security.permissions import Permission, Session, require

if TYPE_CHECKING:
    from dxdesk.security.audit import AuditLog

MY_NUMBER_LENGTH = 12


def normalize_my_number(value: str) -> str:
    """Digits only (full-width accepted, spaces/hyphens dropped); ValueError without echoing the input."""
    text = unicodedata.normalize("NFKC", value).replace(" ", "").replace("-", "")
    if len(text) != MY_NUMBER_LENGTH or not text.isascii() or not text.isdigit():
        raise ValueError("not a 12-digit individual number")
    return text


def is_valid_my_number(value: str) -> bool:
    try:
        digits = normalize_my_number(value)
    except ValueError:
        return False
    return my_number_check_digit(digits[:11]) == int(digits[11])


@dataclass(frozen=True)
class MaskedNumber:
    """Holds a number but never prints it: ``str()`` gives ``**** **** 7188``."""

    _value: str = field(repr=False)

    @classmethod
    def of(cls, value: str) -> "MaskedNumber":
        return cls(normalize_my_number(value))

    @property
    def last4(self) -> str:
        return self._value[-4:]

    def masked(self) -> str:
        return f"**** **** {self.last4}"

    def __str__(self) -> str:
        return self.masked()

    def __repr__(self) -> str:
        return f"MaskedNumber({self.masked()!r})"

    def __format__(self, spec: str) -> str:
        return format(self.masked(), spec)


def mask_my_number(value: str) -> str:
    return MaskedNumber.of(value).masked()


class JimuType(str, enum.Enum):
    """事務種別: the kinds of business for which 番号法 (別表) allows using the number."""

    JUMINHYO = "住民票関係"
    TAX = "税"
    SOCIAL_SECURITY = "社会保障"
    DISASTER = "災害対策"
    OTHER = "その他"

    @property
    def label(self) -> Msg:
        return _JIMU_LABELS[self]


_JIMU_LABELS = {
    JimuType.JUMINHYO: Msg("住民票関係", "Resident register"),
    JimuType.TAX: Msg("税", "Tax"),
    JimuType.SOCIAL_SECURITY: Msg("社会保障", "Social security"),
    JimuType.DISASTER: Msg("災害対策", "Disaster response"),
    JimuType.OTHER: Msg("その他（処理事由に記入）", "Other (describe in the reason)"),
}

MAX_REASON_LENGTH = 200
MAX_JIMU_LENGTH = 64  # free-text 事務種別 (e.g. a town's own 独自利用事務)

MSG_REASON_REQUIRED = Msg(
    ja="個人番号を扱う理由（処理事由）を入力してください。",
    en="Enter the reason (処理事由) for handling the individual number.",
)
MSG_REASON_TOO_LONG = Msg(
    ja="処理事由は{max}文字以内で入力してください。",
    en="The reason must be at most {max} characters.",
)
MSG_NOT_STORED = Msg(
    ja="この受付には個人番号が保存されていません。",
    en="No individual number is stored for this visit.",
)


class ReasonError(DxError, ValueError):
    def __init__(self, msg: Msg) -> None:
        super().__init__(msg)


@dataclass(frozen=True)
class ReadPurpose:
    """Why a My Number is read or shown: 事務種別 plus a free-text 処理事由 (required)."""

    jimu_type: JimuType | str
    reason: str

    def validated(self) -> "ReadPurpose":
        reason = " ".join(self.reason.split())
        if not reason:
            raise ReasonError(MSG_REASON_REQUIRED)
        if len(reason) > MAX_REASON_LENGTH:
            raise ReasonError(MSG_REASON_TOO_LONG.format(max=MAX_REASON_LENGTH))
        jimu = self.jimu_type
        if not isinstance(jimu, JimuType):
            try:
                jimu = JimuType(str(jimu).strip())
            except ValueError:
                jimu = str(jimu).strip()[:MAX_JIMU_LENGTH] or JimuType.OTHER.value
        return ReadPurpose(jimu, reason)

    @property
    def jimu_text(self) -> str:
        return self.jimu_type.value if isinstance(self.jimu_type, JimuType) else str(self.jimu_type)


class MyNumberNotStoredError(DxError, LookupError):
    def __init__(self) -> None:
        super().__init__(MSG_NOT_STORED)


# Supplied by whoever stores visits (counter/store): visit id -> clear number or None.
MyNumberLoader = Callable[[str], "str | None"]


def visit_loader(database: Any) -> MyNumberLoader:
    """Loader for the store's ``visits.my_number`` column (decrypted by the store on read)."""

    def load(visit_id: str) -> str | None:
        from dxdesk.store.models import Visit

        with database.session() as orm:
            visit = orm.get(Visit, visit_id)
            return visit.my_number if visit is not None else None

    return load


def reveal_my_number(
    session: Session,
    visit_id: str,
    reason: ReadPurpose | str,
    *,
    audit: "AuditLog",
    load: MyNumberLoader,
) -> str:
    """Return the stored number in clear, once REVEAL_MY_NUMBER is checked and the reveal is audited.

    ``reason`` is a :class:`ReadPurpose` or a bare 処理事由 (事務種別 then "その他").
    A denied attempt is audited too, so repeated probing is visible to the supervisor.
    """
    from dxdesk.security.audit import AuditEntry, EventType, Item, Result

    purpose = reason if isinstance(reason, ReadPurpose) else ReadPurpose(JimuType.OTHER, reason)
    entry = AuditEntry(
        event_type=EventType.MY_NUMBER_REVEAL, actor=session.clerk_id, jimu_type=purpose.jimu_text,
        reason=" ".join(purpose.reason.split())[:MAX_REASON_LENGTH], items=(Item.MY_NUMBER,),
        details={"visit_id": visit_id},
    )
    if not session.can(Permission.REVEAL_MY_NUMBER):
        audit.append(entry.with_result(Result.DENIED))
        require(session, Permission.REVEAL_MY_NUMBER)
    purpose = purpose.validated()
    value = load(visit_id)
    if not value:
        audit.append(entry.with_result(Result.FAILURE, detail=("cause", "not_stored")))
        raise MyNumberNotStoredError()
    audit.append(entry.with_result(Result.SUCCESS))
    return normalize_my_number(value)

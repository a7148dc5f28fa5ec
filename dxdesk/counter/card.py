"""What the visit holds about the resident's identity, and how it was obtained.

:class:`VisitCardData` is the only place card data lives during a visit. It is a
separate object so that it can be wiped as a whole (:meth:`VisitCardData.discard`)
when the visit closes, while the record keeps only what a procedure requires.
The My Number is held in a ``bytearray`` so it can be overwritten in place; Python
strings cannot be zeroed, so for them we drop every reference we hold.
"""
from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any

from dxdesk.cardreader.model import is_valid_my_number, mask_my_number
from dxdesk.i18n import Msg

from .errors import VisitError


class IdentifyMethod(str, Enum):
    CARD_PIN = "card_pin"  # 券面事項入力補助用暗証番号 (4 digits) on the resident's PIN pad
    CARD_MATCHING_B = "card_matching_b"  # 照合番号B: birth date + expiry year + security code (cannot open the My Number)
    MANUAL = "manual"  # clerk typed the data from another ID document; nothing read from a card

    @property
    def label(self) -> Msg:
        return _METHOD_LABELS[self]

    @property
    def reads_card(self) -> bool:
        return self is not IdentifyMethod.MANUAL


_METHOD_LABELS = {
    IdentifyMethod.CARD_PIN: Msg("マイナンバーカード（暗証番号）", "My Number Card (PIN)"),
    IdentifyMethod.CARD_MATCHING_B: Msg("マイナンバーカード（照合番号B）", "My Number Card (照合番号B, no PIN)"),
    IdentifyMethod.MANUAL: Msg("手入力（本人確認書類）", "Manual entry (other ID document)"),
}

# Labels of card items, for the guide sheet and the resident's confirmation view.
CARD_ITEM_LABELS: dict[str, Msg] = {
    "name": Msg("氏名", "Name"),
    "name_kana": Msg("氏名のふりがな", "Name reading"),
    "address": Msg("住所", "Address"),
    "birth_date": Msg("生年月日", "Date of birth"),
    "sex": Msg("性別", "Sex"),
    "my_number": Msg("個人番号", "Individual number (My Number)"),
    # Not a value the visit holds: the clerk compared the chip's face photo with the resident (issue #18).
    "face_photo": Msg("顔写真（ICチップ）と本人の照合", "Face photo on the chip compared with the resident"),
}
FACE_PHOTO_ITEM = "face_photo"

SEX_LABELS: dict[str, Msg] = {  # card codes (ISO 5218 / JIS X 0303)
    "1": Msg("男", "Male"),
    "2": Msg("女", "Female"),
    "9": Msg("適用不能", "Not applicable"),
    "0": Msg("不明", "Unknown"),
}

_DISCARDED = Msg("本人情報は既に破棄されています", "The identity data of this visit has already been discarded.")


class VisitCardData:
    """Identity data of one visit. ``items_read`` names what came off the card (never values)."""

    def __init__(
        self,
        method: IdentifyMethod,
        *,
        name: str,
        address: str,
        birth_date: date,
        sex: str,
        name_kana: str = "",
        my_number: str | None = None,
        number_added_later: bool = False,
    ) -> None:
        if sex not in SEX_LABELS:
            raise VisitError(Msg("性別コードが正しくありません", "Unknown sex code (expected 1, 2, 9 or 0)."), code="bad_card_data")
        if my_number is not None and not is_valid_my_number(my_number):
            # Also catches a mistyped number on the manual path (the 12th digit is a check digit).
            raise VisitError(
                Msg("個人番号が正しくありません（12桁・検査用数字）", "The individual number is invalid (12 digits with a check digit)."),
                code="bad_card_data",
            )
        if my_number is not None and method is IdentifyMethod.CARD_MATCHING_B and not number_added_later:
            # 照合番号B opens the basic-4 EF only; a number in the same read means the caller mixed up sources.
            # The number may join later, from a separate PIN read (Visit.attach_my_number).
            raise VisitError(
                Msg("照合番号Bでは個人番号は読み取れません", "照合番号B cannot read the individual number."), code="bad_card_data"
            )
        self.method = method
        self.number_added_later = number_added_later
        self._values: dict[str, Any] = {
            "name": name, "address": address, "birth_date": birth_date, "sex": sex, "name_kana": name_kana,
        }
        self._my_number: bytearray | None = bytearray(my_number.encode("ascii")) if my_number else None
        read = ["name", "address", "birth_date", "sex"] + (["my_number"] if my_number else [])
        # name_kana is never on the card: the resident confirms it, so it is not a "read" item.
        self.items_read: tuple[str, ...] = tuple(read) if method.reads_card else ()
        self._discarded = False

    @classmethod
    def from_card_holder(cls, method: IdentifyMethod, holder: Any, *, name_kana: str = "") -> "VisitCardData":
        """From ``dxdesk.cardreader.model.CardHolder`` (duck-typed: name, address, birth_date, sex, my_number)."""
        sex = getattr(holder.sex, "value", holder.sex)  # cardreader's Sex enum or a plain code
        return cls(
            method, name=holder.name, address=holder.address, birth_date=holder.birth_date, sex=str(sex),
            name_kana=name_kana, my_number=getattr(holder, "my_number", None),
        )

    # -- values (raise once discarded) -----------------------------------------------------------

    def _get(self, key: str) -> Any:
        if self._discarded:
            raise VisitError(_DISCARDED, code="card_data_discarded")
        return self._values[key]

    @property
    def name(self) -> str:
        value: str = self._get("name")
        return value

    @property
    def address(self) -> str:
        value: str = self._get("address")
        return value

    @property
    def birth_date(self) -> date:
        value: date = self._get("birth_date")
        return value

    @property
    def sex(self) -> str:
        value: str = self._get("sex")
        return value

    @property
    def name_kana(self) -> str:
        value: str = self._get("name_kana")
        return value

    def set_name_kana(self, kana: str) -> None:
        """The reading the resident confirmed (it cannot be derived from kanji)."""
        self._get("name_kana")
        self._values["name_kana"] = kana

    @property
    def family_name(self) -> str:
        # The card separates family and given name with U+3000.
        return self.name.split("\u3000", 1)[0]

    @property
    def given_name(self) -> str:
        parts = self.name.split("\u3000", 1)
        return parts[1] if len(parts) > 1 else ""

    @property
    def has_my_number(self) -> bool:
        return self._my_number is not None and not self._discarded

    def my_number(self) -> str:
        """The number itself: only for a form that legally requires it. A method, so it is never read by accident."""
        if self._discarded:
            raise VisitError(_DISCARDED, code="card_data_discarded")
        if self._my_number is None:
            raise VisitError(Msg("個人番号は読み取っていません", "The individual number was not read."), code="no_my_number")
        return self._my_number.decode("ascii")

    def masked_my_number(self) -> str:
        """'**** **** 7188': the only form of the number a screen may show."""
        return mask_my_number(self.my_number())

    def drop_my_number(self) -> None:
        """Forget the number (procedures changed and none needs it any more)."""
        if self._my_number is not None:
            self._my_number[:] = b"\0" * len(self._my_number)
            self._my_number = None

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def discarded(self) -> bool:
        return self._discarded

    def discard(self) -> None:
        """Wipe everything. Idempotent."""
        self.drop_my_number()
        for key in list(self._values):
            self._values[key] = None
        self._values.clear()
        self._discarded = True

    def mark_face_checked(self) -> None:
        """The clerk confirmed the chip's face photo against the resident: part of the 本人確認 record.

        Only the fact is kept (an item name, audited as ``face_photo``); the photo itself never
        reaches this object.
        """
        if self.method is not IdentifyMethod.CARD_MATCHING_B or self._discarded:
            raise VisitError(Msg("顔写真は照合番号Bで読み取ったときだけ確認できます",
                                 "The face photo can only be checked after a 照合番号B read."), code="bad_card_data")
        if FACE_PHOTO_ITEM not in self.items_read:
            self.items_read = (*self.items_read, FACE_PHOTO_ITEM)

    @property
    def face_checked(self) -> bool:
        return FACE_PHOTO_ITEM in self.items_read

    def value(self, item: str) -> Any:
        """A card item by name (see CARD_ITEM_LABELS)."""
        return self.my_number() if item == "my_number" else self._get(item)

    def to_json(self) -> dict[str, Any]:
        """Plain dict for the (encrypted) journal."""
        data = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self._values.items()} if not self._discarded else {}
        return {
            "method": self.method.value,
            "discarded": self._discarded,
            "values": data,
            "my_number": self._my_number.decode("ascii") if self._my_number is not None and self.has_my_number else None,
            "items_read": list(self.items_read),
            "number_added_later": self.number_added_later,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "VisitCardData":
        values = data["values"]
        if data.get("discarded"):
            card = cls.__new__(cls)
            card.method = IdentifyMethod(data["method"])
            card._values, card._my_number, card._discarded = {}, None, True
            card.number_added_later = bool(data.get("number_added_later"))
        else:
            card = cls(
                IdentifyMethod(data["method"]), name=values["name"], address=values["address"],
                birth_date=date.fromisoformat(values["birth_date"]), sex=values["sex"],
                name_kana=values.get("name_kana", ""), my_number=data.get("my_number"),
                number_added_later=bool(data.get("number_added_later")),
            )
        card.items_read = tuple(data.get("items_read", ()))  # the number may have been dropped since it was read
        return card

    def __repr__(self) -> str:  # never the values: a repr ends up in logs and tracebacks
        state = "discarded" if self._discarded else "held"
        return f"<VisitCardData {self.method.value} {state} items_read={list(self.items_read)}>"

"""The documents ``dxdesk card ... --json`` prints (keys are a contract: issue #16, README command table).

One function per command builds a plain dict, so a new key (the certificate expiry of
``card status``, say) is one line in one place. Printing and the error object are
:mod:`dxdesk.jsonout`'s job.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dxdesk.cardreader.model import CardHolder, Sex

if TYPE_CHECKING:
    from dxdesk.cardreader.pcsc import ReaderInfo
    from dxdesk.cardreader.service import CardSource, CardStatus

# ISO 5218 codes as words a robot can compare; 0 (not known) is rare on cards but possible.
SEX_KEYS = {Sex.MALE: "male", Sex.FEMALE: "female", Sex.NOT_APPLICABLE: "not_applicable", Sex.UNKNOWN: "unknown"}


def reader_name(source: CardSource | None) -> str | None:
    """The reader's PC/SC name; "training" for training mode's built-in card; None without a reader."""
    if source is None:
        return None
    return "training" if source.simulated else source.reader


def readers_document(infos: list[ReaderInfo]) -> dict[str, Any]:
    readers = [{"name": info.name, "card_present": info.card_present,
                "atr": info.atr.hex().upper() if info.card_present else None,
                "exclusive": bool(info.card_present and info.exclusive)} for info in infos]
    return {"readers": readers, "count": len(readers)}


def status_document(status: CardStatus) -> dict[str, Any]:
    """``card status --json``: add keys here (one dict, one place)."""
    return {
        "reader": reader_name(status.source),
        "simulated": bool(status.source is not None and status.source.simulated),
        "card_present": status.card_present,
        "tries_left": status.tries_left,
        "problem": status.problem.en if status.problem is not None else None,
    }


def holder_document(holder: CardHolder, source: CardSource, *, my_number: str | None) -> dict[str, Any]:
    """``card read --json``. ``my_number`` is what may be shown: masked, whole, or None when not read."""
    return {
        "name": holder.name,
        "name_family": holder.family_name,
        "name_given": holder.given_name,
        "address": holder.address,
        "birth_date": holder.birth_date.isoformat(),
        "sex": SEX_KEYS[holder.sex],
        "my_number": my_number,
        "reader": reader_name(source),
    }

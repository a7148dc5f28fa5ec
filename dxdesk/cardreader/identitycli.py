"""``dxdesk card identify`` and the certificate keys of ``dxdesk card status`` (issue #18).

Kept apart from ``cli.py`` so the JSON output of readers/status/read (another change) merges
without conflict: ``status_identity_fields`` is the only thing ``card status`` takes from here.

``card identify`` is ``card read`` plus the chip's face photo (照合番号B route: its size only,
never the image), the card's expiry, the JPKI certificate's expiry and the renewals to offer.
It signs in and is audited exactly like ``card read``; the audit items name ``face_photo`` when
the photo was read, never its content.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import TYPE_CHECKING, Any

from dxdesk.clisession import add_as
from dxdesk.jsonout import add_json_flag, emit, json_command

if TYPE_CHECKING:
    from dxdesk.cardreader.service import CardReadResult, CardStatus


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from dxdesk.cardreader.cli import CARD_READ_AS_HELP  # cli imports this module inside its register

    p = sub.add_parser(
        "identify",
        help="本人確認 read as a signed-in clerk: the four items, card and certificate expiry, face photo size, "
             "renewals to offer (audited)")
    add_as(p, CARD_READ_AS_HELP)
    p.add_argument("--reader", metavar="PREFIX", help="reader name prefix (default: settings, else first reader)")
    route = p.add_mutually_exclusive_group(required=True)
    route.add_argument("--code-b-stdin", action="store_true",
                       help="password line, then 照合番号B (14 digits) as lines from standard input (face photo + expiry)")
    route.add_argument("--pin-stdin", action="store_true",
                       help="password line, then the 4-digit PIN as lines from standard input (certificate expiry)")
    add_json_flag(p)
    p.set_defaults(func=cmd_identify)


def desk_date(moment: dt.datetime) -> dt.date:
    """A certificate's notAfter (UTC) as the desk's calendar day (the resident's day, not UTC's)."""
    from dxdesk.timeutil import to_desk

    return to_desk(moment).date()


def _months() -> int:
    from dxdesk.config import load_settings

    return load_settings().card.renewal_warning_months


def status_identity_fields(status: "CardStatus", today: dt.date | None = None) -> dict[str, Any]:
    """``auth_cert_not_after`` (ISO date) and ``auth_cert_state`` for ``card status``; None when unknown."""
    from dxdesk.cardreader.validity import expiry_state
    from dxdesk.timeutil import local_today

    if status.auth_cert_not_after is None:
        return {"auth_cert_not_after": None, "auth_cert_state": None}
    last_day = desk_date(status.auth_cert_not_after)
    state = expiry_state(last_day, today or local_today(), _months())
    return {"auth_cert_not_after": last_day.isoformat(), "auth_cert_state": state.value}


def identify_fields(result: "CardReadResult", today: dt.date) -> dict[str, Any]:
    """Exactly the keys of issue #18's ``card identify``; the four items as ``card read --json`` writes them."""
    from dxdesk.cardreader.cardjson import SEX_KEYS
    from dxdesk.cardreader.validity import expiry_state, suggested_renewals

    holder, extras = result.holder, result.extras
    months = _months()
    card_expiry = extras.card_expiry if extras else None
    card_state = expiry_state(card_expiry, today, months) if card_expiry else None
    not_after = desk_date(extras.auth_cert_not_after) if extras and extras.auth_cert_not_after else None
    cert_state = expiry_state(not_after, today, months) if not_after else None
    photo = extras.photo if extras else None
    return {
        "name": holder.name,
        "address": holder.address,
        "birth_date": holder.birth_date.isoformat(),
        "sex": SEX_KEYS[holder.sex],  # male/female/not_applicable, as in card read --json
        "card_expiry": card_expiry.isoformat() if card_expiry else None,
        "card_state": card_state.value if card_state else None,
        "face_photo": {"width": photo.width, "height": photo.height} if photo else None,
        "auth_cert_not_after": not_after.isoformat() if not_after else None,
        "suggested_procedures": suggested_renewals(card_state, cert_state),
    }


def _audit(audit: Any, session: Any, result: str, items: list[str], details: dict[str, Any]) -> None:
    """The same CARD_READ event as ``card read``; ``items`` names what was read (``face_photo``), never values."""
    from dxdesk.cardreader.cli import append_card_read
    from dxdesk.security.audit import AuditEntry, EventType

    append_card_read(audit, AuditEntry(EventType.CARD_READ, session.clerk_id, result, items=tuple(items),
                                       details={"via": "cli", "command": "identify", **details}))


@json_command
def cmd_identify(args: argparse.Namespace) -> int:
    from dxdesk.cardreader.cli import _signed_in, _source_line, _StdinPinProvider
    from dxdesk.cardreader.errors import CardError
    from dxdesk.cardreader.service import CardService
    from dxdesk.cli import UserError
    from dxdesk.security.audit import Item, Result
    from dxdesk.security.permissions import PermissionDeniedError
    from dxdesk.timeutil import local_today

    args.pin_stdin = True  # both routes read the password as the first stdin line (see _signed_in)
    with _signed_in(args) as (settings, session, audit):
        code_b = sys.stdin.readline().rstrip("\r\n") if args.code_b_stdin else None
        service = CardService(settings.card, reader_prefix=args.reader, require_session=True)
        with service:
            service.bind_session(session)
            try:
                result = service.read_card(_StdinPinProvider(), code_b=code_b, session=session, identity=True).result()
            except PermissionDeniedError as exc:
                _audit(audit, session, Result.DENIED, [Item.BASIC4], {})
                raise UserError(exc.message.en) from None
            except CardError as exc:
                _audit(audit, session, Result.FAILURE, [Item.BASIC4], {"error": type(exc).__name__})
                raise  # a DxError: its sentence, or with --json the error object with tries_left
            finally:
                code_b = None
        extras = result.extras
        items = [Item.BASIC4, *([Item.PINLESS] if args.code_b_stdin else []),
                 *([Item.FACE_PHOTO] if extras and extras.photo else [])]
        details = {"method": "code_b" if args.code_b_stdin else "pin", "simulated": bool(result.source.simulated),
                   "chip": extras.chip.status.value if extras and extras.chip else "not_checked"}
        _audit(audit, session, Result.SUCCESS, items, details)
    fields = identify_fields(result, local_today())
    chip = extras.chip if extras else None
    if chip is not None and chip.warning:
        print(f"WARNING: chip signature check {chip.status.value}: {chip.reason}", file=sys.stderr)
    if args.json:
        emit(fields)
        return 0
    print(_source_line(result.source))
    for key, value in fields.items():
        print(f"{key + ':':22}{value if value is not None else '-'}")
    return 0

"""``dxdesk card ...``: readers, status, read and the vpcd simulator.

The PIN is only ever read from a hidden prompt (getpass) or, with ``--pin-stdin``, as
one line from standard input (kiosk front ends, tests); never from argv, where it
would land in shell history and process listings. The My Number is always masked
here: a terminal is not a place to display it. ``--json`` (kiosk front ends, RPA tools) prints one
document instead (:mod:`dxdesk.cardreader.cardjson`, errors as :mod:`dxdesk.jsonout`'s error object);
there the number is whole only for a role allowed to reveal it, read with a 処理事由, and the audit
event says so. ``--code-b-stdin`` reads the four items with 照合番号B instead of the PIN.

``card read`` returns personal data, so like every other such command it acts for
a signed-in account (``--as LOGIN``): the role check is the same as at the counter
(READ_CARD; READ_MY_NUMBER and a 処理事由 for the number) and the read is an audit
event. ``readers``, ``status`` and ``sim`` show no personal data and need no sign-in.
The read benchmark is repository-only: ``python -m tools.bench card``.
"""
from __future__ import annotations

import argparse
import getpass
import signal
import sys
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

from dxdesk.cardreader.errors import CardError
from dxdesk.clisession import add_as
from dxdesk.jsonout import add_json_flag, emit, json_command

if TYPE_CHECKING:
    from dxdesk.cardreader.service import CardService, CardSource

DEFAULT_PORT = 35963
# --jimu-type values -> dxdesk.security.mynumber.JimuType member names (ASCII for the command line).
CARD_READ_AS_HELP = "sign in as this account (needs the card-read permission; password is asked)"
_JIMU_CHOICES = {"juminhyo": "JUMINHYO", "tax": "TAX", "social-security": "SOCIAL_SECURITY",
                 "disaster": "DISASTER", "other": "OTHER"}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    card = subparsers.add_parser("card", help="card reader: list readers, card status, read a card, simulator")
    sub = card.add_subparsers(dest="card_command", metavar="ACTION", required=True)

    p = sub.add_parser("readers", help="list PC/SC readers and whether a card is in them")
    add_json_flag(p)
    p.set_defaults(func=cmd_readers)

    p = sub.add_parser("status", help="reader, card present and PIN tries left (spends no try, needs no PIN)")
    p.add_argument("--reader", metavar="PREFIX", help="reader name prefix (default: settings, else first reader)")
    add_json_flag(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser(
        "read", help="read the four basic items as a signed-in clerk (password, then PIN on hidden prompts; audited)")
    add_as(p, CARD_READ_AS_HELP)
    p.add_argument("--reader", metavar="PREFIX", help="reader name prefix (default: settings, else first reader)")
    p.add_argument("--my-number", action="store_true",
                   help="also read the My Number (shown masked; needs --reason)")
    p.add_argument("--jimu-type", choices=sorted(_JIMU_CHOICES), default="other",
                   help="事務種別 recorded in the audit log (default: other)")
    p.add_argument("--reason", default="", help="処理事由 recorded in the audit log (required with --my-number)")
    p.add_argument(
        "--pin-stdin",
        action="store_true",
        help="read the account password and then the PIN as lines from standard input instead of terminal "
        "prompts (for kiosk front ends and scripts; the PIN line is read only once the card shows tries left)",
    )
    p.add_argument(
        "--code-b-stdin",
        action="store_true",
        help="the PIN-less route: read the account password and then 照合番号B (14 digits: birth date YYMMDD in "
        "wareki, card expiry year, security code) as lines from standard input; the four items only",
    )
    add_json_flag(p)
    p.set_defaults(func=cmd_read)

    from dxdesk.cardreader.identitycli import register as register_identify

    register_identify(sub)

    p = sub.add_parser("sim", help="serve a simulated card to pcscd through vpcd until Ctrl-C")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="vpcd slot port (35963 = 'Virtual PCD 00 00')")
    p.add_argument("--host", default="127.0.0.1", help="where vpcd listens (default 127.0.0.1)")
    p.add_argument("--person", default="kokutou", help="fictional card holder (see dxdesk/cardreader/testdata.py)")
    p.add_argument("--pin", help="PIN of the simulated card (default: the person's, 1234 for kokutou)")
    p.add_argument("--tries", type=int, default=3, help="PIN tries left on the card (0 = blocked)")
    p.add_argument("--cert-validity", choices=("valid", "expiring", "expired"),
                   help="JPKI certificates' notAfter relative to today: 2 years on, in 30 days, or 30 days ago "
                        "(default: 2035-12-31)")
    p.add_argument("--card-validity", choices=("valid", "expiring", "expired"),
                   help="the card's own expiry, likewise (照合番号B's year follows it; default: the person's)")
    p.add_argument(
        "--remove-after",
        type=int,
        metavar="N",
        help="pull the card out after answering N APDUs (demonstrates a card removed mid-read)",
    )
    p.set_defaults(func=cmd_sim)


@json_command
def cmd_readers(args: argparse.Namespace) -> int:
    from dxdesk.cardreader.cardjson import readers_document
    from dxdesk.cardreader.pcsc import reader_infos

    infos = reader_infos()  # a CardError's English sentence is what `dxdesk` prints
    if args.json:
        emit(readers_document(infos))
        return 0 if infos else 1
    if not infos:
        print("no card readers found")
        return 1
    for info in infos:
        if info.card_present:
            state = f"card present, ATR {info.atr.hex(' ').upper()}"
            if info.exclusive:
                state += " (in exclusive use by another program)"
        else:
            state = "no card"
        print(f"{info.name}: {state}")
    return 0


def _service(args: argparse.Namespace) -> CardService:
    from dxdesk.cardreader.service import CardService
    from dxdesk.config import load_settings

    return CardService(load_settings().card, reader_prefix=getattr(args, "reader", None))


def _source_line(source: CardSource | None) -> str:
    if source is None:
        return "reader:  none"
    if source.simulated:
        return "reader:  TRAINING - built-in fictional card, not a real card (training mode)"
    return f"reader:  {source.reader}"


@json_command
def cmd_status(args: argparse.Namespace) -> int:
    from dxdesk.cardreader.cardjson import status_document
    from dxdesk.cardreader.identitycli import status_identity_fields

    with _service(args) as service:
        status = service.status(with_auth_cert=True).result()  # a CardError is a DxError: its sentence, or JSON
    cert = status_identity_fields(status)
    if args.json:
        emit({**status_document(status), **cert})
        return 0 if status.card_present else 1
    print(_source_line(status.source))
    print(f"card:    {'present' if status.card_present else 'none'}")
    if status.tries_left is not None:
        print(f"PIN tries left: {status.tries_left}")
    elif status.problem is not None:
        print(f"PIN tries left: unknown ({status.problem.en})")
    if cert["auth_cert_not_after"]:
        print(f"authentication certificate valid until: {cert['auth_cert_not_after']} ({cert['auth_cert_state']})")
    return 0 if status.card_present else 1


class _PromptPinProvider:
    """Asks on the terminal (hidden input); runs on the card thread, which is fine for a CLI."""

    def request_pin(self, key_label: str, tries_left: int) -> str | None:
        try:
            pin = getpass.getpass(f"Card PIN (4 digits, {tries_left} tries left; empty to cancel): ")
        except (EOFError, KeyboardInterrupt):
            return None
        return pin or None


class _StdinPinProvider:
    """One line from standard input; EOF or an empty line cancels. Nothing is echoed."""

    def request_pin(self, key_label: str, tries_left: int) -> str | None:
        line = sys.stdin.readline()
        pin = line.rstrip("\r\n")
        return pin or None


def _purpose(args: argparse.Namespace) -> Any:
    """The validated 事務種別/処理事由, checked before anyone is asked for a password or PIN."""
    from dxdesk.cli import UserError
    from dxdesk.security.mynumber import JimuType, ReadPurpose, ReasonError

    jimu = JimuType[_JIMU_CHOICES[args.jimu_type]]
    if not args.reason.strip():
        if args.my_number:
            raise UserError("reading the My Number needs --reason TEXT (処理事由), recorded in the audit log")
        return ReadPurpose(jimu, "")
    try:
        return ReadPurpose(jimu, args.reason).validated()
    except ReasonError as exc:
        raise UserError(exc.message.en) from None


@contextmanager
def _signed_in(args: argparse.Namespace) -> Iterator[tuple[Any, Any, Any]]:
    """(settings, session, audit log) for the account named by --as; the database stays open inside."""
    from dxdesk.clisession import open_auth, sign_in, user_errors
    from dxdesk.config import load_settings

    settings = load_settings()
    with open_auth(settings) as (_db, auth):
        with user_errors():
            # With the PIN (or 照合番号B) piped, the password comes first on the same pipe: a front end
            # feeding the PIN has no terminal for the password either.
            session = sign_in(auth, args.as_login, "reading a card",
                              password_stdin=bool(args.pin_stdin or args.code_b_stdin))
        yield settings, session, auth.audit


def _items(include_my_number: bool) -> tuple[str, ...]:
    from dxdesk.security.audit import Item

    return (Item.BASIC4, Item.MY_NUMBER) if include_my_number else (Item.BASIC4,)


def _audit_read(audit: Any, session: Any, args: argparse.Namespace, purpose: Any, result: str,
                details: dict[str, Any]) -> None:
    from dxdesk.security.audit import AuditEntry, EventType

    append_card_read(audit, AuditEntry(
        EventType.CARD_READ, session.clerk_id, result, jimu_type=purpose.jimu_text if purpose.reason else "",
        reason=purpose.reason, items=_items(args.my_number), details={"via": "cli", **details},
    ))


def append_card_read(audit: Any, entry: Any) -> None:
    """Append a card-read event (``card read``, ``card identify``); a refusal is the command's one line."""
    from dxdesk.cli import UserError
    from dxdesk.security.audit import AuditError

    try:
        audit.append(entry)
    except AuditError as exc:
        raise UserError(exc.message.en) from None


class _NoPinProvider:
    """The 照合番号B route never asks for a PIN; a request would be a bug in the service."""

    def request_pin(self, key_label: str, tries_left: int) -> str | None:
        return None


def _check_route(args: argparse.Namespace) -> None:
    from dxdesk.cli import UserError

    if args.code_b_stdin and args.pin_stdin:
        raise UserError("--code-b-stdin and --pin-stdin are two different routes; give one")
    if args.code_b_stdin and args.my_number:
        raise UserError("照合番号B opens the four basic items only: the My Number needs the PIN (drop --code-b-stdin)")


def _shown_number(args: argparse.Namespace, session: Any, purpose: Any, number: str | None) -> tuple[str | None, bool]:
    """(the My Number as --json may print it, whether it is whole): whole only for a role allowed to reveal
    it, read with a 処理事由; masked otherwise, and never whole on a terminal."""
    from dxdesk.cardreader.model import mask_my_number
    from dxdesk.security.permissions import Permission

    if not args.my_number or number is None:
        return None, False
    if args.json and purpose.reason and session.can(Permission.REVEAL_MY_NUMBER):
        return number, True
    return mask_my_number(number), False


@json_command
def cmd_read(args: argparse.Namespace) -> int:
    from dxdesk.cardreader.cardjson import holder_document
    from dxdesk.cardreader.service import CardService
    from dxdesk.security.audit import Result
    from dxdesk.security.permissions import PermissionDeniedError

    _check_route(args)
    purpose = _purpose(args)
    with _signed_in(args) as (settings, session, audit):
        service = CardService(settings.card, reader_prefix=args.reader, require_session=True)
        with service:
            service.bind_session(session)
            try:
                if args.code_b_stdin:
                    code_b = sys.stdin.readline().rstrip("\r\n")
                    future = service.read_card(_NoPinProvider(), code_b=code_b, session=session)
                    del code_b
                else:
                    provider = _StdinPinProvider() if args.pin_stdin else _PromptPinProvider()
                    future = service.read_card(provider, include_my_number=args.my_number, session=session)
                result = future.result()
            except PermissionDeniedError:
                _audit_read(audit, session, args, purpose, Result.DENIED, {})
                raise
            except CardError as exc:
                # Only the error's kind: its text is for the clerk, the log keeps no card details.
                _audit_read(audit, session, args, purpose, Result.FAILURE, {"error": type(exc).__name__})
                raise
            except KeyboardInterrupt:
                service.cancel()
                raise
        holder = result.holder
        number, whole = _shown_number(args, session, purpose, holder.my_number)
        simulated = bool(result.source is not None and result.source.simulated)
        details: dict[str, Any] = {"method": "code_b" if args.code_b_stdin else "pin", "simulated": simulated}
        if args.json:
            details["output"] = "json"
        if whole:
            details["my_number_shown"] = "whole"  # the robot got the number itself, not the masked form
        _audit_read(audit, session, args, purpose, Result.SUCCESS, details)
    if args.json:
        emit(holder_document(holder, result.source, my_number=number))
        return 0
    print(_source_line(result.source))
    print(f"name:       {holder.name}")
    print(f"address:    {holder.address}")
    print(f"birth date: {holder.birth_date.isoformat()}")
    print(f"sex:        {holder.sex.label_en}")
    if args.my_number:
        print(f"My Number:  {number}")
    return 0


def _validity_options(args: argparse.Namespace) -> dict[str, object]:
    import datetime as dt

    from dxdesk.cardreader.simvisual import validity_preset
    from dxdesk.timeutil import local_today

    options: dict[str, object] = {}
    if getattr(args, "cert_validity", None):
        last_day = validity_preset(args.cert_validity, local_today())
        # The last valid day ends at 23:59:59 on the desk's clock (JST), as real JPKI certificates do.
        options["auth_cert_not_after"] = dt.datetime(last_day.year, last_day.month, last_day.day, 14, 59, 59,
                                                     tzinfo=dt.timezone.utc)
    if getattr(args, "card_validity", None):
        options["card_expiry"] = validity_preset(args.card_validity, local_today())
    return options


def cmd_sim(args: argparse.Namespace) -> int:
    from dxdesk.cardreader.simcard import SimulatedCard
    from dxdesk.cardreader.testdata import PERSONS
    from dxdesk.cardreader.vpcd import VpcdCardServer, VpcdConnectionError
    from dxdesk.cli import UserError

    person = PERSONS.get(args.person)
    if person is None:
        raise UserError(f"unknown --person {args.person!r}; choose one of: {', '.join(sorted(PERSONS))}")
    if args.pin is not None and not (len(args.pin) == 4 and args.pin.isascii() and args.pin.isdigit()):
        raise UserError("--pin must be 4 ASCII digits")
    if not 0 <= args.tries <= 3:
        raise UserError("--tries must be between 0 and 3")
    if args.remove_after is not None and args.remove_after < 0:
        raise UserError("--remove-after must be 0 or more")
    options: dict[str, object] = {"pin_tries_left": args.tries, **_validity_options(args)}
    if args.pin is not None:
        options["pin"] = args.pin
    card = SimulatedCard.from_person(person, **options)
    reader = f"Virtual PCD 00 {args.port - DEFAULT_PORT:02d}"
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        # `kill PID` (SIGTERM) removes the card as cleanly as Ctrl-C does.
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # flush=True: a supervising script (or test) waits for these lines on a pipe.
    print(f"simulated card of fictional person {person.key!r} (PIN tries left {args.tries}, "
          f"照合番号B {card.code_b}, card expiry {card.card_expiry.isoformat()}); "
          f"inserting into vpcd {args.host}:{args.port} (reader {reader!r}). Ctrl-C removes it.", flush=True)
    try:
        while not stop.is_set():
            server = VpcdCardServer(card, args.host, args.port, remove_after=args.remove_after)
            try:
                server.connect()
            except VpcdConnectionError as exc:
                raise UserError(str(exc)) from None
            print("card inserted", flush=True)
            result = server.serve(stop)
            print(f"card removed ({result.reason}, {result.apdus} APDUs)", flush=True)
            if result.reason != "vpcd closed":
                break
            # pcscd went away (restart): wait a moment and plug the card in again.
            stop.wait(1.0)
    except KeyboardInterrupt:
        print("\ncard removed", flush=True)
    return 0

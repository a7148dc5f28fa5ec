"""``dxdesk handoff status|set|pickup`` and ``dxdesk visit export``: the back-office hand-off from the command line.

``set`` is an administrator's settings change (audited like every settings change);
``pickup`` moves the records out of the hand-off folder as a supervisor (audited);
``visit export`` writes the stored records of closed visits for an 一括取込 or an RPA robot,
in the same schema as the folder (JSON documents, or one CSV per form type), streamed and
audited as a ``data.export`` event. See docs/handoff.md.
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import sys
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any

from dxdesk.cli import UserError
from dxdesk.clisession import add_as
from dxdesk.jsonout import add_json_flag, emit, emit_items, json_command


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    handoff = subparsers.add_parser("handoff", help="back-office hand-off of printed forms: status, set, pickup")
    sub = handoff.add_subparsers(dest="handoff_command", metavar="ACTION", required=True)

    p = sub.add_parser("status", help="whether the hand-off is on, its folder and the records waiting there")
    add_json_flag(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("set", help="turn the hand-off on or off, choose its folder and retention (administrator)")
    p.add_argument("--enabled", choices=("on", "off"), help="write a record of every printed form")
    p.add_argument("--folder", metavar="DIR", help='the hand-off folder ("" = "handoff" in the data folder)')
    p.add_argument("--retention-days", type=int, metavar="N", help="delete records not picked up after N days")
    p.add_argument("--qr", choices=("on", "off"), help="also print each record as a QR code in its form's [qr] corner")
    add_as(p)
    p.set_defaults(func=cmd_set)

    p = sub.add_parser("pickup", help="move every waiting record to DIR (supervisor; audited)")
    p.add_argument("destination", type=Path, metavar="DIR")
    add_as(p)
    add_json_flag(p)
    p.set_defaults(func=cmd_pickup)


def add_visit_export(vsub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``dxdesk visit export`` (registered by dxdesk.counter.cli beside ``visit pending``)."""
    p = vsub.add_parser("export", help="closed visits' printed-form records, for bulk import or RPA (supervisor; "
                                       "audited; needs the hand-off on while printing)")
    p.add_argument("--from", dest="date_from", type=_day, required=True, metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", type=_day, required=True, metavar="YYYY-MM-DD", help="last day, included")
    p.add_argument("--format", choices=("csv", "json"), default="json")
    p.add_argument("--out", type=Path, metavar="PATH",
                   help="json: a file (default: standard output); csv: a folder that gets one FORM_ID.csv per form")
    p.add_argument("--force", action="store_true", help="replace output files that already exist")
    add_as(p)
    p.set_defaults(func=cmd_visit_export)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


@contextlib.contextmanager
def _signed_in(login: str | None, what: str) -> Iterator[tuple[Any, Any, Any]]:
    """(settings, session, Handoff) for the account named by --as."""
    from dxdesk.app.handoff import Handoff
    from dxdesk.config import load_settings
    from dxdesk.clisession import open_auth, sign_in, user_errors

    settings = load_settings()
    with open_auth(settings) as (_db, auth), user_errors():
        session = sign_in(auth, login, what)
        yield settings, session, Handoff(settings, auth.audit)


@json_command
def cmd_status(args: argparse.Namespace) -> int:
    from dxdesk.app.handoff import handoff_state
    from dxdesk.config import load_settings

    state = handoff_state(load_settings())
    doc = {"enabled": state.enabled, "folder": state.folder, "qr": state.qr,
           "retention_days": state.retention_days, "waiting": list(state.waiting)}
    if args.json:
        emit(doc)
        return 0
    print(f"hand-off:  {'on' if state.enabled else 'off'}")
    print(f"folder:    {state.folder}")
    print(f"retention: {state.retention_days} day(s)")
    print(f"QR codes:  {'on' if state.qr else 'off'}")
    print(f"waiting:   {len(state.waiting)} file(s)")
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    from dxdesk.app.handoff import RETENTION_DAYS

    if args.enabled is None and args.folder is None and args.retention_days is None and args.qr is None:
        raise UserError("give --enabled on|off, --folder DIR, --retention-days N and/or --qr on|off")
    low, high = RETENTION_DAYS
    if args.retention_days is not None and not low <= args.retention_days <= high:
        raise UserError(f"--retention-days must be between {low} and {high}")
    with _signed_in(args.as_login, "changing the hand-off settings") as (_settings, session, handoff):
        state = handoff.configure(session, enabled=None if args.enabled is None else args.enabled == "on",
                                  folder=args.folder, retention_days=args.retention_days,
                                  qr=None if args.qr is None else args.qr == "on")
    print(f"hand-off {'on' if state.enabled else 'off'}; folder {state.folder}; "
          f"retention {state.retention_days} day(s); QR codes {'on' if state.qr else 'off'}")
    return 0


@json_command
def cmd_pickup(args: argparse.Namespace) -> int:
    from dxdesk.outputfiles import refuse_protected

    with _signed_in(args.as_login, "picking up the hand-off records") as (_settings, session, handoff):
        refuse_protected(args.destination)
        try:
            moved = handoff.pickup(session, args.destination)
        except OSError as exc:
            from dxdesk.errors import FileAccessError

            raise FileAccessError(exc) from None
    if args.json:
        emit({"moved": [p.name for p in moved], "count": len(moved), "destination": args.destination})
    else:
        print(f"moved {len(moved)} file(s) to {args.destination}")
    return 0


def cmd_visit_export(args: argparse.Namespace) -> int:
    from dxdesk.outputfiles import OutputRefusedError, check_output
    from dxdesk.security.audit import AuditEntry, EventType, Result
    from dxdesk.timeutil import desk_tz

    if args.date_from > args.date_to:
        raise UserError(f"--from {args.date_from} is after --to {args.date_to}")
    if args.format == "csv" and args.out is None:
        raise UserError("--format csv writes one file per form: give --out DIR")
    if args.format == "json" and args.out is not None:
        try:
            check_output(args.out, args.force)
        except OutputRefusedError as exc:
            raise UserError(exc.msg.en) from None
    zone = desk_tz()
    start = datetime.combine(args.date_from, time(), zone)
    end = datetime.combine(args.date_to + timedelta(days=1), time(), zone)
    with _signed_in(args.as_login, "exporting visit records") as (_settings, session, handoff):
        records = handoff.stored(session, start, end)
        if args.format == "json":
            count = _export_json(records, args.out)
        else:
            count = _export_csv(records, args.out, args.force)
        handoff.audit.append(AuditEntry(EventType.EXPORT, session.clerk_id, Result.SUCCESS, details={
            "what": "visit_records", "format": args.format, "from": args.date_from.isoformat(),
            "to": args.date_to.isoformat(), "records": count}))
    print(f"exported {count} record(s)", file=sys.stderr)
    return 0


def _export_json(records: Iterator[Any], out: Path | None) -> int:
    documents = (r.document() for r in records)
    if out is None:
        return emit_items(documents, key="records")
    from dxdesk.outputfiles import private_file

    with private_file(out, encoding="utf-8") as fh:
        return emit_items(documents, key="records", stream=fh)


def _export_csv(records: Iterator[Any], folder: Path, force: bool) -> int:
    """One ``FORM_ID_vVERSION.csv`` per form type and version (the folder's columns), each owner-only and atomic."""
    from dxdesk.handoff.record import header_for
    from dxdesk.outputfiles import OutputRefusedError, check_output, private_file

    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    with contextlib.ExitStack() as stack:
        writers: dict[tuple[str, str], Any] = {}
        for record in records:
            key = (record.form_id, record.form_version)
            writer = writers.get(key)
            if writer is None:
                target = folder / f"{record.form_id}_v{record.form_version}.csv"
                try:
                    check_output(target, force)
                except OutputRefusedError as exc:
                    raise UserError(exc.msg.en) from None
                fh: IO[Any] = stack.enter_context(private_file(target, encoding="utf-8-sig"))
                writer = writers[key] = csv.writer(fh, lineterminator="\r\n")
                writer.writerow(header_for(record.fields))
            writer.writerow(record.csv_row())
            count += 1
    return count


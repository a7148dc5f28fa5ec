"""``dxdesk support ...``: log sessions, list them, import CSVs, print reports.

Storage is the local store (``dxdesk.store``) through :class:`SqlRepository`; when
the store package is missing (a trimmed build) every command that needs it says
so. ``report`` is the only command that writes files (the benchmark is
repository-only: ``python -m tools.bench support``).

Commands that read or change the log sign in first, like ``dxdesk account``/``audit``
(``--as LOGIN``, password asked with getpass), and go through
:class:`~dxdesk.support.service.SupportService`: the same role checks and audit
events as the window (supporters log and fix recent records, supervisors report and
export). Listing the topics needs no sign-in.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

from dxdesk.cli import UserError
from dxdesk.errors import as_dx_error
from dxdesk.clisession import add_as, require_login
from dxdesk.i18n import Msg
from dxdesk.jsonout import add_json_flag, emit, emit_items, json_command
from dxdesk.support.cliargs import parse_date as _date, parse_datetime as _datetime, parse_month as _month, session_count as _positive
from dxdesk.support.catalog import AGE_BANDS, DEVICES, OUTCOMES, VENUE_TYPES, Catalog, Topic, Venue
from dxdesk.support.model import SessionValidationError, SupportSession, local_now, new_session
from dxdesk.support.periods import fiscal_year_range, format_range_en, last_month, month_range
from dxdesk.support.repository import RepositoryError, SessionQuery, SupportRepository
from dxdesk.timeutil import local_today

if TYPE_CHECKING:
    from dxdesk.config import Settings
    from dxdesk.support.csvstream import Progress
    from dxdesk.support.service import SupportService


@contextlib.contextmanager
def open_repository() -> Iterator[SupportRepository]:
    """The desk's SQL repository (tests replace this function with an in-memory one)."""
    try:
        from dxdesk.store.database import open_database
        from dxdesk.store.errors import StoreError
        from dxdesk.support.sql_repository import SqlRepository
    except ModuleNotFoundError as exc:
        raise UserError(f"support-session storage is unavailable in this installation ({exc.name} missing)") from exc
    try:
        db = open_database()
    except StoreError as exc:
        raise UserError(str(exc)) from exc
    try:
        yield SqlRepository(db)
    finally:
        db.close()


@contextlib.contextmanager
def open_service(login: str | None, what: str) -> Iterator["SupportService"]:
    """The desk's support log as the account signing in with ``--as LOGIN`` (password asked with getpass).

    The same composition root and SupportService as the window: role checks, and audit events in
    the change's own transaction.
    """
    try:
        import dxdesk.store.database  # noqa: F401 - a trimmed build (supporter laptop) may lack storage
        from dxdesk.app.composition import AppServices
        from dxdesk.clisession import sign_in, user_errors
        from dxdesk.store.errors import StoreError
    except ModuleNotFoundError as exc:
        raise UserError(f"support-session storage is unavailable in this installation ({exc.name} missing)") from exc
    try:
        app = AppServices.open(settings=_settings(), with_card=False, with_sync=False, with_counter=False)
    except StoreError as exc:
        raise UserError(str(exc)) from exc
    try:
        with user_errors():
            session = sign_in(app.auth, login, what)
        yield app.support_service(session)
    finally:
        app.close()


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("support", help="digital-support session log: add, list, import, report")
    sub = p.add_subparsers(dest="support_command", metavar="ACTION", required=True)

    s = sub.add_parser("add", help="log one support session")
    s.add_argument("--topics", required=True, help="comma-separated topic codes (see 'support topics')")
    s.add_argument("--age", required=True, choices=AGE_BANDS, help="age band of the main attendee")
    s.add_argument("--device", required=True, choices=DEVICES)
    s.add_argument("--attendees", required=True, type=int)
    s.add_argument("--helpers", required=True, type=int, help="everyone supporting, lecturer included")
    s.add_argument("--duration", required=True, type=int, help="minutes")
    s.add_argument("--outcome", required=True, choices=OUTCOMES)
    s.add_argument("--venue", help="venue name (default: settings support.default_venue)")
    s.add_argument("--venue-type", choices=VENUE_TYPES, help="needed the first time a venue is used")
    s.add_argument("--at", type=_datetime, help="start time, ISO (default: now)")
    s.add_argument("--note", default="")
    s.add_argument("--helper-role", help="default: settings support.default_helper_role")
    s.add_argument("--repeat", action="store_true", help="the attendee has come before")
    s.add_argument("--follow-up", action="store_true", help="a follow-up is needed")
    s.add_argument("--by", default="", help="who logged it (default: the --as login)")
    add_as(s)
    s.set_defaults(func=cmd_add)

    s = sub.add_parser("list", help="list sessions (oldest first)")
    _add_filters(s)
    s.add_argument("--follow-ups", action="store_true", help="only open follow-ups")
    s.add_argument("--limit", type=_positive, metavar="N", help="at most N sessions (one page)")
    s.add_argument("--offset", type=_positive, default=0, metavar="N", help="skip the first N sessions (next pages)")
    add_as(s)
    add_json_flag(s)
    s.set_defaults(func=cmd_list)

    s = sub.add_parser("delete", help="delete a recent session (kept as deleted, out of reports)")
    s.add_argument("id")
    s.add_argument("--by", default="")
    add_as(s)
    s.set_defaults(func=cmd_delete)

    s = sub.add_parser("close-follow-up", help="mark a follow-up done (erases the contact)")
    s.add_argument("id")
    s.add_argument("--by", default="")
    add_as(s)
    s.set_defaults(func=cmd_close_follow_up)

    s = sub.add_parser("report", help="PDF report and/or CSV (+ _summary.csv) for a period")
    _add_filters(s, topic_outcome=False)
    s.add_argument("--fy", type=int, metavar="YEAR", help="fiscal year (April-March), e.g. 2026")
    s.add_argument("--month", type=_month, metavar="YYYY-MM")
    s.add_argument("--pdf", type=Path, metavar="OUT.pdf")
    s.add_argument("--csv", type=Path, metavar="OUT.csv", help="also writes OUT_summary.csv")
    s.add_argument("--classes-csv", type=Path, metavar="OUT.csv",
                   help="one row per class (講座・コマ: 2+ attendees) with the staffing check "
                        "(the PDF always has the per-class summary table)")
    s.add_argument("--english-headers", action="store_true", help="CSV headers in English")
    s.add_argument("--force", action="store_true", help="replace output files that already exist")
    add_as(s)
    add_json_flag(s)  # the KPIs themselves on stdout; --pdf/--csv become optional
    s.set_defaults(func=cmd_report)

    s = sub.add_parser("import", help="import sessions from a CSV (same format as the export)")
    s.add_argument("file", type=Path)
    s.add_argument("--all-or-nothing", action="store_true", help="import nothing if any row is invalid")
    s.add_argument("--by", default="")
    add_as(s)
    s.set_defaults(func=cmd_import)

    s = sub.add_parser("rebuild-totals", help="recompute the report's monthly totals from the sessions (repair)",
                       description="Reports on whole months read pre-computed monthly totals, kept up to date "
                                   "with every change; this recomputes them from the sessions in one pass.")
    add_as(s)
    s.set_defaults(func=cmd_rebuild_totals)

    s = sub.add_parser("topics", help="list topics; add or retire town topics")
    s.add_argument("--add", metavar="CODE", help="new topic code (a-z, 0-9, _)")
    s.add_argument("--ja", help="Japanese label for --add")
    s.add_argument("--en", help="English label for --add")
    s.add_argument("--retire", metavar="CODE", help="stop offering a topic (old records keep it)")
    add_as(s)
    s.set_defaults(func=cmd_topics)


def _add_filters(p: argparse.ArgumentParser, *, topic_outcome: bool = True) -> None:
    p.add_argument("--from", dest="date_from", type=_date, metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", type=_date, metavar="YYYY-MM-DD")
    p.add_argument("--venue")
    if topic_outcome:
        p.add_argument("--topic")
        p.add_argument("--outcome", choices=OUTCOMES)


def _settings() -> Settings:
    from dxdesk.config import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as exc:
        raise UserError(str(exc)) from exc


def _fail(exc: Exception) -> UserError:
    if isinstance(exc, SessionValidationError):
        return UserError(str(exc))  # every field problem on one line
    message = getattr(exc, "message", None)  # RepositoryError, PermissionDeniedError: bilingual Msg
    return UserError(message.en if isinstance(message, Msg) else str(exc))


def _refusals() -> tuple[type[Exception], ...]:
    """What a command turns into one English line: invalid data, repository refusals, role refusals."""
    from dxdesk.security.permissions import PermissionDeniedError

    return (SessionValidationError, RepositoryError, PermissionDeniedError)


def cmd_add(args: argparse.Namespace) -> int:
    settings = _settings()
    venue = (args.venue or settings.support.default_venue).strip()
    if not venue:
        raise UserError("give --venue (or set support.default_venue in the settings)")
    with open_service(args.as_login, "logging a session") as repo:
        by = args.by or repo.session.login
        try:
            catalog = repo.catalog()
        except _refusals() as exc:
            raise _fail(exc) from exc
        known = catalog.venue(venue)
        venue_type = args.venue_type or (known.venue_type if known else None)
        if venue_type is None:
            raise UserError(f"'{venue}' is a new venue: give --venue-type ({', '.join(VENUE_TYPES)})")
        try:
            session = new_session(
                started_at=args.at or local_now().replace(second=0, microsecond=0),
                venue=venue, venue_type=venue_type,
                topics=[t.strip() for t in args.topics.split(",") if t.strip()],
                device=args.device, age_band=args.age, attendees=args.attendees, helpers=args.helpers,
                duration_minutes=args.duration, outcome=args.outcome, catalog=catalog,
                note=args.note, helper_role=args.helper_role or settings.support.default_helper_role,
                repeat_visitor=args.repeat, follow_up_needed=args.follow_up, logged_by=by,
            )
            if known is None:
                repo.save_venue(Venue(venue, venue_type))
            repo.add(session, by=by)
        except _refusals() as exc:
            raise _fail(exc) from exc
    print(f"logged session {session.id} ({session.started_at:%Y-%m-%d %H:%M}, {venue})")
    _warn_about_note(args.note, synced=not settings.store.keep_support_notes_on_desk)
    return 0


def _warn_about_note(note: str, *, synced: bool) -> None:
    """The entry form's gentle warning, as one stderr line: the session is logged all the same."""
    from dxdesk.support.notecheck import note_warning

    warning = note_warning(note, synced=synced)
    if warning is not None:
        print(f"warning: {warning.en} (the session was logged)", file=sys.stderr)


def _query(args: argparse.Namespace) -> SessionQuery:
    if args.date_from and args.date_to and args.date_from > args.date_to:
        raise UserError(f"--from {args.date_from} is after --to {args.date_to}")
    return SessionQuery(date_from=args.date_from, date_to=args.date_to, venue=args.venue,
                        topic=getattr(args, "topic", None), outcome=getattr(args, "outcome", None))


def session_document(s: SupportSession) -> dict[str, object]:
    """``support list --json``: a session's figures, never its free-text note or follow-up contact."""
    return {"id": s.id, "started_at": s.started_at, "venue": s.venue, "venue_type": s.venue_type,
            "topics": list(s.topics), "device": s.device, "age_band": s.age_band, "attendees": s.attendees,
            "helpers": s.helpers, "duration_minutes": s.duration_minutes, "outcome": s.outcome,
            "follow_up_open": s.follow_up_open, "repeat_visitor": s.repeat_visitor,
            "other_desk": s.other_desk}


@json_command
def cmd_list(args: argparse.Namespace) -> int:
    query = _query(args)
    count = 0
    with open_service(args.as_login, "listing sessions") as repo:
        try:
            if args.follow_ups:
                due = [s for s in repo.follow_ups_due() if query.matches(s)]
                sessions: Iterable[SupportSession] = due[args.offset:][:args.limit]
            elif args.limit is not None or args.offset:
                sessions = repo.list(query, limit=args.limit, offset=args.offset)  # one page, paged in SQL
            else:
                sessions = repo.iter_sessions(query)  # streamed: the first line prints at once
            if args.json:
                emit_items(session_document(s) for s in sessions)
                return 0
            for s in sessions:
                count += 1
                flags = ("F" if s.follow_up_open else "-") + ("R" if s.repeat_visitor else "-")
                print(f"{s.started_at:%Y-%m-%d %H:%M}  {s.id}  {flags}  {s.venue} ({s.venue_type})  "
                      f"{','.join(s.topics)}  {s.attendees} att / {s.helpers} help  {s.duration_minutes} min  "
                      f"{s.outcome}")
        except _refusals() as exc:
            raise _fail(exc) from exc
    print(f"{count} session(s)", file=sys.stderr)
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    with open_service(args.as_login, "deleting a session") as repo:
        try:
            repo.delete(args.id, by=args.by or repo.session.login)
        except _refusals() as exc:
            raise _fail(exc) from exc
    print(f"deleted session {args.id}")
    return 0


def cmd_close_follow_up(args: argparse.Namespace) -> int:
    with open_service(args.as_login, "closing a follow-up") as repo:
        try:
            repo.close_follow_up(args.id, by=args.by or repo.session.login)
        except _refusals() as exc:
            raise _fail(exc) from exc
    print(f"follow-up of {args.id} closed; contact erased")
    return 0


def report_period(args: argparse.Namespace, today: date) -> tuple[date, date]:
    """--fy, --month or --from/--to (missing end = period edge); default last month."""
    chosen = [name for name, value in (("--fy", args.fy), ("--month", args.month)) if value is not None]
    if args.date_from or args.date_to:
        chosen.append("--from/--to")
    if len(chosen) > 1:
        raise UserError(f"choose one period: {' or '.join(chosen)}")
    if args.fy is not None:
        return fiscal_year_range(args.fy)
    if args.month is not None:
        return month_range(*args.month)
    if args.date_from or args.date_to:
        if not (args.date_from and args.date_to):
            raise UserError("give both --from and --to")
        if args.date_from > args.date_to:
            raise UserError(f"--from {args.date_from} is after --to {args.date_to}")
        return args.date_from, args.date_to
    return last_month(today)


@json_command
def cmd_report(args: argparse.Namespace) -> int:
    from dxdesk.support import kpi
    from dxdesk.support.classes import summary_document
    from dxdesk.support.report import ReportOptions

    written: list[Path] = []
    if not args.pdf and not args.csv and not args.classes_csv and not args.json:
        raise UserError("give --pdf OUT.pdf, --csv OUT.csv and/or --classes-csv OUT.csv")
    _check_outputs(args)
    period = report_period(args, local_today())
    settings = _settings()
    options = ReportOptions(period=period, municipality=settings.general.municipality, venue=args.venue)
    query = SessionQuery(date_from=period[0], date_to=period[1], venue=args.venue)
    with open_service(args.as_login, "writing a report") as repo:
        try:
            catalog = repo.catalog()
            # Summarised once, in the database; the PDF is drawn from the aggregates, the CSV streamed.
            scope = repo.scope(query)
            summary = kpi.summarize(scope)
            # The per-class (講座・コマ) summary: one more GROUP BY, for the PDF's table and --json.
            classes = repo.class_summary(query) if args.pdf or args.json else None
            if classes is not None:
                options = dataclasses.replace(options, classes=classes)
            if args.pdf:
                repo.write_report_pdf(args.pdf, summary, catalog, options)
                written.append(args.pdf)
                if not args.json:
                    print(f"wrote {args.pdf}")
            if args.csv:
                language = "en" if args.english_headers else "ja"
                # The stored scope writes its rows straight from SQL (dxdesk.support.sql_export).
                paths = repo.write_csv_pair(args.csv, scope, summary, catalog, language)
                written.extend(paths)
                if not args.json:
                    print("wrote " + " and ".join(str(p) for p in paths))
            if args.classes_csv:
                language = "en" if args.english_headers else "ja"
                written.append(repo.write_classes_csv(args.classes_csv, query, catalog, language))
                if not args.json:
                    print(f"wrote {args.classes_csv}")
        except _refusals() as exc:
            raise _fail(exc) from exc
        except OSError as exc:
            # A full disk, a missing folder, no permission: the shared sentence that names the cause.
            raise as_dx_error(exc) or UserError(f"cannot write the report: {exc.strerror or exc}") from exc
    if args.json:
        emit({"from": period[0], "to": period[1], "venue": args.venue, "summary": summary,
              "classes": summary_document(classes) if classes is not None else None, "written": written})
        return 0
    print(f"{summary.sessions} session(s), {format_range_en(period)}", file=sys.stderr)
    return 0


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse the database, keys, settings and (without --force) existing files before signing in."""
    from dxdesk.outputfiles import OutputRefusedError, check_output
    from dxdesk.support.csvio import summary_path_for

    outputs = [args.pdf] if args.pdf else []
    if args.csv:
        outputs += [args.csv, summary_path_for(args.csv)]
    if args.classes_csv:
        outputs.append(args.classes_csv)
    try:
        for out in outputs:
            check_output(out, args.force)
    except OutputRefusedError as exc:
        raise UserError(exc.msg.en) from None


def cmd_import(args: argparse.Namespace) -> int:
    from dxdesk.support.csv_import import ImportFileError, check_import_file, import_csv

    what = "importing sessions"
    require_login(args.as_login, what)
    try:  # a mistyped name or a file in another format is refused before the password is asked
        checked = check_import_file(args.file)
    except ImportFileError as exc:
        raise UserError(f"{args.file}: {exc.message.en}") from exc
    progress = _ProgressLine()
    with open_service(args.as_login, what) as repo:
        try:
            result = import_csv(checked, repo, all_or_nothing=args.all_or_nothing, by=args.by or repo.session.login,
                                progress=progress)
        except ImportFileError as exc:
            raise UserError(f"{args.file}: {exc.message.en}") from exc
        except _refusals() as exc:
            raise _fail(exc) from exc
        finally:
            progress.end()
    for warning in result.warnings:
        print(f"{args.file}: warning: {warning}", file=sys.stderr)
    for error in result.errors:
        print(f"{args.file}: {error}", file=sys.stderr)
    if result.aborted:
        print(f"nothing imported: {len(result.errors)} error(s) in {result.rows} row(s) (--all-or-nothing)")
        return 1
    summary = (f"{len(result.imported)} imported, {len(result.already_present)} already present, "
               f"{len(result.errors)} error(s)")
    if result.stopped:
        # The batches before the failure are committed (and audited): never report them as lost.
        print(f"import stopped after {result.rows} row(s): {summary}; the imported rows are saved. "
              f"Reason: {result.stopped}. Run the same import again to continue (stored rows are skipped).")
        return 1
    print(f"{result.rows} row(s): {summary}")
    return 1 if result.errors else 0


class _ProgressLine:
    """One updating stderr line while a long import runs (rows, rows/s, ETA); silent for short imports."""

    def __init__(self) -> None:
        self._shown = False

    def __call__(self, p: "Progress") -> None:
        if p.elapsed < 1.0 and not self._shown:
            return
        eta = "" if p.eta_seconds is None else f", about {p.eta_seconds:.0f} s left"
        done = "" if p.done_fraction is None else f" ({p.done_fraction:.0%})"
        print(f"\r{p.rows:,} rows read{done}, {p.imported:,} imported, {p.rows_per_second:,.0f} rows/s{eta}   ",
              end="", file=sys.stderr, flush=True)
        self._shown = True

    def end(self) -> None:
        if self._shown:
            print(file=sys.stderr)


def cmd_rebuild_totals(args: argparse.Namespace) -> int:
    with open_service(args.as_login, "rebuilding the report totals") as repo:
        try:
            rows = repo.rebuild_totals()
        except _refusals() as exc:
            raise _fail(exc) from exc
    print(f"monthly totals rebuilt: {rows} row(s)")
    return 0


def cmd_topics(args: argparse.Namespace) -> int:
    if not (args.add or args.retire):  # the topic list is reference data: no sign-in to read it
        with open_repository() as plain:
            _print_topics(plain.catalog())
        return 0
    with open_service(args.as_login, "changing topics") as repo:
        try:
            if args.add:
                if not args.ja or not args.en:
                    raise UserError("--add needs --ja and --en labels")
                repo.save_topic(Topic(args.add, args.ja, args.en))
            if args.retire:
                topic = repo.catalog().topic(args.retire)
                if topic is None:
                    raise UserError(f"unknown topic '{args.retire}'")
                repo.save_topic(dataclasses.replace(topic, active=False))
        except _refusals() as exc:
            raise _fail(exc) from exc
        catalog = repo.catalog()
    _print_topics(catalog)
    return 0


def _print_topics(catalog: "Catalog") -> None:
    for t in catalog.sorted_topics():
        tag = "national" if t.national else "town"
        print(f"{t.code:<20} {t.label_ja}  /  {t.label_en}  [{tag}{'' if t.active else ', retired'}]")

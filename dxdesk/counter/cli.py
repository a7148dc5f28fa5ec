"""``dxdesk procedures list|check`` and ``dxdesk visit pending``: argument parsing and output.

The catalogue commands read the shipped and town procedure files; ``visit pending`` lists
the journal through the application layer (:func:`dxdesk.app.visits.pending_visits`).
Visits themselves are run in the window (dxdesk.app.visits.CounterVisits).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from dxdesk.cli import UserError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    procedures = subparsers.add_parser("procedures", help="the counter's procedures catalogue")
    psub = procedures.add_subparsers(dest="procedures_command", metavar="ACTION", required=True)
    p_list = psub.add_parser("list", help="list the procedures, their counters and forms")
    p_list.add_argument("--lang", choices=("ja", "en"), default="en")
    p_list.add_argument("--json", action="store_true", help="machine-readable output")
    p_list.set_defaults(func=_procedures_list)
    p_check = psub.add_parser("check", help="validate the catalogue (shipped files and the town's overrides)")
    p_check.add_argument(
        "dirs", nargs="*", type=Path,
        help="override folders to check on top of the shipped catalogue (default: the town folder in the data dir)",
    )
    p_check.set_defaults(func=_procedures_check)

    visit = subparsers.add_parser("visit", help="counter visits")
    vsub = visit.add_subparsers(dest="visit_command", metavar="ACTION", required=True)
    v_pending = vsub.add_parser("pending", help="list unfinished visits kept in the journal")
    v_pending.add_argument("--json", action="store_true", help="machine-readable output")
    v_pending.set_defaults(func=_visit_pending)
    from dxdesk.handoff.cli import add_visit_export  # the hand-off's bulk export: `dxdesk visit export`

    add_visit_export(vsub)


def _procedures_list(args: argparse.Namespace) -> int:
    from .catalogue import CatalogueError, load_catalogue

    try:
        catalogue = load_catalogue()
    except CatalogueError as exc:
        raise UserError(f"{exc}\nRun 'dxdesk procedures check' for details.") from None
    if args.json:
        rows = [
            {
                "id": p.id, "name": {"ja": p.name.ja, "en": p.name.en},
                "counter": {"id": p.counter.id, "ja": p.counter.name.ja, "en": p.counter.name.en},
                "forms": list(p.forms), "requires_my_number": p.requires_my_number,
                "questions": [q.id for q in p.questions], "follow_ons": [f.id for f in p.follow_ons],
                "file": p.source_file,
            }
            for p in catalogue
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for p in catalogue:
        my_number = "  [My Number]" if p.requires_my_number else ""
        print(f"{p.id:20} {p.name.text(args.lang)}{my_number}")
        print(f"{'':20}   counter: {p.counter.name.text(args.lang)}")
        print(f"{'':20}   forms: {', '.join(p.forms) or '-'}   questions: {len(p.questions)}")
        if p.follow_ons:
            print(f"{'':20}   follow-ons: {', '.join(f.id for f in p.follow_ons)}")
    return 0


def _procedures_check(args: argparse.Namespace) -> int:
    from dxdesk.resources import resource_path

    from .catalogue import check_catalogue, default_catalogue_dirs
    from .formcheck import check_form_maps

    # A town checks its override folder together with the shipped files it refers to.
    dirs = [resource_path("procedures"), *args.dirs] if args.dirs else default_catalogue_dirs()
    for d in args.dirs:
        if not d.is_dir():
            raise UserError(f"not a folder: {d}")
    catalogue, issues = check_catalogue(dirs)
    # The valid procedures against the form templates they print (town templates included).
    issues = [*issues, *check_form_maps(catalogue)]
    for issue in issues:
        print(issue)
    errors = [i for i in issues if not i.warning]
    warnings = len(issues) - len(errors)
    checked = ", ".join(str(d) for d in dirs if d.is_dir())
    noted = f", {warnings} warning(s)" if warnings else ""
    if errors:
        print(f"{len(errors)} problem(s){noted}; {len(catalogue)} procedure(s) loaded (checked: {checked})")
        return 1
    print(f"OK: {len(catalogue)} procedure(s){noted} (checked: {checked})")
    return 0


def _visit_pending(args: argparse.Namespace) -> int:
    from dxdesk.app.visits import pending_visits

    from .journal import VisitJournal

    journal = VisitJournal()  # listing reads only the plaintext header: no key needed
    pending = pending_visits(journal)
    if args.json:
        rows = [
            {
                "visit_id": p.visit_id, "clerk_id": p.clerk_id, "desk_id": p.desk_id, "step": p.step.value,
                "suspended": p.suspended, "procedures": list(p.procedures),
                "started_at": p.started_at.isoformat(), "saved_at": p.saved_at.isoformat(),
            }
            for p in pending
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not pending:
        print(f"No unfinished visits in {journal.directory}")
        return 0
    for p in pending:
        state = "suspended" if p.suspended else "open"
        print(
            f"{p.visit_id}  {p.step.value:9} {state:9} clerk={p.clerk_id} desk={p.desk_id} "
            f"started={p.started_at:%Y-%m-%d %H:%M} saved={p.saved_at:%H:%M} procedures={','.join(p.procedures) or '-'}"
        )
    return 0

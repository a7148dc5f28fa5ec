"""``python -m tools.bench WHAT``: the command line of the benchmarks (docs/performance.md).

Wrong arguments get one English line and exit code 2, never a traceback.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dxdesk.store.benchsynccli import positive_int as _positive


class BenchUsageError(Exception):
    """Arguments the benchmark cannot run with; printed as one line."""


def _startup(args: argparse.Namespace) -> int:
    from tools.bench.startup import bench_startup

    r = bench_startup(args.runs, existing_home=args.existing_home)
    print(f"startup ({'existing home' if args.existing_home else 'fresh home'}): first window painted in mean {r['mean_s']:.2f} s (min {r['min_s']:.2f}, max {r['max_s']:.2f}, "
          f"{r['runs']:.0f} cold runs, QT_QPA_PLATFORM={os.environ.get('QT_QPA_PLATFORM', 'offscreen')})")
    return 0


def _card(args: argparse.Namespace) -> int:
    from tools.bench.card import bench_card_read

    if args.opensc and not args.pcsc:
        raise BenchUsageError("--opensc needs --pcsc (pkcs15-tool reads the simulated card through pcscd)")
    bench_card_read(args.n, pcsc=args.pcsc, opensc=args.opensc)
    return 0


def _identity(args: argparse.Namespace) -> int:
    from tools.bench.identity import bench_identity

    return bench_identity(args.n)


def _form(args: argparse.Namespace) -> int:
    from dxdesk.forms import TemplateError
    from tools.bench.form import bench_form_fill

    try:
        mean = bench_form_fill(args.n, args.form)
    except TemplateError as exc:
        raise BenchUsageError(str(exc)) from None
    print(f"form fill ({args.form}): {mean:.1f} ms mean over {args.n}")
    return 0


def _support(args: argparse.Namespace) -> int:
    from tools.bench.support import bench_report

    for line in bench_report(args.n).lines():
        print(line)
    return 0


def _print(args: argparse.Namespace) -> int:
    import platform

    from tools.bench.printing import bench_print

    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    try:
        timings = bench_print(args.dpi, tuple(args.path), args.compare_whole_page)
    except RuntimeError as exc:
        raise BenchUsageError(str(exc)) from None
    print(f"{'path':<8} {'time':>10} {'peak RSS':>12}  3-form visit from 印刷 to the last page handed over")
    for t in timings:
        print(t.line())
    return 0


def _support_store(args: argparse.Namespace) -> int:
    import platform

    from tools.bench.support_store import bench_support_store

    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    timings = bench_support_store(args.n, import_rows=args.import_rows, repeats=args.repeats, home=args.home,
                                  only=args.only)
    if not timings:
        print(f"no timed command's name contains {args.only!r}", file=sys.stderr)
        return 2
    print(f"{'what':<58} {'time':>10} {'peak RSS':>11} {'CPU':>12}")
    for t in timings:
        print(t.line())
    return 0 if all(t.exit_code == 0 for t in timings) else 1


def _audit(args: argparse.Namespace) -> int:
    import platform

    from tools.bench.audit import bench_audit

    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    timings = bench_audit(args.n, single=args.single, home=args.home)
    print(f"{'what':<58} {'time':>10} {'peak RSS':>11} {'CPU':>12}")
    for t in timings:
        print(t.line())
    return 0 if all(t.exit_code == 0 for t in timings) else 1


def _sync(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import DBAPIError

    from dxdesk.config import load_settings
    from dxdesk.paths import app_paths
    from dxdesk.store.errors import StoreError
    from dxdesk.store.server import ServerConfigError, parse_server_url
    from tools.bench.sync import run_sync_bench
    from tools.pgcluster import PgClusterError, pg_binaries_available

    if args.server is None and not pg_binaries_available():
        raise BenchUsageError("no PostgreSQL server binaries (initdb, pg_ctl) found; "
                              "install postgresql or use --server URL")
    if args.server is not None:
        try:
            parse_server_url(args.server)
        except ServerConfigError as exc:
            raise BenchUsageError(str(exc)) from None
    batch = args.batch_size or load_settings(app_paths()).store.sync_batch_size
    try:
        result = run_sync_bench(args.sessions, args.visits, args.steps, batch, args.server,
                                insecure_no_tls=args.insecure_no_tls)
    except (PgClusterError, StoreError) as exc:
        raise BenchUsageError(f"sync bench failed: {str(exc).splitlines()[0]}") from None
    except DBAPIError as exc:  # e.g. --server unreachable, or no right to create databases there
        raise BenchUsageError(f"sync bench failed on the server: {str(exc.orig).splitlines()[0]}") from None
    ok = (result.server_rows_after_resume == result.entries
          and result.resume_sent == result.entries - result.confirmed_before
          and result.noop_pulled == 0)
    print(f"summary: full {result.full_s:.2f} s, resumed {result.resume_s:.2f} s, "
          f"first pull {result.pull_s:.2f} s, no-op sync {result.noop_s:.3f} s; "
          f"resume {'sent only the missing part' if ok else 'DID NOT CONVERGE'}")
    return 0 if ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools.bench",
                                     description="dxdesk performance numbers (docs/performance.md)")
    sub = parser.add_subparsers(dest="what", metavar="WHAT", required=True)

    p = sub.add_parser("startup", help="cold start of `python -m dxdesk` until its first window is painted")
    p.add_argument("--runs", type=_positive, default=5)
    p.add_argument("--existing-home", action="store_true",
                   help="start one home once and give it an administrator, then time the daily start "
                        "(schema current, the sign-in dialog first)")
    p.set_defaults(func=_startup)

    p = sub.add_parser("card", help="time basic-4 reads in-process and through pcscd+vpcd")
    p.add_argument("--n", "-n", type=_positive, default=50, help="reads per measurement (default 50)")
    p.add_argument("--pcsc", action="store_true", help="also measure through pcscd + vpcd (needs both)")
    p.add_argument("--opensc", action="store_true",
                   help="with --pcsc: also time `pkcs15-tool --read-certificate 1` (OpenSC) on the same card")
    p.set_defaults(func=_card)

    p = sub.add_parser("identity", help="the identify step's extra reads (photo, expiry, certificate) via pcscd+vpcd")
    p.add_argument("--n", "-n", type=_positive, default=20, help="runs (default 20)")
    p.set_defaults(func=_identity)

    p = sub.add_parser("form", help="mean milliseconds per form fill")
    p.add_argument("-n", type=_positive, default=50)
    p.add_argument("--form", default="juminhyo_request")
    p.set_defaults(func=_form)

    p = sub.add_parser("print", help="3-form visit from 印刷 to the spooler: CUPS vector and Qt banded raster")
    p.add_argument("--dpi", type=_positive, default=600, help="raster path resolution (default 600)")
    p.add_argument("--path", choices=("cups", "raster"), action="append", default=None,
                   help="measure only this path (repeatable; default both)")
    p.add_argument("--compare-whole-page", action="store_true",
                   help="also time the raster path with one band per page (memory comparison)")
    p.set_defaults(func=_print, path=None)

    p = sub.add_parser("support", help="time KPIs + PDF + CSV for N synthetic support sessions")
    p.add_argument("-n", type=_positive, default=10_000)
    p.set_defaults(func=_support)

    p = sub.add_parser("support-store", help="fill a real desk database and time the support CLI commands",
                       description="Fills a temporary desk (never yours) to N sessions through the product's "
                                   "repository, then times whole dxdesk processes: report, add, list, import, "
                                   "audit verify (median of --repeats where repeatable).")
    p.add_argument("-n", type=_positive, default=100_000, help="sessions in the database (default 100000)")
    p.add_argument("--import-rows", type=_positive, default=100_000, help="rows in the imported CSV")
    p.add_argument("--repeats", type=_positive, default=3)
    p.add_argument("--home", type=Path, metavar="DIR",
                   help="keep the filled desk in DIR and reuse it on the next run (the 1,000,000 fill takes minutes)")
    p.add_argument("--only", metavar="TEXT",
                   help="time only the repeated commands whose name contains TEXT (e.g. '--pdf (no CSV'); "
                        "skips the first report, the imports and audit verify")
    p.set_defaults(func=_support_store)

    p = sub.add_parser("audit", help="fill a temp desk with N audit events; time append and audit verify",
                       description="Appends N events to a temporary desk (never yours) through the product's "
                                   "append path, then times whole `dxdesk audit verify` processes: --full, "
                                   "routine (from the checkpoint), and routine after --single more events.")
    p.add_argument("-n", type=_positive, default=100_000, help="events in the log (default 100000)")
    p.add_argument("--single", type=_positive, default=1_000,
                   help="events then appended one transaction each (default 1000)")
    p.add_argument("--home", type=Path, metavar="DIR",
                   help="keep the filled desk in DIR and reuse it on the next run (the 1,000,000 fill takes minutes)")
    p.set_defaults(func=_audit)

    p = sub.add_parser(
        "sync", help="fill a temp desk, time a full sync and a resumed (interrupted) sync",
        description="Fills a temporary desk database (never yours) and syncs it to scratch databases on a "
                    "throw-away local PostgreSQL cluster (needs the PostgreSQL server binaries), or on --server.")
    p.add_argument("--sessions", type=_positive, default=10_000, help="support sessions (default 10000)")
    p.add_argument("--visits", type=_positive, default=10_000, help="visits (default 10000)")
    p.add_argument("--steps", type=_positive, default=3, help="steps per visit (default 3)")
    p.add_argument("--batch-size", type=_positive, default=None, help="outbox entries per batch (default: setting)")
    p.add_argument("--server", metavar="URL", default=None,
                   help="existing server where you may create databases (e.g. postgresql://bench@host/postgres; "
                        "password from PGPASSWORD or ~/.pgpass); two scratch databases are created there and "
                        "dropped afterwards")
    p.add_argument("--insecure-no-tls", action="store_true",
                   help="with --server: plaintext, for a lab server (default: TLS as dxdesk db set-server configured)")
    p.set_defaults(func=_sync)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "what", None) == "print" and not args.path:
        args.path = ["cups", "raster"]
    try:
        code: int = args.func(args)
    except BenchUsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())

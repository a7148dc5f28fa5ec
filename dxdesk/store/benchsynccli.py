"""``dxdesk db bench-sync``: the sync benchmark of docs/performance.md, under the name issue #13 gives it.

The benchmark itself lives in the repository's ``tools/bench`` (it needs a throw-away
PostgreSQL cluster and fills a temporary desk, so it is not shipped in the installed or
frozen build: issue #19). The command is therefore registered only when dxdesk runs from a
source checkout that has ``tools/bench`` (``uv run dxdesk ...``); an installed or frozen
build neither offers nor advertises it. It never touches the desk's own database or settings.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import dxdesk
from dxdesk.cli import UserError


def positive_int(value: str) -> int:
    """An argparse type: a whole number of at least 1 (also the benchmarks' in tools/bench)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def register_bench_sync(dbsub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    if repository_root() is None:
        return  # an installed or frozen build: no benchmark to offer (tests/foundation/test_shipped.py)
    p = dbsub.add_parser(
        "bench-sync", help="benchmark (source checkout only): fill a temporary desk and time a full, a resumed "
                           "and a no-op sync; never touches this desk's data",
        description="Same as `python -m tools.bench sync` (docs/performance.md). Fills a temporary desk database "
                    "and syncs it to scratch databases on a throw-away local PostgreSQL cluster, or on --server. "
                    "The issue's figure: --sessions 100000 --visits 100000.")
    p.add_argument("--sessions", type=positive_int, default=10_000, help="support sessions (default 10000)")
    p.add_argument("--visits", type=positive_int, default=10_000, help="visits (default 10000)")
    p.add_argument("--steps", type=positive_int, default=3, help="steps per visit (default 3)")
    p.add_argument("--batch-size", type=positive_int, default=None, help="outbox entries per batch (default: setting)")
    p.add_argument("--server", metavar="URL", default=None,
                   help="existing server where you may create databases; two scratch databases are created "
                        "there and dropped afterwards (default: a throw-away local cluster)")
    p.add_argument("--insecure-no-tls", action="store_true", help="with --server: plaintext, for a lab server")
    p.set_defaults(func=_bench_sync)


def repository_root() -> Path | None:
    """The checkout dxdesk runs from, if it has the benchmarks (an editable install or ``uv run``)."""
    root = Path(dxdesk.__file__).resolve().parent.parent
    return root if (root / "tools" / "bench" / "sync.py").is_file() else None


def _bench_sync(args: argparse.Namespace) -> int:
    root = repository_root()
    if root is None:  # registered only in a checkout; a moved or trimmed one ends up here
        raise UserError("the sync benchmark ships with the source checkout, not with an installed build: "
                        "run `uv run dxdesk db bench-sync` in a clone of the dxdesk repository")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    # The only place the package reaches into tools/: reached only from a checkout (see above).
    from tools.bench.__main__ import main as bench_main

    argv = ["sync", "--sessions", str(args.sessions), "--visits", str(args.visits), "--steps", str(args.steps)]
    if args.batch_size is not None:
        argv += ["--batch-size", str(args.batch_size)]
    if args.server is not None:
        argv += ["--server", args.server]
    if args.insecure_no_tls:
        argv.append("--insecure-no-tls")
    return bench_main(argv)

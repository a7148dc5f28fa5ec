"""The support log through the product's stored path, at 100,000 or 1,000,000 sessions
(``python -m tools.bench support-store -n 100000``).

A throw-away ``DXDESK_HOME`` gets a real desk database, filled through
:class:`~dxdesk.support.sql_repository.SqlRepository` (the repository the CLI uses),
plus signed-in accounts as a town has them. Then each measured command runs as a whole
``dxdesk`` process (``python -c`` calling ``dxdesk.cli.main``, only ``getpass``
answered), so the time includes start-up, sign-in and the command, and the peak memory
(``VmHWM``, noted by the process itself) is that command's own. Timings are printed, never
asserted.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tools.bench.support import _VENUES, synthetic_sessions

try:
    import resource  # the children's CPU time (Unix)
except ImportError:  # Windows: wall time and memory only
    resource = None  # type: ignore[assignment]

PASSWORD = "bench password 9"
FILL_BATCH = 5_000
# The child notes its own peak RSS (VmHWM): ru_maxrss from wait4 would include the bench's own
# memory copied at fork time.
_RUNNER = (
    "import getpass, os, sys\n"
    "getpass.getpass = lambda prompt='': os.environ['DXDESK_BENCH_PASSWORD']\n"
    "from dxdesk.cli import main\n"
    "try:\n"
    "    code = main(sys.argv[1:])\n"
    "finally:\n"
    "    with open('/proc/self/status') as status:\n"
    "        peak = next((line.split()[1] for line in status if line.startswith('VmHWM')), '0')\n"
    "    with open(os.environ['DXDESK_BENCH_RSS'], 'w') as out:\n"
    "        out.write(peak)\n"
    "sys.exit(code)\n"
)
ADD = ["support", "add", "--topics", "etax", "--age", "75-79", "--device", "android", "--attendees", "1",
       "--helpers", "1", "--duration", "20", "--outcome", "resolved", "--venue", "中央公民館", "--as", "vol"]


@dataclass(frozen=True)
class Timing:
    what: str
    seconds: float
    max_rss_mb: float
    exit_code: int
    cpu_seconds: float | None = None  # the process's own CPU time (user + system): steadier than wall on a shared machine

    def line(self) -> str:
        flag = "" if self.exit_code == 0 else f"  (exit {self.exit_code})"
        cpu = "" if self.cpu_seconds is None else f" {self.cpu_seconds:8.2f} s CPU"
        return f"{self.what:<58} {self.seconds:8.2f} s {self.max_rss_mb:8.0f} MB{cpu}{flag}"


def prepare_desk(home: Path) -> None:
    """Accounts as a town sets them up: an administrator, a supervisor (boss) and a supporter (vol)."""
    from dxdesk.config import load_settings
    from dxdesk.security.audit import AuditLog
    from dxdesk.security.auth import AuthService
    from dxdesk.security.permissions import Role
    from dxdesk.store.database import open_database

    issued = "issued pass 7"
    db = open_database()
    try:
        auth = AuthService(db, AuditLog(db), load_settings().security)
        admin = auth.create_first_admin("admin", "管理者", PASSWORD)
        for login, role in (("boss", Role.SUPERVISOR), ("vol", Role.SUPPORTER)):
            auth.create_account(admin, login, login, role, issued)
            first = auth.sign_in(login, issued)
            auth.change_password(first, issued, PASSWORD)
    finally:
        db.close()


def fill(n_sessions: int, *, seed: int = 0) -> float:
    """Store ``n_sessions`` synthetic sessions through SqlRepository.add_many; returns seconds."""
    from dxdesk.store.database import open_database
    from dxdesk.support.catalog import Venue
    from dxdesk.support.sql_repository import SqlRepository

    db = open_database()
    try:
        repo = SqlRepository(db)
        for name, venue_type in _VENUES:  # the town's venue list, as the venue screen keeps it
            repo.save_venue(Venue(name, venue_type))
        started = time.perf_counter()
        done = 0
        while done < n_sessions:
            size = min(FILL_BATCH, n_sessions - done)
            repo.add_many(synthetic_sessions(size, seed=seed + done), by="bench")
            done += size
            print(f"\rfilled {done:,} / {n_sessions:,}", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        return time.perf_counter() - started
    finally:
        db.close()


def run_cli(what: str, argv: list[str], env: dict[str, str]) -> Timing:
    """One whole dxdesk process; its wall time and its own peak memory."""
    with tempfile.NamedTemporaryFile(prefix="dxdesk-bench-rss-") as rss:
        before = resource.getrusage(resource.RUSAGE_CHILDREN) if resource else None
        started = time.perf_counter()
        code = subprocess.call([sys.executable, "-c", _RUNNER, *argv], env=dict(env, DXDESK_BENCH_RSS=rss.name),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN) if resource else None  # + the child waited for
        peak_kb = int(Path(rss.name).read_text() or 0)
    cpu = None if before is None or after is None else (
        (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime))
    return Timing(what, elapsed, peak_kb / 1024, code, cpu)


def write_import_file(path: Path, n_rows: int, seed: int) -> None:
    from dxdesk.support.catalog import Catalog
    from dxdesk.support.csvio import write_sessions_csv

    write_sessions_csv(path, synthetic_sessions(n_rows, seed=seed), Catalog.seeded())


def bench_support_store(n_sessions: int, *, import_rows: int = 100_000, repeats: int = 3,
                        home: Path | None = None, only: str | None = None) -> list[Timing]:
    """Fill a desk to ``n_sessions`` and time report, add, list, import and audit verify (median of ``repeats``).

    ``home``: keep the desk there; a desk already filled there by an earlier run is reused (no fill),
    so the slow 1,000,000-row fill is paid once and each change can be measured against it.
    ``only``: time just the repeated commands whose name contains it (one figure re-measured in minutes,
    without the imports that would also grow the desk)."""
    with tempfile.TemporaryDirectory(prefix="dxdesk-bench-") as tmp:
        root = Path(home or tmp)
        env = dict(os.environ, DXDESK_HOME=str(root / "home"), DXDESK_BENCH_PASSWORD=PASSWORD)
        # As a town PC runs it: bytecode cached (the figures were). A shell with
        # PYTHONDONTWRITEBYTECODE=1 would otherwise compile every imported module in every
        # process (5 s of each command at load 6); the cache goes outside the source tree.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.setdefault("PYTHONPYCACHEPREFIX", str(Path(tempfile.gettempdir()) / "dxdesk-bench-pycache"))
        import_file = root / "import.csv"
        reuse = home is not None and import_file.exists()
        saved = os.environ.get("DXDESK_HOME")
        os.environ["DXDESK_HOME"] = env["DXDESK_HOME"]
        try:
            if not reuse:
                prepare_desk(root)
                fill_seconds = fill(n_sessions)
                write_import_file(import_file, import_rows, seed=10**9)
        finally:
            if saved is None:
                os.environ.pop("DXDESK_HOME", None)
            else:
                os.environ["DXDESK_HOME"] = saved
        timings = [] if reuse else [Timing(f"fill {n_sessions:,} sessions (SqlRepository.add_many)", fill_seconds,
                                           0.0, 0)]
        for warm_up in (["--version"], ["support", "list", "--limit", "1", "--as", "boss"],
                        ["support", "report", "--month", "2026-04", "--pdf", str(root / "w.pdf"), "--force",
                         "--as", "boss"]):  # fills the bytecode cache; not timed
            run_cli("warm-up", warm_up, env)
        # The first report after an upgrade builds the monthly totals once (migration 0008); time it alone.
        if only is None:
            timings.append(run_cli("support report (first: builds the monthly totals if missing)",
                                   ["support", "report", "--fy", "2026", "--pdf", str(root / "r0.pdf"), "--force",
                                    "--as", "boss"], env))
        commands = [
            ("dxdesk --version", ["--version"]),
            ("support report --fy 2026 --pdf --csv",
             ["support", "report", "--fy", "2026", "--pdf", str(root / "r.pdf"), "--csv", str(root / "r.csv"),
              "--force", "--as", "boss"]),
            ("support report --fy 2026 --pdf (no CSV of every row)",
             ["support", "report", "--fy", "2026", "--pdf", str(root / "r.pdf"), "--force", "--as", "boss"]),
            ("support add (one session)", ADD),
            ("support list --from 2026-11-01 --to 2026-11-30 --topic etax",
             ["support", "list", "--from", "2026-11-01", "--to", "2026-11-30", "--topic", "etax", "--as", "boss"]),
            ("support list ... --limit 50 (one page)",
             ["support", "list", "--from", "2026-11-01", "--to", "2026-11-30", "--topic", "etax", "--limit", "50",
              "--as", "boss"]),
        ]
        for what, argv in commands:
            if only is not None and only not in what:
                continue
            runs = [run_cli(what, argv, env) for _ in range(repeats)]
            runs.sort(key=lambda t: t.seconds)
            timings.append(runs[len(runs) // 2])
        if only is not None:
            return timings
        timings.append(run_cli(f"support import {import_rows:,} rows (new)",
                               ["support", "import", str(import_file), "--as", "vol"], env))
        timings.append(run_cli(f"support import {import_rows:,} rows again (all present)",
                               ["support", "import", str(import_file), "--as", "vol"], env))
        timings.append(run_cli("audit verify", ["audit", "verify", "--as", "boss"], env))
        return timings

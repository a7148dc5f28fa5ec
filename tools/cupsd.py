"""A private CUPS scheduler with a CUPS-PDF queue, for the print tests and the print benchmark.

Never used by the app itself. Everything lives in a temp directory: configuration, spool,
logs, and the scheduler listens only on a Unix domain socket there (``CUPS_SERVER`` points
``lp``/``lpstat``/``lpadmin`` at it), so the machine's own CUPS (if any) is not touched.

Two things need root: the cups-pdf backend is installed 0700 root (CUPS runs backends with
that mode as root), and cups-pdf reads its configuration only from /etc/cups. Its
per-queue file ``/etc/cups/cups-pdf-QUEUE.conf`` (QUEUE unique to this scheduler) sends the
captured PDFs to our ``out`` directory; the file is removed when the scheduler stops.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import secrets
import string
from collections.abc import Callable
from pathlib import Path

CUPSD = shutil.which("cupsd", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
CUPS_PDF_BACKEND = Path("/usr/lib/cups/backend/cups-pdf")
CUPS_PDF_PPD = Path("/usr/share/ppd/cups-pdf/CUPS-PDF_noopt.ppd")
CUPS_PDF_CONF_DIR = Path("/etc/cups")


class CupsdError(RuntimeError):
    """The scheduler did not start or a job did not come out (message includes the log)."""


def missing_reason() -> str | None:
    """Why a private CUPS-PDF scheduler cannot run here, or None when it can."""
    if CUPSD is None:
        return "cupsd is not installed (Debian: cups-daemon; scripts/bootstrap.sh installs it)"
    if not CUPS_PDF_BACKEND.exists() or not CUPS_PDF_PPD.exists():
        return "the CUPS-PDF driver is not installed (Debian: printer-driver-cups-pdf)"
    if shutil.which("lp") is None or shutil.which("lpadmin") is None:
        return "the CUPS client tools are not installed (Debian: cups-client)"
    if os.geteuid() != 0:
        return "the cups-pdf backend runs only under a root scheduler (run the tests as root, as CI does)"
    return None


CUPSD_CONF = """\
Listen {sock}
LogLevel info
WebInterface No
Browsing No
DefaultAuthType None
<Location />
  Order allow,deny
  Allow all
</Location>
<Location /admin>
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order allow,deny
    Allow all
  </Limit>
</Policy>
"""

FILES_CONF = """\
ServerRoot {base}/conf
RequestRoot {base}/spool
TempDir {base}/spool/tmp
CacheDir {base}/cache
StateDir {base}/state
AccessLog {base}/log/access_log
ErrorLog {base}/log/error_log
PageLog {base}/log/page_log
FileDevice No
Sandboxing Relaxed
User lp
Group lp
SystemGroup root
"""

CUPS_PDF_CONF = """\
Out {base}/out
AnonDirName {base}/out
Spool {base}/cpspool
Log {base}/log
Label 0
TitlePref 0
Grp root
"""


def _libcups_server(server: str | None) -> None:
    """Point this process's libcups (which Qt's print support uses) at ``server``.

    libcups reads CUPS_SERVER once per thread and caches it, so a test process that already
    asked Qt about printers would otherwise keep talking to the system scheduler. The subprocesses
    (lp, lpstat) read the environment variable afresh.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("cups")
    if name is None:
        return
    libcups = ctypes.CDLL(name)
    libcups.cupsSetServer.argtypes = [ctypes.c_char_p]
    libcups.cupsSetServer(server.encode() if server else None)


class PrivateCups:
    """``with PrivateCups() as cups:`` a scheduler on its own socket with one CUPS-PDF queue, ``cups.queue``."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="dxdesk-cups-"))
        self.base.chmod(0o755)  # the filters run as lp and read the spool
        self.sock = self.base / "cups.sock"
        self.out = self.base / "out"
        # Letters only: a queue name with a run of digits would look like a number to the audit log.
        self.queue = "dxdesk-pdf-" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))
        self.proc: subprocess.Popen[bytes] | None = None
        self._seen: dict[str, int] = {}  # captured file → its mtime (ns) when a wait last returned it
        self._old_server: str | None = None

    @property
    def queue_conf(self) -> Path:
        return CUPS_PDF_CONF_DIR / f"cups-pdf-{self.queue}.conf"

    def start(self) -> "PrivateCups":
        reason = missing_reason()
        if reason:
            raise CupsdError(reason)
        for sub in ("conf", "spool", "cache", "state", "log"):
            (self.base / sub).mkdir(mode=0o755)
        for sub in ("spool/tmp", "out", "cpspool"):
            (self.base / sub).mkdir()
            (self.base / sub).chmod(0o1777)
        (self.base / "conf" / "cupsd.conf").write_text(CUPSD_CONF.format(sock=self.sock), encoding="utf-8")
        (self.base / "conf" / "cups-files.conf").write_text(FILES_CONF.format(base=self.base), encoding="utf-8")
        self.queue_conf.write_text(CUPS_PDF_CONF.format(base=self.base), encoding="utf-8")
        assert CUPSD is not None
        self.proc = subprocess.Popen(
            [CUPSD, "-f", "-c", str(self.base / "conf" / "cupsd.conf"), "-s", str(self.base / "conf" / "cups-files.conf")],
            stdout=subprocess.DEVNULL, stderr=open(self.base / "log" / "stderr", "wb"))
        self._old_server = os.environ.get("CUPS_SERVER")
        os.environ["CUPS_SERVER"] = str(self.sock)
        _libcups_server(str(self.sock))
        self._wait(lambda: self.sock.exists() and self._lpstat("-r").returncode == 0, 30, "the scheduler to listen")
        # The device URI names the queue so cups-pdf reads cups-pdf-QUEUE.conf (our Out directory).
        self._run(["lpadmin", "-p", self.queue, "-E", "-v", f"cups-pdf:/{self.queue}", "-P", str(CUPS_PDF_PPD)])
        self._run(["lpadmin", "-d", self.queue])
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self._old_server is None:
            os.environ.pop("CUPS_SERVER", None)
        else:
            os.environ["CUPS_SERVER"] = self._old_server
        _libcups_server(self._old_server)
        self.queue_conf.unlink(missing_ok=True)
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> "PrivateCups":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log(self) -> str:
        parts = []
        for name in ("error_log", "stderr", f"cups-pdf-{self.queue}_log"):
            path = self.base / "log" / name
            if path.exists():
                parts.append(f"--- {name}\n" + path.read_text(encoding="utf-8", errors="replace")[-4000:])
        return "\n".join(parts)

    def _lpstat(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["lpstat", *args], capture_output=True, text=True, env={**os.environ, "LC_ALL": "C"})

    def _run(self, argv: list[str]) -> None:
        done = subprocess.run(argv, capture_output=True, text=True)
        if done.returncode != 0:
            raise CupsdError(f"{' '.join(argv[:2])} failed: {done.stderr.strip()}\n{self.log()}")

    def _wait(self, ready: Callable[[], bool], timeout_s: float, what: str) -> None:
        """Poll a condition of another process (the scheduler, its filters) until it holds."""
        deadline = time.monotonic() + timeout_s
        while not ready():
            if self.proc is not None and self.proc.poll() is not None:
                raise CupsdError(f"cupsd exited while waiting for {what}\n{self.log()}")
            if time.monotonic() > deadline:
                raise CupsdError(f"timed out waiting for {what}\n{self.log()}")
            time.sleep(0.05)

    def completed(self, job_id: str) -> bool:
        return any(line.split()[:1] == [job_id] for line in self._lpstat("-W", "completed", "-o").stdout.splitlines())

    def wait_for_pdfs(self, job_ids: list[str], timeout_s: float = 120) -> list[Path]:
        """The PDFs cups-pdf wrote for these jobs (one per job, oldest first).

        cups-pdf names a file after the job title and replaces a file of the same name, so what is
        new is told by modification time, not by name.
        """
        self._wait(lambda: all(self.completed(j) for j in job_ids), timeout_s, f"jobs {', '.join(job_ids)}")
        new = [p for p in self.out.glob("*.pdf") if self._seen.get(p.name) != p.stat().st_mtime_ns]
        if len(new) != len(job_ids):
            raise CupsdError(f"{len(job_ids)} job(s) completed but {len(new)} new PDF(s) captured\n{self.log()}")
        for p in new:
            self._seen[p.name] = p.stat().st_mtime_ns
        return sorted(new, key=lambda p: p.stat().st_mtime_ns)

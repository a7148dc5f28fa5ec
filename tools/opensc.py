"""Run OpenSC's ``pkcs15-tool`` against a reader with no state shared between runs.

Used by the card benchmark (tools/bench/card.py) and the tests to check the simulated card against an
independent JPKI implementation (OpenSC's ``jpki`` driver, docs/mynumber-card.md §3.3).
Two pitfalls are handled here:

- the driver is forced with ``OPENSC_DRIVER=jpki`` so other drivers' probing does not
  decide which driver wins;
- file caching is switched off through a private ``opensc.conf`` (``OPENSC_CONF``) and
  the cache directory points into a throwaway ``XDG_CACHE_HOME``: every JPKI token has
  the serial ``00000000``, so a shared cache would hand one card's certificates to the
  next and send no APDUs at all (OpenSC ≥ 0.24 caches JPKI public files by default).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

PKCS15_TOOL = "pkcs15-tool"
_OPENSC_CONF = """\
# Written by dxdesk for one pkcs15-tool run: no file cache, nothing shared between runs.
app default {
    framework pkcs15 {
        use_file_caching = no;
    }
}
"""


class OpenscUnavailableError(RuntimeError):
    """pkcs15-tool is not installed (Debian package opensc)."""


def pkcs15_tool_path() -> str | None:
    return shutil.which(PKCS15_TOOL)


def run_pkcs15_tool(
    reader: str, *args: str, driver: str | None = "jpki", timeout_s: float = 60.0
) -> subprocess.CompletedProcess[str]:
    """``pkcs15-tool --reader READER ARGS`` with a private config and cache; output as text.

    ``driver=None`` lets OpenSC pick the driver by probing (what a user's plain
    ``pkcs15-tool`` would do). Raises OpenscUnavailableError when the tool is missing.
    """
    tool = pkcs15_tool_path()
    if tool is None:
        raise OpenscUnavailableError("pkcs15-tool not found (install the Debian package opensc)")
    with tempfile.TemporaryDirectory(prefix="dxdesk-opensc-") as tmp:
        conf = Path(tmp) / "opensc.conf"
        conf.write_text(_OPENSC_CONF, encoding="ascii")
        env = dict(os.environ)
        env["OPENSC_CONF"] = str(conf)
        env["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")
        env.pop("OPENSC_DRIVER", None)
        if driver is not None:
            env["OPENSC_DRIVER"] = driver
        return subprocess.run(
            [tool, "--reader", reader, *args],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout_s,
            check=False,
        )

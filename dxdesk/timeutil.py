"""The desk's local time: the one definition of "now", "today" and wall-clock times.

Instants are stored in UTC everywhere; only the *calendar* questions (which day is a
form's 申請日, which month a support session counts in, what time a lockout ends)
need a local zone. A town hall in Japan runs on JST whatever zone the PC happens to
be set to (PCs imaged as UTC are common), so the zone is a setting,
``[general] time_zone`` (default ``Asia/Tokyo``); an empty value means "the PC's own
zone". Every core module asks this module rather than calling ``date.today()`` or
``datetime.astimezone()``, so the support log and the counter forms can never
disagree about the date.

The setting is read from ``settings.toml`` and cached per process. Every row the
support log reads or writes asks for the zone, so the cache must cost nothing: it is
keyed on ``DXDESK_HOME`` and on :func:`dxdesk.config.settings_generation` (a save in
this process applies at once), and the file is looked at again (one ``stat``) at most
every :data:`RECHECK_SECONDS`, so another process's change (an administrator's CLI
command) applies within seconds without a restart.
"""
from __future__ import annotations

import logging
import os
import threading
import time as _time
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dxdesk.config import GeneralSettings, SettingsError, load_settings, settings_generation
from dxdesk.i18n import Msg
from dxdesk.paths import HOME_ENV, app_paths

log = logging.getLogger(__name__)

DEFAULT_TIME_ZONE = GeneralSettings().time_zone

_cache_lock = threading.Lock()
_cache: tuple[object, ZoneInfo | None] | None = None  # (settings file identity, zone); None zone = the PC's
RECHECK_SECONDS = 2.0
# (DXDESK_HOME, settings generation, monotonic deadline, zone): the fast path, no path objects, no stat.
_fast: tuple[str | None, int, float, ZoneInfo | None] | None = None


def zone_problem(name: str) -> Msg | None:
    """Why ``name`` is not a usable ``time_zone`` setting, or None if it is ("" = the PC's zone)."""
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: an unreadable tz file
        return Msg(
            f"タイムゾーン「{name}」が見つかりません。通常は Asia/Tokyo を指定します（空欄ならこのPCの設定）。",
            f"unknown time zone {name!r}; use an IANA name such as Asia/Tokyo (empty = the PC's zone)",
        )
    return None


def _zone_from_setting(name: str) -> ZoneInfo | None:
    name = name.strip()
    if not name:
        return None
    problem = zone_problem(name)
    if problem is not None:
        # Falling back to JST rather than to the PC's zone: a mistyped setting on a UTC PC
        # must not silently move every form's date back by a day before 09:00.
        log.warning("settings: %s; using %s", problem.en, DEFAULT_TIME_ZONE)
        return ZoneInfo(DEFAULT_TIME_ZONE)
    return ZoneInfo(name)


def _configured_zone() -> ZoneInfo | None:
    global _fast
    fast = _fast
    home, generation, now = os.environ.get(HOME_ENV), settings_generation(), _time.monotonic()
    if fast is not None and fast[0] == home and fast[1] == generation and now < fast[2]:
        return fast[3]
    zone = _zone_from_disk()
    _fast = (home, generation, now + RECHECK_SECONDS, zone)
    return zone


def _zone_from_disk() -> ZoneInfo | None:
    global _cache
    paths = app_paths()
    path = paths.settings_file
    try:
        st = path.stat()
        # save_settings replaces the file (new inode), so two saves within one mtime tick still differ.
        identity: tuple[object, ...] = (str(path), st.st_ino, st.st_mtime_ns, st.st_size)
    except OSError:
        identity = (str(path), None)
    with _cache_lock:
        if _cache is not None and _cache[0] == identity:
            return _cache[1]
    if identity[1] is None:
        # No settings file yet: the default, without creating the file as a side effect of asking the time.
        name = DEFAULT_TIME_ZONE
    else:
        try:
            name = load_settings(paths).general.time_zone
        except SettingsError as exc:
            log.warning("time zone: %s; using %s", exc, DEFAULT_TIME_ZONE)
            name = DEFAULT_TIME_ZONE
    zone = _zone_from_setting(name)
    with _cache_lock:
        _cache = (identity, zone)
    return zone


def desk_tz() -> tzinfo:
    """The desk's zone: the configured IANA zone, or the PC's current zone when the setting is empty."""
    zone = _configured_zone()
    if zone is not None:
        return zone
    pc = datetime.now().astimezone().tzinfo
    assert pc is not None  # astimezone() always gives an aware value
    return pc


def desk_zone() -> ZoneInfo | None:
    """The configured zone, or None for the PC's own rules (``astimezone(None)`` at each instant).

    For a loop over many values (a million-row export) that looks the zone up once, then
    converts each value as :func:`to_desk` does."""
    return _configured_zone()


def to_desk(moment: datetime) -> datetime:
    """An aware instant as the desk's wall-clock time (aware). A naive value is taken as UTC,
    the store's convention, never as the PC's zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    zone = _configured_zone()
    # astimezone(None) follows the PC's zone rules (DST included) at that instant.
    return moment.astimezone(zone) if zone is not None else moment.astimezone()


def zone_name(moment: datetime) -> str:
    """The zone of an aware ``moment`` as a reader elsewhere understands it: ``JST``, ``UTC``, ``CET`` ...

    A zone without a short Latin abbreviation (``+07`` in the tz database, a Windows PC's
    localised "東京 (標準時)") is named by its offset, ``UTC+07:00``."""
    name = moment.tzname() or ""
    if name.isascii() and name.isalpha() and name.isupper() and 2 <= len(name) <= 5:
        return name
    offset = moment.utcoffset() or timedelta(0)
    sign, minutes = ("-", -offset) if offset < timedelta(0) else ("+", offset)
    hours, rest = divmod(int(minutes.total_seconds()) // 60, 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def desk_clock(moment: datetime) -> str:
    """An instant as a time on the desk's clock with the zone named (``10:45 JST``), for messages and logs.

    A bare "10:45" is ambiguous on a PC whose own zone differs from the desk's, and in a log read elsewhere."""
    local = to_desk(moment)
    return f"{local:%H:%M} {zone_name(local)}"


def local_now() -> datetime:
    """Now on the desk's clock (aware)."""
    return to_desk(datetime.now(timezone.utc))


def local_today() -> date:
    """Today's date on the desk's calendar."""
    return local_now().date()


def local_date(moment: datetime) -> date:
    """The desk's calendar day of an aware instant (naive = UTC)."""
    return to_desk(moment).date()


def to_local_naive(moment: datetime) -> datetime:
    """Desk wall-clock time without tzinfo; a naive value is returned unchanged (it already is one).

    The support log keeps ``started_at`` this way: what the supporter wrote on the sheet.
    """
    if moment.tzinfo is None:
        return moment
    return to_desk(moment).replace(tzinfo=None)


def from_local_naive(wall: datetime) -> datetime:
    """A desk wall-clock time (naive) as an aware instant in the desk's zone."""
    if wall.tzinfo is not None:
        return wall
    zone = _configured_zone()
    # A naive astimezone() reads the value as the PC's local time, which is what an empty setting means.
    return wall.replace(tzinfo=zone) if zone is not None else wall.astimezone()


def local_midnight(day: date) -> datetime:
    """The first instant of ``day`` on the desk's calendar (aware)."""
    return from_local_naive(datetime.combine(day, time.min))


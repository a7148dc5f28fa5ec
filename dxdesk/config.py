"""Typed settings, declared once with their defaults.

Settings live in ``settings.toml`` in the config dir. Each section is a dataclass;
unknown keys are ignored (with a log line) so an older dxdesk can read a newer
file, and ``SETTINGS_VERSION`` plus :data:`UPGRADES` migrate older files forward.
Secrets (database key, server password) never live here: they go to the keyring.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import tomllib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import tomli_w

from dxdesk.errors import DetailedError
from dxdesk.paths import AppPaths, app_paths

log = logging.getLogger(__name__)

SETTINGS_VERSION = 2


@dataclass
class GeneralSettings:
    desk_id: str = ""  # generated on first run; identifies this PC in synced records
    desk_name: str = "窓口1"
    municipality: str = "サンプル町"
    language: str = "ja"  # "ja" or "en"
    # "counter": a town-hall desk (card reader, visits, forms). "support": a supporter's laptop, e.g. in a
    # community hall, holding only the support log: no card service, no visit journal, no counter screens.
    mode: str = "counter"
    # The desk's calendar (form dates, support-log days, lockout times): an IANA zone name. Japanese town
    # halls keep JST even on a PC set to UTC; empty = the PC's own zone. Read through dxdesk.timeutil.
    time_zone: str = "Asia/Tokyo"
    # 研修モード: fictional cards only, a separate never-synced database, 見本 on every printed page
    # (dxdesk.training). `dxdesk --training` does the same for one run.
    training: bool = False


@dataclass
class CardSettings:
    reader_prefix: str = ""  # empty = first reader found
    # Refuse to send a PIN when this many tries (or fewer) are left; offer 照合番号B instead.
    min_tries_for_pin: int = 2
    # Offer 電子証明書の更新 / カードの更新 when the certificate or card expires within this many months.
    renewal_warning_months: int = 3
    # PEM file of RSA public keys that issue the chips' CV certificates (docs/cardreader.md, "Genuine
    # chip"); empty = none configured, and the chip check then reports "untrusted", never a pass.
    chip_trust_anchor: str = ""


@dataclass
class Calibration:
    dx_mm: float = 0.0
    dy_mm: float = 0.0
    scale_x: float = 1.0
    scale_y: float = 1.0


@dataclass
class FormsSettings:
    default_mode: str = "plain"  # "plain" (whole form) or "overlay" (pre-printed stock)
    printer: str = ""  # empty = system default printer
    calibrations: dict[str, Calibration] = field(default_factory=dict)


@dataclass
class StoreSettings:
    # Central PostgreSQL, e.g. "postgresql+psycopg://dxdesk@server/dxdesk"; password is in the keyring.
    server_url: str = ""
    # TLS to the server (dxdesk.store.servertls, docs/sync.md): "verify-full" against the town's CA
    # (server_ca_file), "pinned" (server_ca_file is the server's own certificate, server_cert_sha256 its
    # fingerprint) or "insecure-no-tls" (a lab only; set with --insecure-no-tls, audited). Set by db set-server.
    server_tls: str = "verify-full"
    server_ca_file: str = ""
    server_cert_sha256: str = ""
    # Support-log notes stay on this desk: the sync sends the session without its free-text note.
    keep_support_notes_on_desk: bool = False
    work_offline: bool = False
    sync_interval_s: int = 60
    # Entries per server transaction. Each batch costs a few round trips and a desk write, so a large
    # backlog (a desk joining after working alone) needs large batches; an interrupted batch is simply
    # sent again (docs/sync.md, docs/performance.md).
    sync_batch_size: int = 2000


@dataclass
class SecuritySettings:
    idle_lock_minutes: int = 5
    max_failed_signins: int = 5
    lockout_seconds: int = 300
    personal_data_retention_days: int = 365
    audit_retention_years: int = 5


@dataclass
class SupportSettings:
    default_venue: str = ""
    default_helper_role: str = ""
    default_helper_name: str = ""  # who logs sessions on this PC (logged_by), remembered by the entry screen


@dataclass
class HandoffSettings:
    # The back-office hand-off (docs/handoff.md): a JSON file and a CSV row per printed form, for the town's
    # core systems (一括取込, RPA). Off unless the town turns it on (`dxdesk handoff set --enabled on`).
    enabled: bool = False
    folder: str = ""  # empty = "handoff" in the data folder (dxdesk.handoff.settings.handoff_folder)
    # Records not picked up are deleted after this many days (they hold personal data, like the database).
    retention_days: int = 30
    # Also print the record as a QR code in the corner a form template reserves ([qr] in the template).
    qr: bool = False


@dataclass
class Settings:
    version: int = SETTINGS_VERSION
    general: GeneralSettings = field(default_factory=GeneralSettings)
    card: CardSettings = field(default_factory=CardSettings)
    forms: FormsSettings = field(default_factory=FormsSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    support: SupportSettings = field(default_factory=SupportSettings)
    handoff: HandoffSettings = field(default_factory=HandoffSettings)


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 drops ``card.simulate_when_no_reader``: a missing reader is now an error, never a
    demo card; the fictional cards belong to training mode (``general.training``)."""
    card = data.get("card")
    if isinstance(card, dict):
        card.pop("simulate_when_no_reader", None)
    return data


# version N -> function turning a version-N dict into a version-N+1 dict
UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


class SettingsError(DetailedError):
    """The settings file cannot be read; the message says which file and why."""

    ja_lead = "設定ファイル（settings.toml）に誤りがあります。管理者に連絡してください"


def _from_dict(cls: type, data: dict[str, Any], where: str) -> Any:
    kwargs = {}
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key, value in data.items():
        f = fields.get(key)
        if f is None:
            log.warning("settings: ignoring unknown key %s.%s", where, key)
            continue
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if dataclasses.is_dataclass(default):
            if not isinstance(value, dict):
                raise SettingsError(f"[{where}.{key}] must be a table")
            value = _from_dict(type(default), value, f"{where}.{key}")
        elif key == "calibrations" and isinstance(value, dict):
            for name, v in value.items():
                if not isinstance(v, dict):
                    raise SettingsError(f"[{where}.calibrations.{name}] must be a table")
            value = {name: _from_dict(Calibration, v, f"{where}.calibrations.{name}") for name, v in value.items()}
        elif default is not None and (not isinstance(value, type(default))
                                      or (isinstance(value, bool) and not isinstance(default, bool))):
            # bool is an int to Python: `idle_lock_minutes = true` would silently mean 1 minute.
            if isinstance(default, float) and isinstance(value, int):
                value = float(value)
            else:
                raise SettingsError(
                    f"{where}.{key} should be {type(default).__name__}, got {value!r}"
                )
        kwargs[key] = value
    return cls(**kwargs)


def settings_from_dict(data: dict[str, Any]) -> Settings:
    version = data.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise SettingsError(f"settings.version should be a whole number from 1, got {version!r}")
    if version > SETTINGS_VERSION:
        log.warning("settings file is version %s, newer than this dxdesk (%s)", version, SETTINGS_VERSION)
    while version < SETTINGS_VERSION:
        data = UPGRADES[version](data)
        version += 1
        data["version"] = version
    settings: Settings = _from_dict(Settings, data, "settings")
    return settings


def load_settings(paths: AppPaths | None = None) -> Settings:
    """Read settings (creating the file with defaults and a desk id on first run)."""
    paths = paths or app_paths()
    path = paths.settings_file
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as exc:  # saved as Shift_JIS by a text editor
            raise SettingsError(f"cannot read settings file {path}: it is not UTF-8 text (byte {exc.start}); "
                                "save it again as UTF-8") from exc
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"cannot read settings file {path}: {exc}") from exc
        try:
            settings = settings_from_dict(data)
        except SettingsError as exc:
            raise SettingsError(f"{path}: {exc}") from None
    elif paths.desk_config_dir is not None and (paths.desk_config_dir / path.name).exists():
        # Training mode's first start (dxdesk.training): its settings begin as a copy of the desk's.
        desk = dataclasses.replace(paths, config_dir=paths.desk_config_dir, desk_config_dir=None, training=False)
        settings = load_settings(desk)
        save_settings(settings, paths)
    else:
        settings = Settings()
    if not settings.general.desk_id:
        if path.exists():
            refuse_new_desk_id(path, paths.database_file)
        settings.general.desk_id = str(uuid.uuid4())
        save_settings(settings, paths)
    return settings


def refuse_new_desk_id(path: Path, database: Path) -> None:
    """A settings file without desk_id on a PC whose database has records: never invent a new desk.

    A town may hand out a settings.toml without desk_id before first start (one is generated then).
    Once the desk has a database, a new id would silently start another desk beside it: its keys
    (named by the id) would be new ones, the encrypted records and the audit chain of the real desk
    cut off. The desk ids the database records are named so the administrator can put the right one back.
    """
    if not database.exists() or database.stat().st_size == 0:
        return
    import sqlite3

    try:
        conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            rows = conn.execute("SELECT desk_id, count(*) FROM audit_events GROUP BY desk_id "
                                "ORDER BY count(*) DESC").fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        rows = []  # unreadable here: the message still says what to do
    recorded = "; ".join(f'desk_id = "{desk}" ({count} audit events)' for desk, count in rows)
    raise SettingsError(
        f"{path} has no desk_id under [general], but this PC already has a database ({database}). "
        "dxdesk will not start a new desk beside it (its keys and audit chain would be cut off). "
        "Put this desk's desk_id back under [general] from a copy of settings.toml"
        + (f"; the database records: {recorded}" if recorded else "") + "."
    )


def save_settings(settings: Settings, paths: AppPaths | None = None) -> Path:
    paths = (paths or app_paths()).ensure()
    path = paths.settings_file
    tmp = path.with_suffix(".tmp")
    tmp.write_text(tomli_w.dumps(dataclasses.asdict(settings)), encoding="utf-8")
    os.chmod(tmp, 0o600)
    tmp.replace(path)  # atomic: a crash never leaves half a settings file
    global _generation
    _generation += 1  # per-process caches of settings (dxdesk.timeutil's zone) re-read at once
    return path


_generation = 0  # bumped by every save_settings in this process


def settings_generation() -> int:
    """A number that changes whenever this process saves the settings (cheap cache key)."""
    return _generation

"""Where dxdesk keeps its files.

Everything goes through :func:`app_paths` so that tests and portable installs can
redirect all state with one environment variable, ``DXDESK_HOME``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "dxdesk"
HOME_ENV = "DXDESK_HOME"


@dataclass(frozen=True)
class AppPaths:
    config_dir: Path
    data_dir: Path
    log_dir: Path
    cache_dir: Path
    # Training mode's folders (dxdesk.training.training_paths): its settings and secrets are kept apart
    # from the desk's; desk_config_dir is the desk's own config folder, whose settings seed the training ones.
    training: bool = False
    desk_config_dir: Path | None = None

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.toml"

    @property
    def database_file(self) -> Path:
        return self.data_dir / "dxdesk.sqlite3"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "dxdesk.log"

    @property
    def backup_dir(self) -> Path:
        return self.data_dir / "backups"

    def ensure(self) -> "AppPaths":
        """Create the directories owner-only (they hold personal data and logs)."""
        for d in (self.config_dir, self.data_dir, self.log_dir, self.cache_dir):
            d.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self


def app_paths() -> AppPaths:
    """Paths for this process; ``DXDESK_HOME`` puts everything under one folder.

    In training mode (dxdesk.training) the data folders are the training desk's own.
    """
    base = _base_paths()
    if os.environ.get("DXDESK_TRAINING", "") == "1":
        from dxdesk.training import training_paths

        return training_paths(base)
    return base


def _base_paths() -> AppPaths:
    home = os.environ.get(HOME_ENV)
    if home:
        root = Path(home).expanduser()
        return AppPaths(root / "config", root / "data", root / "logs", root / "cache")
    return AppPaths(
        Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
    )

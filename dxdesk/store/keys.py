"""Where secrets live: the OS keyring, or (only when there is none) an owner-only file.

Secrets are the per-desk database key set and the central server password. The
keyring is tried first (service ``dxdesk``). When the active backend cannot store
anything (``keyring.backends.fail`` / ``null``, e.g. a headless Linux box or the
test suite) dxdesk falls back *explicitly* to a file in the config directory with
mode 0600 and logs a warning; ``key_storage_description()`` tells ``dxdesk doctor``
which one is in use.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import keyring
import keyring.errors

from dxdesk.i18n import Msg
from dxdesk.paths import AppPaths, app_paths
from dxdesk.store.errors import EncryptionKeyError, StoreError

if TYPE_CHECKING:  # the key set (cryptography, SQLAlchemy types) loads with the database, not with a secret lookup
    from dxdesk.store.crypto import KeySet

log = logging.getLogger(__name__)

SERVICE = "dxdesk"
SERVER_PASSWORD_USER = "server-password"
_SECRETS_DIR = "secrets"


class KeyStoreUnavailableError(StoreError):
    """The keyring could not be read (and there is no key file): never a reason to make a new key."""

    default_message = Msg(
        "暗号化キーの保管場所（OS のキーリング）を読み取れませんでした。新しいキーは作成していません。"
        "パソコンにサインインし直すか、しばらく待ってから dxdesk をもう一度起動してください。"
        "解決しない場合は管理者に連絡してください（キーの復元: dxdesk db restore --recovery-sheet）。",
        "The OS keyring could not be read, so the desk's keys are unavailable; no new key was made. "
        "Unlock the keyring (sign in to the PC again) and start dxdesk again; if it persists, restore the key "
        "(dxdesk db restore FILE --recovery-sheet SHEET).",
    )


class KeyMissingError(EncryptionKeyError):
    """Data encrypted (or signed) with a key exists, but the key store has no such key."""

    default_message = Msg(
        "このデータベースには暗号化された個人情報がありますが、暗号化キーが見つかりません。"
        "新しいキーは作成していません（作成すると既存の記録が読めなくなります）。"
        "管理者が町の復旧シートでキーを復元してください（dxdesk db restore --recovery-sheet）。",
        "This database holds encrypted personal data but its key is missing from the key store; no new key "
        "was made (that would make the existing records unreadable). Restore the key with the town recovery "
        "sheet (dxdesk db restore FILE --recovery-sheet SHEET) or restore the key store.",
    )


def database_key_user(desk_id: str) -> str:
    return f"database-key:{desk_id}"


def keyring_usable() -> bool:
    """True when the active keyring backend can really store secrets."""
    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if name in ("keyring.backends.fail.Keyring", "keyring.backends.null.Keyring"):
        return False
    if name == "keyring.backends.chainer.ChainerBackend":
        return bool(getattr(backend, "backends", []))
    try:
        return float(backend.priority) > 0
    except Exception:  # a backend whose priority check itself fails is not usable
        return False


def _scoped(user: str, paths: AppPaths) -> str:
    """Training mode's secrets are its own: a training database never shares the desk's keys."""
    return f"training:{user}" if paths.training else user


def _secret_file(user: str, paths: AppPaths) -> Path:
    safe = user.replace(":", "_").replace("/", "_")
    return paths.config_dir / _SECRETS_DIR / safe


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    # Create with 0600 from the start: a chmod afterwards would leave a window where it is readable.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def get_secret(user: str, paths: AppPaths | None = None) -> str | None:
    """The stored secret, or None when it was never stored.

    A keyring that fails to answer is *not* "never stored": with no key file to fall back
    on, KeyStoreUnavailableError is raised, so no caller mistakes a locked or crashed
    keyring for a first start and makes a new key over the old one.
    """
    paths = paths or app_paths()
    user = _scoped(user, paths)
    failed: str | None = None
    if keyring_usable():
        try:
            value = keyring.get_password(SERVICE, user)
        except keyring.errors.KeyringError as exc:
            failed = type(exc).__name__
            log.warning("keyring read failed (%s); trying the key file", failed)
        else:
            if value is not None:
                return value
    path = _secret_file(user, paths)
    if path.exists():
        return path.read_text(encoding="utf-8")
    if failed is not None:
        raise KeyStoreUnavailableError()
    return None


def set_secret(user: str, value: str, paths: AppPaths | None = None, quiet: bool = False) -> str:
    """Store a secret; returns "keyring" or "file" (where it went).

    ``quiet`` skips the "no usable keyring" warning, for state rewritten on every
    audit event (the key itself was already stored with the warning).
    """
    paths = paths or app_paths()
    user = _scoped(user, paths)
    if keyring_usable():
        try:
            keyring.set_password(SERVICE, user, value)
        except keyring.errors.KeyringError as exc:
            log.warning("keyring write failed (%s); falling back to an owner-only file", type(exc).__name__)
        else:
            stale = _secret_file(user, paths)
            if stale.exists():  # a secret moved into the keyring must not linger on disk
                stale.unlink()
            return "keyring"
    if not quiet:
        log.warning("no usable OS keyring: storing secret %r in an owner-only file under %s", user, paths.config_dir)
    _write_private(_secret_file(user, paths), value)
    return "file"


def secret_location(user: str, paths: AppPaths | None = None) -> str | None:
    """"keyring", "file" or None (not stored)."""
    paths = paths or app_paths()
    user = _scoped(user, paths)
    if keyring_usable():
        try:
            if keyring.get_password(SERVICE, user) is not None:
                return "keyring"
        except keyring.errors.KeyringError:
            pass
    return "file" if _secret_file(user, paths).exists() else None


def load_or_create_keyset(desk_id: str, paths: AppPaths | None = None, *,
                          may_create: bool | Callable[[], bool] = True) -> KeySet:
    """The desk's database keys; generated and stored on first run.

    ``may_create`` False (or a callable answering False, asked only when no key is stored:
    the database already holds encrypted data) turns a missing key into KeyMissingError:
    a new key would silently orphan every existing personal field.
    """
    from dxdesk.store.crypto import KeySet

    user = database_key_user(desk_id)
    stored = get_secret(user, paths)
    if stored is not None:
        return KeySet.from_json(stored)
    if not (may_create() if callable(may_create) else may_create):
        log.error("database key for this desk is missing but the database holds encrypted data; not creating one")
        raise KeyMissingError()
    keyset = KeySet.generate()
    set_secret(user, keyset.to_json(), paths)
    log.info("generated a new database key for this desk")
    return keyset


def save_keyset(desk_id: str, keyset: KeySet, paths: AppPaths | None = None) -> str:
    return set_secret(database_key_user(desk_id), keyset.to_json(), paths)


def key_storage_message(desk_id: str | None = None, paths: AppPaths | None = None) -> Msg:
    """Where the database key is kept, for the UI (Msg) — see key_storage_description for the CLI."""
    paths = paths or app_paths()
    if desk_id is None and paths.settings_file.exists():  # read-only: never create settings just to ask
        from dxdesk.config import load_settings

        desk_id = load_settings(paths).general.desk_id
    where = secret_location(database_key_user(desk_id), paths) if desk_id else None
    if where == "keyring":
        return Msg("キーは OS のキーリングに保存されています", "key in OS keyring")
    if where == "file":
        return Msg(
            "キーはファイルに保存されています（キーリングなし・所有者のみ読み取り可）",
            "key file (no keyring; owner-only file)",
        )
    if keyring_usable():
        return Msg("キー未作成（OS のキーリングに作成されます）", "no key yet (will be created in the OS keyring)")
    return Msg("キー未作成（キーリングがないためファイルに作成されます）", "no key yet (will be a key file: no keyring)")


def key_storage_description(paths: AppPaths | None = None, desk_id: str | None = None) -> str:
    """For ``dxdesk doctor`` and ``dxdesk db status``: "key in OS keyring" or "key file (no keyring; ...)"."""
    return key_storage_message(desk_id, paths).en

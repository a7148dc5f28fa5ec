"""Password hashing (scrypt, memory-hard) and the password policy.

Hashes are self-describing strings ``scrypt$n$r$p$salt_b64$hash_b64`` so the cost
can be raised later: :func:`needs_rehash` tells the sign-in service to re-hash a
password with the current parameters the next time the clerk signs in.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

from dxdesk.errors import DxError
from dxdesk.i18n import Msg
from dxdesk.security.common_passwords import fold, is_common

SCHEME = "scrypt"
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # scrypt copes, but an unbounded input is a denial-of-service lever


@dataclass(frozen=True)
class ScryptParams:
    n: int = 2**15
    r: int = 8
    p: int = 1
    salt_bytes: int = 16
    hash_bytes: int = 32

    def __post_init__(self) -> None:
        if self.n < 2 or self.n & (self.n - 1):
            raise ValueError("scrypt n must be a power of two greater than 1")
        if self.r < 1 or self.p < 1:
            raise ValueError("scrypt r and p must be positive")

    @property
    def maxmem(self) -> int:
        # OpenSSL's default cap (32 MiB) is below 128*n*r for n=2**15; allow the need plus slack.
        return 128 * self.n * self.r * self.p + 16 * 1024 * 1024


# Production default: n=2**15, r=8 -> 32 MiB and roughly 0.1 s per attempt on a counter PC.
DEFAULT_PARAMS = ScryptParams()


class PasswordHashError(DxError, ValueError):
    """A stored hash string is malformed (corrupted row, unknown scheme): the account's record is damaged.

    ``detail`` (English, never the hash) is for the log; the message says what to do.
    """

    default_message = Msg(
        "このアカウントの保存データが壊れているため、サインインできません。"
        "管理者にパスワードの再設定を依頼してください（dxdesk account passwd LOGIN --as 管理者）。",
        "This account's stored data is damaged, so it cannot sign in. Ask an administrator to reset its "
        "password (dxdesk account passwd LOGIN --as ADMIN).",
    )

    def __init__(self, detail: str) -> None:
        super().__init__()
        self.detail = detail


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _derive(password: str, salt: bytes, params: ScryptParams, length: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=params.n, r=params.r, p=params.p,
        maxmem=params.maxmem, dklen=length,
    )


def hash_password(password: str, params: ScryptParams = DEFAULT_PARAMS) -> str:
    """Hash ``password`` with a fresh random salt; returns the encoded hash string."""
    salt = os.urandom(params.salt_bytes)
    digest = _derive(password, salt, params, params.hash_bytes)
    return f"{SCHEME}${params.n}${params.r}${params.p}${_b64(salt)}${_b64(digest)}"


def _parse(encoded: str) -> tuple[ScryptParams, bytes, bytes]:
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        raise PasswordHashError("stored password hash is not in the scrypt$n$r$p$salt$hash format")
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt = base64.b64decode(parts[4], validate=True)
        digest = base64.b64decode(parts[5], validate=True)
        params = ScryptParams(n=n, r=r, p=p, salt_bytes=len(salt), hash_bytes=len(digest))
    except ValueError as exc:
        raise PasswordHashError(f"stored password hash is malformed: {exc}") from None
    if not salt or not digest:
        raise PasswordHashError("stored password hash has an empty salt or digest")
    return params, salt, digest


def verify_password(password: str, encoded: str) -> bool:
    """True when ``password`` matches; the comparison is constant-time."""
    params, salt, digest = _parse(encoded)
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    candidate = _derive(password, salt, params, len(digest))
    return hmac.compare_digest(candidate, digest)


def needs_rehash(encoded: str, params: ScryptParams = DEFAULT_PARAMS) -> bool:
    """True when the stored hash is weaker than ``params`` (or unreadable)."""
    try:
        stored, _salt, digest = _parse(encoded)
    except PasswordHashError:
        return True
    return (
        stored.n < params.n or stored.r < params.r or stored.p < params.p or len(digest) < params.hash_bytes
    )


# A fixed hash used to spend the same time when a login does not exist, so the
# response time does not reveal which logins are real.
def dummy_hash(params: ScryptParams = DEFAULT_PARAMS) -> str:
    return f"{SCHEME}${params.n}${params.r}${params.p}${_b64(bytes(params.salt_bytes))}${_b64(bytes(params.hash_bytes))}"


MSG_TOO_SHORT = Msg(
    ja="パスワードは{min}文字以上にしてください。",
    en="The password must be at least {min} characters long.",
)
MSG_TOO_LONG = Msg(
    ja="パスワードは{max}文字以内にしてください。",
    en="The password must be at most {max} characters long.",
)
MSG_SAME_AS_LOGIN = Msg(
    ja="ログインIDと同じパスワードは使えません。",
    en="The password must not be the same as the login name.",
)
MSG_CONTAINS_LOGIN = Msg(
    ja="ログインIDを含むパスワードは使えません。",
    en="The password must not contain the login name.",
)
MSG_COMMON = Msg(
    ja="よく使われていて推測されやすいパスワードです。別のパスワードにしてください。",
    en="This password is one of the most commonly used ones and easy to guess; choose another.",
)
MSG_ONE_CHARACTER = Msg(
    ja="同じ文字を繰り返しただけのパスワードは使えません。",
    en="The password must not repeat one character only.",
)
MSG_BLANK = Msg(
    ja="空白だけのパスワードは使えません。",
    en="The password must not consist of spaces only.",
)


# A login this short ("a", "it") would refuse too many good passwords that merely contain it.
MIN_LOGIN_LENGTH_FOR_CONTAINS = 3


def password_problems(password: str, login: str) -> list[Msg]:
    """Every policy rule ``password`` breaks (empty list = acceptable)."""
    problems: list[Msg] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(MSG_TOO_SHORT.format(min=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(MSG_TOO_LONG.format(max=MAX_PASSWORD_LENGTH))
    if password and not password.strip():
        problems.append(MSG_BLANK)
        return problems
    folded, folded_login = fold(password), fold(login)
    if folded_login and folded == folded_login:
        problems.append(MSG_SAME_AS_LOGIN)
    elif len(folded_login) >= MIN_LOGIN_LENGTH_FOR_CONTAINS and folded_login in folded:
        problems.append(MSG_CONTAINS_LOGIN)
    if len(set(folded)) == 1:
        problems.append(MSG_ONE_CHARACTER)
    elif MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH and is_common(password):
        problems.append(MSG_COMMON)
    return problems

"""The sign-in and account errors, and their bilingual messages (raised by AuthService and its mixins)."""
from __future__ import annotations

from datetime import datetime

from dxdesk.errors import DxError
from dxdesk.i18n import Msg
from dxdesk.timeutil import desk_clock

MSG_BAD_CREDENTIALS = Msg(
    ja="ログインIDまたはパスワードが違います。",
    en="Wrong login name or password.",
)
MSG_LOCKED = Msg(
    ja="サインインに続けて失敗したため、一時的にロックしています。{time} 以降にもう一度お試しください。",
    en="Too many failed sign-ins; try again after {time}.",
)
MSG_FIRST_ADMIN_EXISTS = Msg(
    ja="既にアカウントがあります。管理者がサインインしてアカウントを追加してください。",
    en="Accounts already exist; an administrator must sign in to add accounts.",
)
MSG_LOGIN_TAKEN = Msg(ja="そのログインIDは既に使われています。", en="That login name is already in use.")
MSG_NO_SUCH_ACCOUNT = Msg(ja="そのアカウントは見つかりません。", en="No such account.")
MSG_LAST_ADMIN = Msg(
    ja="有効なシステム管理者が1人もいなくなるため、この変更はできません。",
    en="This would leave no active administrator; add another administrator first.",
)
MSG_SAME_AS_OLD = Msg(
    ja="新しいパスワードは今のパスワードと別のものにしてください。",
    en="The new password must differ from the current one.",
)
MSG_DESK_HAS_HISTORY = Msg(
    ja="このパソコンの dxdesk には以前のアカウントと記録があるため、初期管理者は作成できません。"
       "データベースが消えたか置き換えられています。管理者がバックアップから復元してください（dxdesk db restore）。",
    en="This desk has history (earlier accounts and audit events), so no new first administrator can be "
       "created: its database was lost or replaced. An administrator must restore a backup (dxdesk db restore).",
)
MSG_ACCOUNT_INACTIVE = Msg(ja="このアカウントは無効になっています。", en="This account has been deactivated.")


class AuthError(DxError):
    """A sign-in or account problem; ``message`` is the bilingual text to show."""

    def __init__(self, msg: Msg) -> None:
        super().__init__(msg)


class InvalidCredentialsError(AuthError):
    def __init__(self) -> None:
        super().__init__(MSG_BAD_CREDENTIALS)


class AccountLockedError(AuthError):
    def __init__(self, retry_at: datetime) -> None:
        # The desk's clock (the same zone as the forms and the support log), with the zone named: "10:45 JST".
        super().__init__(MSG_LOCKED.format(time=desk_clock(retry_at)))
        self.retry_at = retry_at


class PasswordPolicyError(AuthError):
    def __init__(self, problems: list[Msg]) -> None:
        super().__init__(Msg(" ".join(p.ja for p in problems), " ".join(p.en for p in problems)))
        self.problems = problems

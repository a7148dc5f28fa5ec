"""Card errors, each carrying a bilingual message for the clerk (ja) and the log/CLI (en).

Rules for every message here: no card data, no PIN, no My Number. The Japanese text
is read by a counter clerk with a resident waiting, so it says plainly what to do
next. ``str(exc)`` is the English text, because str() is what ends up in logs.
"""
from __future__ import annotations

from enum import Enum

from dxdesk.errors import DxError
from dxdesk.i18n import Msg


class Credential(Enum):
    """What was (or would have been) presented to the card; used to word messages."""

    TEXT_PIN = ("暗証番号（数字4桁）", "PIN (4 digits)")
    CODE_A = ("照合番号A", "verification code A")
    CODE_B = ("照合番号B", "verification code B")
    AUTH_PIN = ("利用者証明用暗証番号", "authentication PIN")
    SIGN_PASSWORD = ("署名用パスワード", "signature password")

    @property
    def ja(self) -> str:
        return self.value[0]

    @property
    def en(self) -> str:
        return self.value[1]


class CardError(DxError):
    """Base class: ``.message`` is the Msg to show; ``str(exc)`` is its English text."""

    default_message = Msg(
        "カードの読み取りに失敗しました。カードを読み取り機に置き直して、もう一度お試しください。",
        "Card operation failed.",
    )


class NoReaderError(CardError):
    default_message = Msg(
        "カード読み取り機が見つかりません。読み取り機がパソコンにつながっているか確認してください。",
        "No card reader found. Check that the reader is connected to this PC.",
    )


class NoCardError(CardError):
    default_message = Msg(
        "カードが置かれていません。マイナンバーカードを読み取り機に置いてください。",
        "No card in the reader.",
    )


class NotMyNumberCardError(CardError):
    default_message = Msg(
        "マイナンバーカードではないようです。カードの種類と向きを確かめて、置き直してください。",
        "The card is not a My Number Card (application not found).",
    )


class CardRemovedError(CardError):
    default_message = Msg(
        "読み取りの途中でカードが外れました。カードを読み取り機に置き直して、もう一度お試しください。",
        "The card was removed during the operation.",
    )


class ReaderBusyError(CardError):
    default_message = Msg(
        "カード読み取り機がほかのプログラムで使われています。ほかのプログラムを閉じてから、もう一度お試しください。",
        "The card reader is in use by another program.",
    )


class ReaderUnavailableError(CardError):
    default_message = Msg(
        "カード読み取り機が使えません。読み取り機のケーブルを確かめてください。直らないときはパソコンを再起動してください。",
        "The card reader is unavailable (PC/SC service not running or reader unplugged).",
    )


class ReaderServiceNotRunningError(ReaderUnavailableError):
    """The PC/SC service itself is not running (pcscd on Linux, 「Smart Card」 on Windows)."""

    default_message = Msg(
        "カード読み取りのサービス（Linux: pcscd、Windows: Smart Card サービス）が動いていません。"
        "サービスを開始してから、もう一度読み取ってください。",
        "The smart-card service is not running (pcscd on Linux, the Smart Card service on Windows). "
        "Start it (Linux: sudo systemctl start pcscd; Windows: services.msc, Smart Card, Start) and read again.",
    )


class NotTrainingCardError(CardError):
    """Training mode read a card that is not one of the built-in fictional people; nothing was kept."""

    default_message = Msg(
        "研修モードでは研修用の模擬カードしか読み取りません。実際のカードは研修モードを終えてから読み取ってください。",
        "Training mode reads only the built-in fictional cards; this card was not kept.",
    )


class UnexpectedStatusError(CardError):
    """The card answered with a status word this code does not expect."""

    def __init__(self, sw: int, command_name: str) -> None:
        self.sw = sw
        self.command_name = command_name
        # A status word is not personal data, so it may appear in the message (it helps support).
        super().__init__(
            Msg(
                f"カードから想定外の応答がありました（{command_name} {sw:04X}）。"
                "カードを置き直して、もう一度お試しください。",
                f"Unexpected card response to {command_name}: SW {sw:04X}.",
            )
        )


class WrongPinError(CardError):
    def __init__(self, tries_left: int, credential: Credential = Credential.TEXT_PIN) -> None:
        self.tries_left = tries_left
        self.credential = credential
        warning = "あと1回間違えるとロックされます。" if tries_left == 1 else ""
        super().__init__(
            Msg(
                f"{credential.ja}が違います。残りは{tries_left}回です。{warning}",
                f"Wrong {credential.en}; {tries_left} tries left.",
            )
        )


class PinBlockedError(CardError):
    def __init__(self, credential: Credential = Credential.TEXT_PIN) -> None:
        self.credential = credential
        alternative = (
            "照合番号Bでの読み取りか、手入力に切り替えてください。"
            if credential is Credential.TEXT_PIN
            else "暗証番号での読み取りか、手入力に切り替えてください。"
        )
        super().__init__(
            Msg(
                f"{credential.ja}がロックされています。{alternative}"
                "ロックの解除はマイナンバーカードの担当窓口で手続きできます。",
                f"The {credential.en} is blocked on this card.",
            )
        )


class LowTriesError(CardError):
    """Refused locally: one more wrong entry would lock the card, so nothing was sent."""

    def __init__(self, tries_left: int, credential: Credential = Credential.TEXT_PIN) -> None:
        self.tries_left = tries_left
        self.credential = credential
        alternative = "照合番号B" if credential is Credential.TEXT_PIN else "暗証番号"
        super().__init__(
            Msg(
                f"{credential.ja}の残り回数が{tries_left}回しかないため、入力を受け付けません"
                f"（間違えるとロックされます）。{alternative}での読み取りか、手入力に切り替えてください。",
                f"Only {tries_left} {credential.en} try left; entry refused to protect the card from lock-out.",
            )
        )


class InvalidPinFormatError(CardError):
    """The entered value has the wrong shape; nothing was sent to the card."""

    def __init__(self, credential: Credential = Credential.TEXT_PIN) -> None:
        self.credential = credential
        shape_ja, shape_en = {
            Credential.TEXT_PIN: ("半角数字4桁", "exactly 4 ASCII digits"),
            Credential.AUTH_PIN: ("半角数字4桁", "exactly 4 ASCII digits"),
            Credential.CODE_A: ("半角数字12桁", "exactly 12 ASCII digits"),
            Credential.CODE_B: ("半角数字14桁", "exactly 14 ASCII digits"),
            Credential.SIGN_PASSWORD: ("英大文字と数字の6〜16文字", "6-16 letters A-Z and digits"),
        }[credential]
        super().__init__(
            Msg(
                f"{credential.ja}は{shape_ja}で入力してください。カードには送っていません。",
                f"The {credential.en} must be {shape_en}; nothing was sent to the card.",
            )
        )


class SecurityStatusError(CardError):
    default_message = Msg(
        "この項目を読むには、暗証番号の確認が必要です（照合番号Bでは読めません）。",
        "Security status not satisfied: this item needs a different credential (SW 6982).",
    )


class IntegrityError(CardError):
    default_message = Msg(
        "カードのデータの検証に失敗したため、読み取った内容は使えません。"
        "カードを置き直して読み取り直してください。続く場合は担当者に連絡してください。",
        "Card data failed the integrity check (hash mismatch with EF 0003).",
    )


class CardDataError(CardError):
    """The card answered, but the data is not in the documented format."""

    default_message = Msg(
        "カードのデータの形式が正しくないため、読み取れませんでした。"
        "カードを置き直して、もう一度お試しください。続く場合は手入力に切り替えてください。",
        "Card data is malformed.",
    )

    def __init__(self, detail_en: str | None = None) -> None:
        # detail_en must never contain card data: callers pass structural facts only.
        message = self.default_message
        if detail_en:
            message = Msg(message.ja, f"{message.en} {detail_en}")
        super().__init__(message)


def error_for_status(sw: int, command_name: str, credential: Credential | None = None) -> CardError:
    """The one mapping from a failing status word to the error the caller raises.

    ``credential`` is given for VERIFY, where ``63Cx`` means a wrong entry with x
    tries left (x = 0: that entry just blocked the key).
    """
    if sw == 0x6982:
        return SecurityStatusError()
    if sw in (0x6983, 0x6984):  # 6984 is what cards send; 6983 ("blocked") is treated alike
        return PinBlockedError(credential or Credential.TEXT_PIN)
    if credential is not None and sw & 0xFFF0 == 0x63C0:
        tries_left = sw & 0x0F
        return PinBlockedError(credential) if tries_left == 0 else WrongPinError(tries_left, credential)
    if sw == 0x6A82 and command_name == "SELECT AP":
        return NotMyNumberCardError()
    return UnexpectedStatusError(sw, command_name)

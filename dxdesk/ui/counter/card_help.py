"""Plain-language help for card trouble, shown next to the card reader status.

The error's own ``.message.text()`` says what happened; the help below says what the
clerk can tell the resident, in words a 75-year-old follows across the counter.
"""
from __future__ import annotations

from dataclasses import dataclass

from dxdesk.cardreader import errors as ce
from dxdesk.i18n import N_


@dataclass(frozen=True)
class CardHelp:
    title: str
    steps: tuple[str, ...]
    offer_code_b: bool = False  # the PIN-less route is the way out
    offer_manual: bool = True


_PLACE = CardHelp(
    N_("カードを置き直してください"),
    (N_("カードをケースやカバーから出してください。"), N_("読み取り機の上に、カードを平らに置いてください。"), N_("読み取りが終わるまで、カードを動かさないでください。")),
)
_HELP: list[tuple[type[ce.CardError], CardHelp]] = [
    (ce.NoReaderError, CardHelp(N_("読み取り機が見つかりません"), (N_("読み取り機のケーブルがパソコンにつながっているか確かめてください。"), N_("直らないときは手入力で受付を続けられます。")))),
    # Before ReaderUnavailableError, its parent: the service being off has its own remedy.
    (ce.ReaderServiceNotRunningError, CardHelp(N_("カード読み取りのサービスが動いていません"), (
        N_("Windows: 「サービス」（services.msc）で「Smart Card」を開始してください。"),
        N_("Linux: 端末で sudo systemctl start pcscd を実行してください（担当の情報システム係へ）。"),
        N_("開始したら「カードを読み取る（F2）」を押してください。直らないときは手入力で受付を続けられます。")))),
    (ce.ReaderUnavailableError, CardHelp(N_("読み取り機が使えません"), (N_("読み取り機のケーブルを抜き差ししてください。"), N_("直らないときは手入力で受付を続けられます。")))),
    (ce.NotTrainingCardError, CardHelp(N_("研修用の模擬カードではありません"), (N_("研修モードでは研修用の模擬カード（暗証番号 1234）を使います。"),))),
    (ce.ReaderBusyError, CardHelp(N_("読み取り機が使用中です"), (N_("ほかのカード読み取りソフトを閉じてください。"),))),
    (ce.NoCardError, _PLACE),
    (ce.CardRemovedError, CardHelp(N_("読み取りの途中でカードが外れました"), (N_("カードをケースから出してください。"), N_("もう一度読み取り機に置いて、動かさないでください。")))),
    (ce.NotMyNumberCardError, CardHelp(N_("マイナンバーカードではないようです"), (N_("置かれたカードがマイナンバーカードか確かめてください（保険証や通知カードは読めません）。"), N_("カードの表を上にして置いてください。")))),
    (ce.PinBlockedError, CardHelp(
        N_("暗証番号がロックされています"),
        (N_("市民課窓口でPINの再設定が必要です（本人確認書類をお持ちください）。"), N_("今日の手続きは照合番号Bか手入力で続けられます。")),
        offer_code_b=True,
    )),
    (ce.LowTriesError, CardHelp(
        N_("暗証番号の残り回数が少ないため入力しません"),
        (N_("あと1回間違えるとカードがロックされます。"), N_("カードに印字された情報（照合番号B）で読み取るか、手入力にしてください。")),
        offer_code_b=True,
    )),
    (ce.WrongPinError, CardHelp(N_("暗証番号が違います"), (N_("ご本人にもう一度、ゆっくり押していただいてください。"), N_("思い出せないときは照合番号Bか手入力にしてください。")), offer_code_b=True)),
    (ce.InvalidPinFormatError, CardHelp(N_("入力の形が違います"), (N_("照合番号Bは数字14桁です。生年月日・有効期限の年・セキュリティコードを確かめてください。"),))),
    (ce.SecurityStatusError, CardHelp(N_("この項目は暗証番号がないと読めません"), (N_("個人番号が必要な手続きでは、暗証番号で読み取ってください。"),))),
    (ce.IntegrityError, CardHelp(N_("カードのデータを確認できませんでした"), (N_("カードを置き直して読み取り直してください。"), N_("続く場合は手入力にして、担当者に連絡してください。")))),
    (ce.CardDataError, _PLACE),
]
_DEFAULT = _PLACE


def help_for(error: BaseException) -> CardHelp:
    for cls, help_ in _HELP:
        if isinstance(error, cls):
            return help_
    return _DEFAULT

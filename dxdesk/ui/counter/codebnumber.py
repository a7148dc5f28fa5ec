"""照合番号B → 個人番号: the offer to read the number after a 照合番号B identification, in place.

照合番号B opens only the basic four, so a visit identified that way has no number. When a chosen
procedure needs it, the interview's number panel (numberread.py) offers 「個人番号も読み取る（暗証番号）」:
the same PIN route as any later number read (purpose fields, the resident's pad, the card service's
lock-out margin), and the visit keeps its B identity and the items already read. With too few PIN
tries left the offer is not made: the panel says why and points to the routes that need no PIN.
"""
from __future__ import annotations

from dataclasses import dataclass

from dxdesk.i18n import N_, tr

OFFER_BUTTON = N_("個人番号も読み取る（暗証番号）")  # the panel's read button on a 照合番号B visit (F6)


@dataclass(frozen=True)
class CodeBOffer:
    """What the number panel shows for a 照合番号B visit: the explanation, and whether the pad may open."""

    explain: str
    can_read: bool


def code_b_offer(procedures: str, tries_left: int | None, min_tries: int) -> CodeBOffer:
    """``procedures`` is the quoted list of procedures needing the number; ``tries_left`` as last seen
    by the identify step (None: unknown, the card service checks again before asking for the PIN)."""
    if tries_left is not None and tries_left < min_tries:
        return CodeBOffer(tr("{procedures}には個人番号が必要ですが、暗証番号の残り回数が{count}回のため、"
                             "ロック防止のため暗証番号では読み取れません。個人番号は、手入力（F3）の本人確認で書類から入力するか、"
                             "暗証番号の初期化の後に読み取ってください。")
                          .format(procedures=procedures, count=tries_left), False)
    return CodeBOffer(tr("{procedures}には個人番号が必要です。照合番号Bでの本人確認はそのままで、"
                         "「個人番号も読み取る（暗証番号）」で個人番号だけを追加で読み取れます。"
                         "暗証番号はご本人がお客様用の画面で押します。")
                      .format(procedures=procedures), True)

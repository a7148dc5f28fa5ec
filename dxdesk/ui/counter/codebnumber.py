"""照合番号B → 個人番号: the offer to read the number after a 照合番号B identification, in place.

照合番号B opens only the basic four, so a visit identified that way has no number. When a chosen
procedure needs it, the interview's number panel (numberread.py) offers 「個人番号も読み取る（暗証番号）」:
the same PIN route as any later number read (purpose fields, the resident's pad, the card service's
lock-out margin), and the visit keeps its B identity and the items already read. With too few PIN
tries left the offer is not made: the panel says why and spells out the route that needs no PIN.
"""
from __future__ import annotations

from dataclasses import dataclass

from dxdesk.i18n import N_, tr

OFFER_BUTTON = N_("個人番号も読み取る（暗証番号）")  # the panel's read button on a 照合番号B visit (F6)
TOO_FEW_TRIES = N_("{procedures}には個人番号が必要ですが、暗証番号の残り回数が{count}回のため、ロック防止のため"
                   "暗証番号では読み取れません。この受付に個人番号を入力することはできません。書類から入力するには、"
                   "この受付を中止し（Ctrl+Shift+Del）、新しい受付で同じ手続きを選んでから、本人確認で"
                   "「手入力（F3）」を選んで個人番号も入力してください。暗証番号の初期化の後なら、新しい受付でカードから読み取れます。")


@dataclass(frozen=True)
class CodeBOffer:
    """What the number panel shows for a 照合番号B visit: the explanation, and whether the pad may open."""

    explain: str
    can_read: bool


def code_b_offer(procedures: str, tries_left: int | None, min_tries: int) -> CodeBOffer:
    """``procedures`` is the quoted list of procedures needing the number; ``tries_left`` as last seen
    by the identify step (None: unknown, the card service checks again before asking for the PIN)."""
    if tries_left is not None and tries_left < min_tries:
        # F3 works only on the identify step, and a visit never goes back there (Visit has no way back
        # from the interview): the advice names every key of the real route, a new visit (#14).
        return CodeBOffer(tr(TOO_FEW_TRIES).format(procedures=procedures, count=tries_left), False)
    return CodeBOffer(tr("{procedures}には個人番号が必要です。照合番号Bでの本人確認はそのままで、"
                         "「個人番号も読み取る（暗証番号）」で個人番号だけを追加で読み取れます。"
                         "暗証番号はご本人がお客様用の画面で押します。")
                      .format(procedures=procedures), True)

"""#20 item 8: the support note warns when it looks like a name, a phone number or an address."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from dxdesk.support.notecheck import Concern, note_concerns, note_warning

C = Concern


@pytest.mark.parametrize("text, expected", [
    ("山田様のスマホにLINEを設定", [C.NAME]),
    ("田中さんと一緒にマイナポータル", [C.NAME]),
    ("ヤマダさまから電話", [C.NAME]),
    ("佐藤花子 マイナ保険証の登録", [C.NAME]),
    ("高橋 一郎、70代", [C.NAME]),
    ("Mr. Tanaka asked about e-Tax", [C.NAME]),
    ("連絡先 090-1234-5678", [C.PHONE]),
    ("０９０１２３４５６７８に折り返し", [C.PHONE]),  # full-width digits
    ("03(1234)5678", [C.PHONE]),
    ("+81 90 1234 5678", [C.PHONE]),
    ("〒100-0001 で届く", [C.ADDRESS]),
    ("本町1-2-3 の自宅", [C.ADDRESS]),
    ("3丁目の集会所", [C.ADDRESS]),
    ("2番地", [C.ADDRESS]),
    ("東京都千代田区", [C.ADDRESS]),
    ("taro@example.com に送付", [C.EMAIL]),
    ("山田様 090-1234-5678 本町1-2-3", [C.NAME, C.PHONE, C.ADDRESS]),
])
def test_personal_looking_notes_are_flagged(text, expected):
    assert note_concerns(text) == expected


@pytest.mark.parametrize("text", [
    "",
    "LINE の友だち追加とトーク画面の説明",
    "マイナポータルのログインができた",
    "電話の着信音の変え方（Android 14）",
    "写真を10枚ほど整理、2回目",
    "予約の取り方を説明 30分",
    "職員さんと相談の上で後日フォロー",  # the staff, not the resident
    "田中町公民館で開催",  # a place that starts with a surname
    "Wi-Fi 設定 2024-05",
    "iOS 17.5 にアップデート",
])
def test_ordinary_notes_are_not_flagged(text):
    assert note_concerns(text) == []
    assert note_warning(text) is None


def test_the_warning_names_what_was_found_in_both_languages():
    msg = note_warning("山田様 090-1234-5678")
    assert msg is not None
    assert "氏名・電話番号" in msg.ja and "同期" in msg.ja
    assert "a person's name / a phone number" in msg.en and "synced" in msg.en
    desk_only = note_warning("山田様", synced=False)
    assert desk_only is not None and "この端末だけ" in desk_only.ja


_DIGITS = st.text("0123456789", min_size=1, max_size=4)


@settings(max_examples=200)
@given(area=st.text("123456789", min_size=1, max_size=3), mid=_DIGITS, last=st.text("0123456789", min_size=4,
                                                                                     max_size=4),
       before=st.sampled_from(["", "連絡先 ", "TEL:", "電話は"]), after=st.sampled_from(["", " まで", "（自宅）"]))
def test_any_hyphenated_japanese_phone_number_is_flagged(area, mid, last, before, after):
    assert C.PHONE in note_concerns(f"{before}0{area}-{mid}-{last}{after}")


@settings(max_examples=200)
@given(st.text(alphabet=st.sampled_from(list("スマホの設定をしたアプリ説明LINE写真 、。")), max_size=40))
def test_notes_about_what_was_done_are_never_flagged(text):
    assert note_concerns(text) == []

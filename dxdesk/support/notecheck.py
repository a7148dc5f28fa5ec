"""Does a support-log note look like it holds personal data? A gentle pattern check, no verdict.

The note is free text and, unless the desk keeps notes to itself
(``[store] keep_support_notes_on_desk``), it is synced to the town server and every desk.
It should say what was done ("LINE の友だち追加"), never who was helped. This check
recognises the usual slips - an honorific after a name (山田様, 田中さん), a common surname
followed by a given name (佐藤花子), a phone number, an address or postal code, an e-mail
address - so the entry form and ``dxdesk support add`` can warn. It never blocks: a false
alarm on 「さん」 in "Aさんのスマホ" costs a glance, a missed phone number costs privacy.

Qt-free; the texts are :class:`dxdesk.i18n.Msg` so the UI and the CLI say the same thing.
"""
from __future__ import annotations

import enum
import re
import unicodedata

from dxdesk.i18n import Msg


class Concern(str, enum.Enum):
    NAME = "name"
    PHONE = "phone"
    ADDRESS = "address"
    EMAIL = "email"


_KANJI = r"\u3400-\u4dbf\u4e00-\u9fff々〆ヶ"
_KANA = r"\u3041-\u309f\u30a1-\u30ff"

# The commonest Japanese surnames (each held by hundreds of thousands of people): followed by one to
# three kanji they are almost always a full name (佐藤花子, 高橋 一郎).
_SURNAMES = (
    "佐藤", "鈴木", "高橋", "髙橋", "田中", "伊藤", "渡辺", "渡邊", "山本", "中村", "小林", "加藤", "吉田", "山田",
    "佐々木", "山口", "松本", "井上", "木村", "斎藤", "斉藤", "清水", "山崎", "森", "池田", "橋本", "阿部", "石川",
    "山下", "中島", "石井", "小川", "前田", "岡田", "長谷川", "藤田", "後藤", "近藤", "村上", "遠藤", "青木",
    "坂本", "斉藤", "福田", "太田", "西村", "藤井", "金子", "岡本", "藤原", "中野", "三浦", "原田", "中川", "松田",
    "竹内", "小野", "田村", "中山", "和田", "石田", "森田", "上田", "原", "内田", "柴田", "酒井", "工藤", "横山",
    "宮崎", "宮本", "安藤", "大野", "小島", "谷口", "高木", "丸山", "今井", "河野", "藤本", "村田", "武田",
    "上野", "杉山", "増田", "小山", "大塚", "平野", "菅原", "久保", "松井", "千葉", "岩崎", "桜井", "木下", "野口",
)
_SURNAME_ALT = "|".join(sorted({re.escape(s) for s in _SURNAMES if len(s) >= 2}, key=len, reverse=True))

_NAME_RES = (
    # 山田様, 田中さん, ヤマダさま, 佐藤氏, 鈴木殿 (an honorific right after kanji/kana)
    re.compile(rf"[{_KANJI}{_KANA}]{{1,6}}\s?(?:様|さま|サマ|さん|サン|氏|殿|ちゃん|くん|君)"),
    # 佐藤花子, 高橋 一郎 (a common surname, then a given name)
    re.compile(rf"(?:{_SURNAME_ALT})[\s　]?[{_KANJI}]{{1,3}}(?![{_KANJI}]*(?:町|市|村|区|課|館|署|駅|店|病院|銀行))"),
    # Mr Tanaka, Ms. Sato
    re.compile(r"\b(?:Mr|Mrs|Ms|Miss)\.?\s+[A-Z][a-z]+"),
)
# Not a person: the municipality's own offices and roles often end in the same characters.
_NOT_A_NAME = re.compile(r"(?:職員|担当|支援員|相談員|市役所|町役場|役場|係|課長|皆)(?:様|さん|さま)")

_PHONE_RES = (
    re.compile(r"(?<!\d)0\d{1,4}[-‐ー−(（)）\s]\d{1,4}[-‐ー−)）\s]\d{3,4}(?!\d)"),  # 03-1234-5678, 0120-12-3456
    re.compile(r"(?<!\d)0[5789]0\d{8}(?!\d)"),  # 09012345678
    re.compile(r"(?<!\d)0\d{9}(?!\d)"),  # 0312345678
    re.compile(r"(?<!\d)\+81[-\s]?\d{1,4}[-\s]?\d{1,4}[-\s]?\d{3,4}(?!\d)"),
)

_PREFECTURES = "北海道|東京都|大阪府|京都府|" + "|".join(
    p + "県" for p in (
        "青森", "岩手", "宮城", "秋田", "山形", "福島", "茨城", "栃木", "群馬", "埼玉", "千葉", "神奈川", "新潟", "富山",
        "石川", "福井", "山梨", "長野", "岐阜", "静岡", "愛知", "三重", "滋賀", "兵庫", "奈良", "和歌山", "鳥取", "島根",
        "岡山", "広島", "山口", "徳島", "香川", "愛媛", "高知", "福岡", "佐賀", "長崎", "熊本", "大分", "宮崎", "鹿児島",
        "沖縄",
    )
)
_ADDRESS_RES = (
    re.compile(r"〒\s?\d{3}-?\d{4}"),
    re.compile(r"(?<![\d-])\d{3}-\d{4}(?![\d-])"),  # postal code 123-4567
    re.compile(rf"\d+\s?丁目|\d+\s?番地|\d+\s?番\s?\d+\s?号|[{_KANJI}]{{1,4}}\d+-\d+(?:-\d+)?(?!\d)"),  # 本町1-2-3
    re.compile(rf"(?:{_PREFECTURES})[{_KANJI}{_KANA}]{{1,6}}[市区町村郡]"),
)
_EMAIL_RE = re.compile(r"[^\s@]+@[^\s@]+\.[A-Za-z]{2,}")

MSG_NOTE_WARNING = Msg(
    ja="メモに{what}のようなものがあります。メモは他の端末にも同期されるため、個人を特定できることは書かないでください"
       "（何を支援したかだけを書きます）。",
    en="The note seems to contain {what}. Notes are synced to other desks: write what was done, "
       "nothing that identifies a person.",
)
_LABELS = {
    Concern.NAME: Msg("氏名", "a person's name"),
    Concern.PHONE: Msg("電話番号", "a phone number"),
    Concern.ADDRESS: Msg("住所", "an address"),
    Concern.EMAIL: Msg("メールアドレス", "an e-mail address"),
}
MSG_NOTE_WARNING_DESK_ONLY = Msg(
    ja="メモに{what}のようなものがあります。個人を特定できることは書かないでください（この端末だけに保存されます）。",
    en="The note seems to contain {what}. Write nothing that identifies a person (notes stay on this desk).",
)


def note_concerns(text: str) -> list[Concern]:
    """What ``text`` seems to contain, in a fixed order; empty when it looks harmless."""
    plain = unicodedata.normalize("NFKC", text)
    found: list[Concern] = []
    names = _NOT_A_NAME.sub("", plain)
    if any(p.search(names) for p in _NAME_RES):
        found.append(Concern.NAME)
    if any(p.search(plain) for p in _PHONE_RES):
        found.append(Concern.PHONE)
    if any(p.search(plain) for p in _ADDRESS_RES):
        found.append(Concern.ADDRESS)
    if _EMAIL_RE.search(plain):
        found.append(Concern.EMAIL)
    return found


def note_warning(text: str, *, synced: bool = True) -> Msg | None:
    """The gentle warning to show under the note field, or None."""
    concerns = note_concerns(text)
    if not concerns:
        return None
    what = Msg("・".join(_LABELS[c].ja for c in concerns), " / ".join(_LABELS[c].en for c in concerns))
    template = MSG_NOTE_WARNING if synced else MSG_NOTE_WARNING_DESK_ONLY
    return Msg(template.ja.format(what=what.ja), template.en.format(what=what.en))

"""The one wording of the support KPIs, used by the レポート tab, the PDF report and the summary CSV (#14: the
screen said 支援件数 where the PDF said セッション数, so a supervisor could not match the two).

Qt-free Msg pairs. The PDF is Japanese (a filing); the screen and the CSV follow the UI language.
"""
from __future__ import annotations

from collections.abc import Mapping

from dxdesk.i18n import Msg

SESSIONS = Msg("セッション数", "Sessions")
ATTENDEES = Msg("参加者数（延べ）", "Attendees (total)")
MEAN_ATTENDEES = Msg("1回あたり平均参加者数", "Mean attendees per session")
SINGLE_ATTENDEE_SHARE = Msg("参加者1人の回の割合", "Single-attendee share")
HELPERS_PER_ATTENDEE = Msg("参加者1人あたり支援者数", "Helpers per attendee")
UNDERSTAFFED = Msg("体制基準未満の回数", "Understaffed sessions")
MEAN_DURATION = Msg("平均所要時間（分）", "Mean duration (min)")
REPEAT_VISITOR_SHARE = Msg("再来の割合", "Repeat-visitor share")
OPEN_FOLLOW_UPS = Msg("未完了のフォローアップ", "Open follow-ups")

# In the order of the PDF's 概要 table; the keys are KpiSummary's attribute names.
SUMMARY_LABELS: Mapping[str, Msg] = {
    "sessions": SESSIONS,
    "attendees": ATTENDEES,
    "mean_attendees": MEAN_ATTENDEES,
    "single_attendee_share": SINGLE_ATTENDEE_SHARE,
    "helpers_per_attendee": HELPERS_PER_ATTENDEE,
    "understaffed": UNDERSTAFFED,
    "mean_duration_minutes": MEAN_DURATION,
    "repeat_visitor_share": REPEAT_VISITOR_SHARE,
    "open_follow_ups": OPEN_FOLLOW_UPS,
}
COUNT_HEADER = Msg("回数", "Sessions")  # the count column of every breakdown table
SHARE_HEADER = Msg("割合", "Share")

# The breakdowns: a section title on the tab, the start of a chart title in the PDF ("相談内容別セッション数").
BY_TOPIC = Msg("相談内容別", "By topic")
BY_VENUE_TYPE = Msg("会場の種類別", "By venue type")
BY_AGE = Msg("年齢層別", "By age group")
BY_OUTCOME = Msg("結果別", "By result")
BY_CLASS = Msg("講座（コマ）別", "Classes (2+ attendees)")
# Their column headers.
TOPIC = Msg("相談内容", "Topics")
VENUE_TYPE = Msg("会場の種類", "Venue type")
AGE_BAND = Msg("年齢層", "Age group")
OUTCOME = Msg("結果", "Result")
VENUE_MEAN_ATTENDEES = Msg("平均参加者数", "Avg. attendees")
CLASSES = Msg("コマ数", "Classes")
PARTICIPANTS = Msg("参加者数", "Attendees")
STAFF = Msg("支援者数", "Helpers")
BELOW_RULE = Msg("体制基準未満", "Below staffing rule")
CLASS_TOTAL = Msg("合計（コマ単位）", "Total (each class once)")

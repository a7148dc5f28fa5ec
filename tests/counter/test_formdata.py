"""Form data for the forms engine and the guide sheet."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from dxdesk.counter import Visit, VisitError, build_form_data, guide_sheet_data
from clerks import clerk_session


def identified(kit, catalogue, clock, procedures, with_number=False) -> Visit:
    visit = Visit.start(catalogue, session=clerk_session("clerk-7"), desk_id="desk-1", desk_name="1番窓口", procedures=procedures, clock=clock)
    visit.identify(kit.card_with_pin(with_number=with_number))
    return visit


def test_form_data_namespaces(kit, catalogue, clock):
    visit = identified(kit, catalogue, clock, ["tennyu"], with_number=True)
    for qid, value in kit.TENNYU_ANSWERS.items():
        visit.answer(qid, value)
    visit.set_name_kana("こくとう みきや")
    data = build_form_data(visit)
    assert set(data) == {"card", "interview", "computed"}
    card = data["card"]
    assert card["name"] == kit.RESIDENT_NAME
    assert (card["family_name"], card["given_name"]) == ("黒桐", "幹也")
    assert card["name_kana"] == "コクトウ\u3000ミキヤ"
    assert card["birth_date"] == date(1980, 2, 17) and card["sex"] == "1" and card["sex_label"] == "男"
    assert card["my_number"] == kit.RESIDENT_NUMBER  # 転入届 requires it
    interview = data["interview"]
    assert interview["new_postal_code"] == "059-0902"
    assert interview["phone"] == "090-1234-5678"
    assert interview["moved_on"] == date(2026, 3, 28)
    assert interview["household_label"] == "新しく世帯をつくる"
    assert "head_of_household" not in interview  # hidden question
    computed = data["computed"]
    assert computed["today"] == date(2026, 4, 1) and computed["age"] == 46
    assert computed["desk_name"] == "1番窓口" and computed["procedures"] == ["転入届"]


def test_no_my_number_in_form_data_unless_required(kit, catalogue, clock):
    visit = identified(kit, catalogue, clock, ["juminhyo"])
    visit.answer("include_items", ["head_relationship", "honseki"])
    data = build_form_data(visit)
    assert "my_number" not in data["card"]
    assert data["interview"]["include_items_label"] == "世帯主・続柄、本籍・筆頭者"


def test_form_data_needs_live_card_data(kit, catalogue, clock):
    visit = Visit.start(catalogue, session=clerk_session("c"), desk_id="d", procedures=["juminhyo"], clock=clock)
    with pytest.raises(VisitError) as info:
        build_form_data(visit)
    assert info.value.code == "not_identified"
    visit.identify(kit.card_with_pin())
    visit.cancel()
    with pytest.raises(VisitError) as info:
        build_form_data(visit)
    assert info.value.code == "card_data_discarded"


def test_guide_sheet(kit, catalogue, clock):
    visit = identified(kit, catalogue, clock, ["tennyu", "kokuho_kanyu", "zei_shomei"], with_number=True)
    sheet = guide_sheet_data(visit)
    assert [p["id"] for p in sheet["procedures"]] == ["tennyu", "kokuho_kanyu", "zei_shomei"]
    assert [c["counter_id"] for c in sheet["next_counters"]] == ["jumin", "hoken_nenkin", "zeimu"]
    assert sheet["next_counters"][1]["procedures_ja"] == ["国民健康保険の加入"]
    assert "jido_teate" in [s["id"] for s in sheet["suggested"]]
    assert [i["label_ja"] for i in sheet["card_items_read"]] == ["氏名", "住所", "生年月日", "性別", "個人番号"]
    assert sheet["card_read_by_desk"] == "1番窓口" and sheet["card_read_at"] == clock.now
    assert sheet["identify_method_ja"] == "マイナンバーカード（暗証番号）"
    flat = repr(sheet)
    for secret in (kit.RESIDENT_NUMBER, kit.RESIDENT_NAME, kit.RESIDENT_ADDRESS, "**** ****"):
        assert secret not in flat


def test_guide_sheet_after_close_and_for_manual_entry(kit, catalogue, clock):
    visit = Visit.start(catalogue, session=clerk_session("c"), desk_id="desk-2", procedures=["juminhyo"], clock=clock)
    visit.identify(kit.manual_card())
    visit.cancel()
    sheet = guide_sheet_data(visit)  # card data is gone; the sheet never needed it
    assert sheet["card_items_read"] == [] and sheet["card_read_by_desk"] == "" and sheet["card_read_at"] is None
    assert sheet["identify_method_en"] == "Manual entry (other ID document)"


def test_confirmation_items_mask_the_number_and_show_labels(kit, catalogue, clock):
    from dxdesk.counter import confirmation_items

    visit = identified(kit, catalogue, clock, ["kokuho_kanyu"], with_number=True)
    visit.set_name_kana("こくとう みきや")
    visit.answer("kokuho_reason", "move_in")
    visit.answer("kokuho_start_on", "令和8年4月1日")
    items = {i.key: i for i in confirmation_items(visit)}
    assert items["card.name"].value == kit.RESIDENT_NAME and items["card.name"].reading == "コクトウ\u3000ミキヤ"
    assert items["card.my_number"].value == "**** **** 7188"
    assert kit.RESIDENT_NUMBER not in repr(items)
    assert items["interview.kokuho_reason"].value == "転入"
    assert items["interview.kokuho_start_on"].value == "2026-04-01"
    assert "interview.previous_insurance_lost_on" not in items  # hidden question


@pytest.fixture
def tokyo_time(monkeypatch):
    """The desk PC's local zone is Japan (the process zone is re-read through time.tzset)."""
    import time

    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_form_date_is_the_desks_day_not_utcs(kit, catalogue, clock, tokyo_time):
    # 2026-04-01 08:30 in Japan, opening time: still 2026-03-31 in UTC.
    clock.now = datetime(2026, 3, 31, 23, 30, tzinfo=timezone.utc)
    visit = identified(kit, catalogue, clock, ["tennyu"])
    computed = build_form_data(visit)["computed"]
    assert computed["today"] == date(2026, 4, 1)
    assert guide_sheet_data(visit)["date"] == date(2026, 4, 1)


def test_age_turns_on_the_birthday_in_japan(kit, catalogue, clock, tokyo_time):
    # The resident (born 1980-02-17) turns 46 at 00:00 JST on 2026-02-17, i.e. 15:00 UTC the day before.
    clock.now = datetime(2026, 2, 16, 15, 0, tzinfo=timezone.utc)
    assert build_form_data(identified(kit, catalogue, clock, ["tennyu"]))["computed"]["age"] == 46
    clock.now = datetime(2026, 2, 16, 14, 59, tzinfo=timezone.utc)
    assert build_form_data(identified(kit, catalogue, clock, ["tennyu"]))["computed"]["age"] == 45

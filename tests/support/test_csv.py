from __future__ import annotations

import csv
import dataclasses
import io

import pytest

from dxdesk.support import kpi
from dxdesk.support.catalog import Catalog
from dxdesk.support.csv_import import ImportFileError, content_uuid, import_csv, import_csv_text
from dxdesk.support.csvio import COLUMNS, header, summary_path_for, write_csv_pair
from dxdesk.support.repository import InMemoryRepository

from .conftest import sid  # noqa: E402


@pytest.fixture
def catalog():
    return Catalog.seeded()


def _export(tmp_path, sessions, catalog, language="ja"):
    out = tmp_path / "support.csv"
    write_csv_pair(out, sessions, kpi.summarize(sessions), catalog, language)
    return out


def test_export_is_excel_friendly(tmp_path, dataset, catalog):
    out = _export(tmp_path, dataset, catalog)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM
    assert raw.count(b"\r\n") >= 13 and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == header("ja") == [c.ja for c in COLUMNS]
    assert len(rows) == 1 + 12  # deleted session not exported
    by_id = {r[0]: dict(zip([c.key for c in COLUMNS], r)) for r in rows[1:]}
    six = by_id[sid(6)]
    assert six["topics"] == "insurance_account;mynumber_use"
    assert six["topic_labels"] == "健康保険証利用・公金受取口座登録;マイナンバーカード利用(マイナポータル等)"
    assert six["note"].startswith("'=")  # formula injection neutralised
    assert "090-0000-1111" not in raw.decode("utf-8-sig")  # follow-up contact never exported
    assert by_id[sid(10)]["follow_up_closed_at"] == "2026-06-12 09:00"


def test_summary_csv(tmp_path, dataset, catalog):
    out = _export(tmp_path, dataset, catalog)
    summary = summary_path_for(out)
    assert summary.name == "support_summary.csv"
    raw = summary.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["区分", "コード", "項目", "値"]
    values = {(r[0], r[1]): r[3] for r in rows[1:]}
    assert values[("合計", "sessions")] == "12"
    assert values[("相談内容別", "line")] == "4"
    assert values[("参加者数", "mean")] == "3.25"
    assert values[("支援体制", "understaffed")] == "4"
    assert values[("参加者数", "mean:other")] == ""  # no data is blank, not 0


def test_round_trip_and_idempotent_reimport(tmp_path, dataset, catalog):
    dataset[0] = dataclasses.replace(dataset[0], started_at=dataset[0].started_at.replace(second=42))
    for language in ("ja", "en"):
        out = _export(tmp_path, dataset, catalog, language)
        repo = InMemoryRepository()
        first = import_csv(out, repo)
        assert first.ok and first.rows == 12 and len(first.imported) == 12
        live = [s for s in dataset if not s.deleted]
        assert repo.list() == sorted(live, key=lambda s: (s.started_at, s.id))  # same data (contact excluded)
        second = import_csv(out, repo)
        assert second.imported == [] and len(second.already_present) == 12
        assert len(repo.list()) == 12


def test_rows_without_id_get_a_stable_uuid5(catalog):
    text = (
        "開始日時,会場,会場種別,トピック,端末,年齢層,参加者数,支援者数,所要時間(分),結果\r\n"
        "2025/6/3 9:05,中央公民館,公民館・集会所,LINE・SNS、地図アプリ,Android,75〜79歳,３,1,60,解決\r\n"
    )
    repo = InMemoryRepository()
    result = import_csv_text(text, repo)
    assert result.ok and len(result.imported) == 1
    s = repo.get(result.imported[0])
    assert s.topics == ("line", "maps") and s.attendees == 3 and s.age_band == "75-79"
    assert s.venue_type == "community_hall" and s.outcome == "resolved"
    again = import_csv_text(text, repo)  # a town re-imports last year's sheet
    assert again.imported == [] and again.already_present == result.imported
    # Same content in another topic order is the same session.
    reordered = text.replace("LINE・SNS、地図アプリ", "地図アプリ;LINE・SNS")
    assert import_csv_text(reordered, repo).already_present == result.imported
    assert content_uuid({"a": 1}) == content_uuid({"a": 1}) != content_uuid({"a": 2})


BAD = (
    "ID,開始日時,会場,会場種別,トピック,端末,年齢層,参加者数,支援者数,所要時間(分),結果\r\n"
    ",2026-10-01 10:00,中央公民館,community_hall,power,android,75-79,1,1,20,resolved\r\n"  # row 2: fine
    ",2026-13-45 10:00,中央公民館,community_hall,power,android,75-79,1,1,20,resolved\r\n"  # row 3: bad date
    ",2026-10-02 10:00,中央公民館,community_hall,karaoke,android,75-79,1,1,20,resolved\r\n"  # row 4: unknown topic
    ",2026-10-03 10:00,中央公民館,community_hall,power,android,75-79,0,1,20,resolved\r\n"  # row 5: attendees 0
    ",2026-10-04 10:00,中央公民館,community_hall,power,android,90+,1,1,20,resolved\r\n"  # row 6: bad age band
    "\r\n"
    ",2026-10-05 10:00,中央公民館,community_hall,line,iphone,80+,2,2,30,partly\r\n"  # row 8: fine
)


def test_bad_rows_reported_with_row_and_column(catalog):
    repo = InMemoryRepository()
    result = import_csv_text(BAD, repo)
    where = [(e.row, e.column) for e in result.errors]
    assert where == [(3, "開始日時"), (4, "トピック"), (5, "参加者数"), (6, "年齢層")]
    text = [str(e) for e in result.errors]
    assert text[0].startswith("row 3, column '開始日時': cannot read date/time '2026-13-45 10:00'")
    assert "unknown topic 'karaoke'" in text[1]
    assert "from 1 to 500 (got 0)" in text[2]
    assert "'90+' is not one of" in text[3]
    assert all(e.message.ja for e in result.errors)
    assert result.rows == 6 and len(result.imported) == 2  # default: valid rows go in


def test_all_or_nothing_imports_nothing_on_error():
    repo = InMemoryRepository()
    result = import_csv_text(BAD, repo, all_or_nothing=True)
    assert result.aborted and len(result.errors) == 4 and repo.list() == []


def test_file_level_errors(tmp_path):
    with pytest.raises(ImportFileError, match="missing columns: .*attendees"):
        import_csv_text("開始日時,会場\r\n2026-10-01,x\r\n", InMemoryRepository())
    with pytest.raises(ImportFileError, match="empty"):
        import_csv_text("", InMemoryRepository())
    with pytest.raises(ImportFileError, match="cannot read"):
        import_csv(tmp_path / "missing.csv", InMemoryRepository())


def test_shift_jis_file_from_excel(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(BAD.splitlines()[0].encode("cp932") + b"\r\n" + BAD.splitlines()[1].encode("cp932") + b"\r\n")
    result = import_csv(path, InMemoryRepository())
    assert result.ok and len(result.imported) == 1


@pytest.mark.parametrize(
    "written, band",
    [("75〜79歳", "75-79"), ("75～79", "75-79"), ("80歳以上", "80+"), ("65歳未満", "<65"), ("７０-７４", "70-74")],
)
def test_age_band_spellings_from_spreadsheets(written, band):
    text = (
        "開始日時,会場,会場種別,トピック,端末,年齢層,参加者数,支援者数,所要時間(分),結果\r\n"
        f"2025-06-03 09:05,中央公民館,community_hall,line,android,{written},1,1,20,resolved\r\n"
    )
    repo = InMemoryRepository()
    result = import_csv_text(text, repo)
    assert result.ok, [str(e) for e in result.errors]
    assert repo.get(result.imported[0]).age_band == band


def test_import_registers_new_venues(tmp_path, dataset, catalog):
    repo = InMemoryRepository()
    import_csv(_export(tmp_path, dataset, catalog), repo)
    venues = {v.name: v.venue_type for v in repo.catalog().venues}
    assert venues == {"本庁舎窓口": "counter", "中央公民館": "community_hall", "駅前ショップ": "shop",
                      "訪問支援": "home_visit"}

"""`dxdesk procedures list|check` and `dxdesk visit pending`, through the real dispatcher."""
from __future__ import annotations

import json

from dxdesk.cli import main
from dxdesk.counter import Visit, VisitJournal
from dxdesk.paths import app_paths
from clerks import clerk_session


def test_procedures_list(capsys):
    assert main(["procedures", "list"]) == 0
    out = capsys.readouterr().out
    assert "tennyu" in out and "Moving-in notification" in out and "[My Number]" in out
    assert main(["procedures", "list", "--lang", "ja", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    tennyu = next(r for r in rows if r["id"] == "tennyu")
    assert tennyu["forms"] == ["idou_todoke"] and tennyu["requires_my_number"] is True


def test_procedures_check_ok_and_failing(capsys, tmp_path):
    assert main(["procedures", "check"]) == 0
    assert capsys.readouterr().out.startswith("OK: ")
    (tmp_path / "bad.toml").write_text('id = "bad"\nname = { ja = "x", en = "y" }\ncounter = 3\n', encoding="utf-8")
    assert main(["procedures", "check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"{tmp_path / 'bad.toml'}: counter: required" in out


def test_procedures_list_with_broken_town_override_is_a_user_error(capsys):
    town = app_paths().data_dir / "procedures"
    town.mkdir(parents=True)
    (town / "tennyu.toml").write_text("id = \n", encoding="utf-8")
    assert main(["procedures", "list"]) == 2
    err = capsys.readouterr().err
    assert "tennyu.toml" in err and "Traceback" not in err


def test_visit_pending(capsys, catalogue, key_provider):
    assert main(["visit", "pending"]) == 0
    assert "No unfinished visits" in capsys.readouterr().out
    visit = Visit.start(catalogue, session=clerk_session("clerk-7"), desk_id="desk-1", procedures=["juminhyo"], journal=VisitJournal(key_provider))
    assert main(["visit", "pending"]) == 0
    out = capsys.readouterr().out
    assert visit.id in out and "identify" in out and "juminhyo" in out
    assert main(["visit", "pending", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["visit_id"] == visit.id and row["suspended"] is False


def test_procedures_check_of_a_town_folder_sees_the_shipped_follow_ons(capsys, tmp_path):
    (tmp_path / "pet.toml").write_text(
        'id = "pet"\nname = { ja = "犬の登録", en = "Dog registration" }\n'
        'counter = { id = "kankyo", ja = "環境課", en = "Environment Division" }\n'
        'forms = []\nfollow_ons = ["juminhyo"]\n',
        encoding="utf-8",
    )
    assert main(["procedures", "check", str(tmp_path)]) == 0
    assert "OK" in capsys.readouterr().out

"""[form_map] tables: loading, validation, applying them in build_form_data, and the template cross-check."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dxdesk.cli import main
from dxdesk.counter import Visit, build_form_data, check_catalogue, load_catalogue
from dxdesk.counter.formcheck import check_form_maps
from clerks import clerk_session

HEADER = '''id = "pet"
name = { ja = "犬の登録", en = "Dog registration" }
counter = { id = "kankyo", ja = "環境課", en = "Environment Division" }
forms = ["juminhyo_request"]

[[questions]]
id = "copies"
label = { ja = "通数", en = "Copies" }
type = "int"

[[questions]]
id = "who"
label = { ja = "範囲", en = "Scope" }
type = "choice"
choices = [{ value = "everyone", ja = "全員", en = "All" }, { value = "me", ja = "本人", en = "Me" }]
'''


def write(tmp_path: Path, form_map: str) -> Path:
    path = tmp_path / "pet.toml"
    path.write_text(HEADER + "\n[form_map.juminhyo_request]\n" + form_map, encoding="utf-8")
    return path


def issues_for(tmp_path: Path, form_map: str) -> dict[str, str]:
    path = write(tmp_path, form_map)
    _, issues = check_catalogue([tmp_path], known_forms={"juminhyo_request"})
    assert all(i.file == str(path) for i in issues)
    return {i.key: i.message.en for i in issues}


@pytest.mark.parametrize(("form_map", "key", "words"), [
    ('count_juminhyo = { question = "copis" }\n', "form_map.juminhyo_request.count_juminhyo.question", "'copis' is not asked"),
    ('scope = { question = "who", map = { everybody = "all" } }\n', "form_map.juminhyo_request.scope.map.everybody",
     "not a choice of 'who'"),
    ('kana_name = { card = "my_number" }\n', "form_map.juminhyo_request.kana_name.card", "unknown card value"),
    ('kana_name = { card = "name_kana", kana = "romaji" }\n', "form_map.juminhyo_request.kana_name.kana", "hiragana"),
    ('scope = "all"\n', "form_map.juminhyo_request.scope", 'write a constant as { value = "..." }'),
    ('scope = { question = "who", value = "all" }\n', "form_map.juminhyo_request.scope", "exactly one of"),
    ('scope = { question = "who", label = true, map = { me = "part" } }\n', "form_map.juminhyo_request.scope.label",
     "either label or map"),
    ('count_juminhyo = { question = "copies", when = { question = "who", equals = "nobody" } }\n',
     "form_map.juminhyo_request.count_juminhyo.when", "'nobody' is not a choice"),
    ('scope = [{ question = "who" }, { question = "nope" }]\n', "form_map.juminhyo_request.scope[1].question", "'nope'"),
    ('scope = { question = "who", color = "red" }\n', "form_map.juminhyo_request.scope.color", "unknown key"),
])
def test_mapping_errors_name_file_and_key(tmp_path, form_map, key, words):
    found = issues_for(tmp_path, form_map)
    assert key in found, found
    assert words in found[key]


def test_mapping_for_a_form_the_procedure_does_not_print(tmp_path):
    path = tmp_path / "pet.toml"
    path.write_text(HEADER + '\n[form_map.koseki_request]\nhonseki = "manual"\n', encoding="utf-8")
    _, issues = check_catalogue([tmp_path], known_forms={"juminhyo_request", "koseki_request"})
    [issue] = issues
    assert issue.key == "form_map.koseki_request" and "not in this procedure's forms" in issue.message.en
    assert issue.message.ja.startswith("様式「koseki_request」")


def test_a_valid_mapping_loads(tmp_path):
    write(tmp_path, 'scope = { question = "who", map = { everyone = "all", me = "part" } }\ncount_kisai = "manual"\n'
                    'movers = { rows = [{ name = { card = "name" } }] }\n')
    catalogue = load_catalogue([tmp_path], known_forms={"juminhyo_request"})
    mappings = {m.key: m for m in catalogue.get("pet").form_map("juminhyo_request")}
    assert dict(mappings["scope"].sources[0].choice_map) == {"everyone": "all", "me": "part"}
    assert mappings["count_kisai"].manual
    assert mappings["movers"].rows[0][0].sources[0].card == "name"


# -- applying the mapping ------------------------------------------------------------------------

def identified(kit, catalogue, clock, procedures, answers, with_number=False) -> Visit:
    visit = Visit.start(catalogue, session=clerk_session("c"), desk_id="d", desk_name="1番窓口", procedures=procedures, clock=clock)
    visit.identify(kit.card_with_pin(with_number=with_number))
    visit.set_name_kana("こくとう みきや")
    for qid, value in answers.items():
        visit.answer(qid, value)
    return visit


JUMINHYO = {"juminhyo_copies": 2, "scope": "household", "include_items": ["head_relationship", "my_number"],
            "juminhyo_purpose": "bank", "requester": "agent", "submit_to": "北海道銀行"}


def test_build_form_data_for_a_form_uses_the_template_keys(kit, catalogue, clock):
    visit = identified(kit, catalogue, clock, ["juminhyo"], JUMINHYO)
    interview = build_form_data(visit, "juminhyo_request")["interview"]
    assert interview["count_juminhyo"] == 2
    assert interview["scope"] == "all"  # the template's option, not the catalogue's "household"
    assert interview["kana_name"] == "こくとう\u3000みきや"  # confirmed reading, in hiragana for ふりがな
    assert interview["relationship"] == "other"
    assert interview["purpose"] == "other" and interview["purpose_note"] == "銀行・金融機関"
    assert interview["include_head"] is True and interview["include_my_number"] is True
    assert "include_honseki" not in interview
    assert interview["submit_to"] == "北海道銀行"
    # Answers stay available under their own ids too.
    assert interview["juminhyo_copies"] == 2 and interview["juminhyo_purpose"] == "bank"
    # Without a form id: the answers as they are (as before).
    plain = build_form_data(visit)["interview"]
    assert plain["scope"] == "household" and "count_juminhyo" not in plain


def test_a_mapped_key_never_falls_back_to_another_procedures_answer(kit, catalogue, clock):
    # 転入届 asks "relationship" (spouse/child/...); the 住民票 request maps its own relationship from
    # "requester". Unanswered, the form must get nothing rather than 転入届's "spouse".
    answers = {**kit.TENNYU_ANSWERS, "household": "join", "head_of_household": "黒桐　鮮花", "relationship": "spouse"}
    visit = identified(kit, catalogue, clock, ["tennyu", "juminhyo"], answers, with_number=True)
    interview = build_form_data(visit, "juminhyo_request")["interview"]
    assert "relationship" not in interview
    todoke = build_form_data(visit, "idou_todoke")["interview"]
    assert todoke["move_type"] == "in" and todoke["moving_date"] == date(2026, 3, 28)
    assert todoke["new_head"] == "黒桐　鮮花"
    [mover] = todoke["movers"]
    assert mover == {"kana": "こくとう\u3000みきや", "name": kit.RESIDENT_NAME, "birth_date": date(1980, 2, 17),
                     "sex": "男", "relationship": "妻・夫"}


def test_new_household_of_one_makes_the_resident_its_head(kit, catalogue, clock):
    visit = identified(kit, catalogue, clock, ["tennyu"], kit.TENNYU_ANSWERS, with_number=True)
    todoke = build_form_data(visit, "idou_todoke")["interview"]
    assert todoke["new_head"] == kit.RESIDENT_NAME and todoke["movers"][0]["relationship"] == "世帯主"
    assert "my_number" not in todoke["movers"][0]  # the number is only ever in card.my_number
    visit.answer("members_moving", 3)  # with others, who heads the household is for the clerk to ask
    todoke = build_form_data(visit, "idou_todoke")["interview"]
    assert "new_head" not in todoke and "relationship" not in todoke["movers"][0]


def test_copy_counts_go_to_the_lines_of_the_chosen_certificates(kit, catalogue, clock):
    visit = identified(kit, catalogue, clock, ["zei_shomei"], {
        "tax_certificate_types": ["shotoku", "hikazei"], "fiscal_year": 2025, "tax_copies": 2,
        "tax_purpose": "pension", "requester": "self"})
    interview = build_form_data(visit, "tax_certificate_request")["interview"]
    assert (interview["count_shotoku"], interview["count_kazei"]) == (2, 2)
    assert not {"count_nozei", "count_kei", "count_shisan"} & set(interview)
    assert interview["purpose"] == "other" and interview["purpose_note"] == "年金・保険"
    assert interview["tax_year"] == 2025 and interview["relationship"] == "self"


# -- cross-check against the templates -----------------------------------------------------------

def test_check_warns_about_unmapped_fields_and_manual_silences_them(tmp_path):
    write(tmp_path, 'scope = { question = "who", map = { everyone = "all", me = "part" } }\n'
                    'count_juminhyo = { question = "copies" }\ncount_kisai = "manual"\nfur = { value = "x" }\n')
    catalogue = load_catalogue([tmp_path], known_forms={"juminhyo_request"})
    issues = check_form_maps(catalogue)
    assert all(i.warning for i in issues)
    keys = {i.key for i in issues}
    assert "form_map.juminhyo_request.kana_name" in keys and "form_map.juminhyo_request.purpose" in keys
    assert not {"form_map.juminhyo_request.scope", "form_map.juminhyo_request.count_kisai"} & keys
    fur = next(i for i in issues if i.key == "form_map.juminhyo_request.fur")
    assert "does not read interview.fur" in fur.message.en


def test_check_reports_values_the_form_cannot_show(tmp_path):
    write(tmp_path, 'scope = { question = "who", map = { everyone = "all" } }\n'
                    'relationship = { value = "friend" }\nkana_name = { rows = [{ name = { card = "name" } }] }\n')
    catalogue = load_catalogue([tmp_path], known_forms={"juminhyo_request"})
    errors = {i.key: i.message.en for i in check_form_maps(catalogue) if not i.warning}
    assert "'me' is not an option of the form's choice field 'scope_juminhyo'" in errors["form_map.juminhyo_request.scope"]
    assert "'friend' is not an option" in errors["form_map.juminhyo_request.relationship"]
    assert "rows can only fill a rows field" in errors["form_map.juminhyo_request.kana_name"]


def test_the_shipped_catalogue_maps_every_form_field(catalogue):
    assert check_form_maps(catalogue) == []


def test_procedures_check_cli_prints_warnings_and_fails_on_errors(capsys, tmp_path):
    write(tmp_path, 'scope = { question = "who", map = { everyone = "all", me = "part" } }\n')
    assert main(["procedures", "check", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "pet.toml: form_map.juminhyo_request.kana_name: warning:" in out and "warning(s)" in out
    assert out.splitlines()[-1].startswith("OK: ")
    write(tmp_path, 'scope = { question = "who" }\n')
    assert main(["procedures", "check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "pet.toml: form_map.juminhyo_request.scope: 'everyone' is not an option" in out

"""The shipped catalogue is valid and realistic; every kind of mistake a town can make is reported by file and key."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dxdesk.counter import CatalogueError, QuestionType, check_catalogue, load_catalogue
from dxdesk.counter.procedures import CARD_FIELDS, KNOWN_FORM_IDS
from dxdesk.resources import resource_path

SHIPPED = sorted(resource_path("procedures").glob("*.toml"))

REQUIRED_PROCEDURES = {
    "tennyu": "転入届", "tenshutsu": "転出届", "tenkyo": "転居届", "juminhyo": "住民票の写しの請求",
    "inkan_toroku": "印鑑登録", "inkan_shomei": "印鑑登録証明書の請求", "koseki_shomei": "戸籍証明書の請求",
    "zei_shomei": "税証明の請求", "kokuho_kanyu": "国民健康保険の加入", "jido_teate": "児童手当の認定請求",
}

MINIMAL = """
id = "{id}"
name = {{ ja = "テスト", en = "Test" }}
counter = {{ id = "jumin", ja = "1番窓口", en = "Window 1" }}
forms = ["juminhyo_request"]
"""


def write(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def issues_for(folder: Path) -> list[tuple[str, str]]:
    _, issues = check_catalogue([folder], known_forms=KNOWN_FORM_IDS)
    return [(Path(i.file).name, i.key) for i in issues]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_each_shipped_file_is_valid_on_its_own_terms(path, catalogue):
    # Loaded alone it may miss its follow-ons; everything else must be clean.
    _, issues = check_catalogue([path.parent], known_forms=KNOWN_FORM_IDS)
    assert [str(i) for i in issues if i.file == str(path)] == []
    procedure = catalogue.get(path.stem)
    assert procedure.questions, "a procedure without questions gives the interview nothing to do"
    assert set(procedure.forms) <= KNOWN_FORM_IDS
    assert set(procedure.retain) <= set(CARD_FIELDS)
    if "my_number" in procedure.retain:
        assert procedure.requires_my_number
    if procedure.requires_my_number:
        assert procedure.my_number_note is not None and "番号" in procedure.my_number_note.ja
    for question in procedure.questions:
        assert question.label.ja and question.label.en


def test_shipped_catalogue_has_the_required_procedures(catalogue):
    for pid, name in REQUIRED_PROCEDURES.items():
        assert catalogue.get(pid).name.ja == name


def test_moving_in_and_out_suggest_the_usual_follow_ons(catalogue):
    tennyu = {f.id for f in catalogue.get("tennyu").follow_ons}
    assert {"kokuho_kanyu", "jido_teate", "inkan_toroku", "tenko", "kaigo_hoken", "mynacard_jusho"} <= tennyu
    assert "kokuho_soshitsu" in {f.id for f in catalogue.get("tenshutsu").follow_ons}


def test_shipped_forms_match_the_forms_engine_ids(catalogue):
    assert catalogue.get("tennyu").forms == ("idou_todoke",)
    assert catalogue.get("juminhyo").forms == ("juminhyo_request",)
    assert catalogue.get("inkan_shomei").forms == ("inkan_request",)
    assert catalogue.get("koseki_shomei").forms == ("koseki_request",)
    assert catalogue.get("zei_shomei").forms == ("tax_certificate_request",)


def test_question_types_parsed(catalogue):
    types = {q.type for p in catalogue for q in p.questions}
    assert types == set(QuestionType)  # the shipped data exercises every type


def test_unknown_question_type_names_file_and_key(tmp_path):
    write(tmp_path, "a", MINIMAL.format(id="a") + """
[[questions]]
id = "q1"
label = { ja = "質問", en = "Q" }
type = "text"

[[questions]]
id = "q2"
label = { ja = "質問", en = "Q" }
type = "colour"
""")
    _, issues = check_catalogue([tmp_path], known_forms=KNOWN_FORM_IDS)
    assert [(Path(i.file).name, i.key) for i in issues] == [("a.toml", "questions[1].type")]
    assert "colour" in issues[0].message.en and "colour" in issues[0].message.ja
    assert str(issues[0]).startswith(str(tmp_path / "a.toml") + ": questions[1].type: unknown question type")


def test_follow_on_that_does_not_exist(tmp_path):
    write(tmp_path, "a", MINIMAL.format(id="a") + 'follow_ons = ["b", "ghost"]\n')
    write(tmp_path, "b", MINIMAL.format(id="b"))
    catalogue, issues = check_catalogue([tmp_path], known_forms=KNOWN_FORM_IDS)
    assert [(Path(i.file).name, i.key) for i in issues] == [("a.toml", "follow_ons[1]")]
    assert "ghost" in issues[0].message.en
    assert catalogue.ids() == ("b",)  # the broken procedure is left out, the good one stays


def test_duplicate_ids(tmp_path):
    write(tmp_path, "a", MINIMAL.format(id="a") + """
[[questions]]
id = "q"
label = { ja = "一", en = "One" }
type = "text"

[[questions]]
id = "q"
label = { ja = "二", en = "Two" }
type = "text"
""")
    assert issues_for(tmp_path) == [("a.toml", "questions[1].id")]


def test_id_must_match_file_name_so_overrides_are_predictable(tmp_path):
    write(tmp_path, "a", MINIMAL.format(id="b"))
    assert issues_for(tmp_path) == [("a.toml", "id")]


def test_unknown_form_and_duplicate_form(tmp_path):
    write(tmp_path, "a", MINIMAL.format(id="a").replace('["juminhyo_request"]', '["juminhyo_request", "nope", "juminhyo_request"]'))
    assert issues_for(tmp_path) == [("a.toml", "forms[1]"), ("a.toml", "forms")]


def test_typo_in_key_is_reported(tmp_path):
    write(tmp_path, "a", MINIMAL.format(id="a") + 'folow_ons = ["x"]\n')
    assert issues_for(tmp_path) == [("a.toml", "folow_ons")]


def test_my_number_rules(tmp_path):
    write(tmp_path, "a", MINIMAL.format(id="a") + 'retain = ["name", "my_number"]\n')
    write(tmp_path, "b", MINIMAL.format(id="b") + "requires_my_number = true\n")  # no legal note
    write(tmp_path, "c", MINIMAL.format(id="c") + 'retain = ["shoe_size"]\n')
    assert issues_for(tmp_path) == [("a.toml", "retain"), ("b.toml", "my_number_note"), ("c.toml", "retain[0]")]


def test_question_details_are_checked(tmp_path):
    write(tmp_path, "a", MINIMAL.format(id="a") + """
[[questions]]
id = "pick"
label = { ja = "選択", en = "Pick" }
type = "choice"

[[questions]]
id = "n"
label = { ja = "数", en = "N" }
type = "int"
validation = { min = 5, max = 1, regex = "x" }

[[questions]]
id = "t"
label = { ja = "文字", en = "T" }
type = "text"
validation = { regex = "[" }

[[questions]]
id = "later"
label = { ja = "条件", en = "Cond" }
type = "text"
show_if = { question = "not_yet", equals = "x" }

[[questions]]
id = "no_en"
label = { ja = "英語なし" }
type = "bool"
""")
    assert issues_for(tmp_path) == [
        ("a.toml", "questions[0].choices"),
        ("a.toml", "questions[1].validation.regex"),
        ("a.toml", "questions[1].validation"),
        ("a.toml", "questions[2].validation.regex"),
        ("a.toml", "questions[3].show_if.question"),
        ("a.toml", "questions[4].label"),
    ]


def test_show_if_value_must_be_a_choice(tmp_path):
    write(tmp_path, "a", MINIMAL.format(id="a") + """
[[questions]]
id = "kind"
label = { ja = "種類", en = "Kind" }
type = "choice"
choices = [{ value = "x", ja = "X", en = "X" }]

[[questions]]
id = "detail"
label = { ja = "詳細", en = "Detail" }
type = "text"
show_if = { question = "kind", equals = "y" }
""")
    assert issues_for(tmp_path) == [("a.toml", "questions[1].show_if.equals")]


def test_shared_question_id_must_mean_the_same_thing(tmp_path):
    q = '\n[[questions]]\nid = "phone"\nlabel = {{ ja = "電話", en = "Phone" }}\ntype = "{t}"\n'
    write(tmp_path, "a", MINIMAL.format(id="a") + q.format(t="phone"))
    write(tmp_path, "b", MINIMAL.format(id="b") + q.format(t="text"))
    assert issues_for(tmp_path) == [("b.toml", "questions[0].id")]


def test_broken_toml_is_reported_not_raised(tmp_path):
    write(tmp_path, "a", 'id = "a"\nname = { ja = "x"\n')
    issues = check_catalogue([tmp_path], known_forms=KNOWN_FORM_IDS)[1]
    assert len(issues) == 1 and issues[0].key == "" and "TOML" in issues[0].message.en


def test_load_catalogue_raises_with_every_issue(tmp_path):
    write(tmp_path, "a", MINIMAL.format(id="a") + 'follow_ons = ["ghost"]\n')
    write(tmp_path, "b", MINIMAL.format(id="b") + 'forms = ["x"]\n')  # also a TOML duplicate key
    with pytest.raises(CatalogueError) as info:
        load_catalogue([tmp_path], known_forms=KNOWN_FORM_IDS)
    assert {Path(i.file).name for i in info.value.issues} == {"a.toml", "b.toml"}
    assert "a.toml" in str(info.value)


def test_town_override_replaces_shipped_procedure_and_adds_new_ones(dxdesk_home):
    from dxdesk.paths import app_paths

    town = app_paths().data_dir / "procedures"
    shipped = (resource_path("procedures") / "juminhyo.toml").read_text(encoding="utf-8")
    write(town, "juminhyo", shipped.replace("住民課 住民係（1番窓口）", "町民課（2番窓口）"))
    write(town, "pet_registration", MINIMAL.format(id="pet_registration").replace('["juminhyo_request"]', "[]") + """
[[questions]]
id = "dog_name"
label = { ja = "犬の名前", en = "Dog's name" }
type = "text"
required = true
""")
    catalogue = load_catalogue()
    assert catalogue.get("juminhyo").counter.name.ja == "町民課（2番窓口）"
    assert catalogue.get("juminhyo").source_file.startswith(str(town))
    assert "pet_registration" in catalogue and "tennyu" in catalogue


def test_forms_from_the_forms_engine_folder_are_accepted(tmp_path):
    write(tmp_path, "a", MINIMAL.format(id="a").replace('["juminhyo_request"]', '["kokuho_shutoku"]'))
    assert check_catalogue([tmp_path], known_forms=KNOWN_FORM_IDS | {"kokuho_shutoku"})[1] == []

"""Form data checked like a clerk would: required fields, My Number check digit, birth dates, bounds, BOM."""
from __future__ import annotations

import json
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dxdesk.cli import main
from dxdesk.forms import FormData, fill_form
from dxdesk.forms.checks import birth_date_problem, my_number_problem
from dxdesk.forms.data import MAX_DEPTH, MAX_TEXT, check_bounds

from .helpers import DATA


def _raw(**card) -> dict:
    raw = json.loads((DATA / "resident.json").read_text(encoding="utf-8"))
    raw["card"].update(card)
    return raw


def _issues(form: str, raw: dict) -> list[tuple[str, str]]:
    result = fill_form(form, FormData.from_dict(raw).with_computed())
    return [(i.kind, i.field) for i in result.issues]


def _write(tmp_path, raw, bom: bool = False):
    path = tmp_path / "d.json"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + json.dumps(raw, ensure_ascii=False).encode("utf-8"))
    return path


def test_missing_name_and_address_are_issues_not_a_blank_form():
    raw = _raw()
    del raw["card"]["name"], raw["card"]["family_name"], raw["card"]["given_name"], raw["card"]["address"]
    assert ("missing", "name") in _issues("juminhyo_request", raw)
    assert ("missing", "address") in _issues("juminhyo_request", raw)
    assert ("missing", "name") in _issues("guide_sheet", raw)


def test_my_number_check_digit_and_length():
    assert my_number_problem("123456789018") is None  # the fixture's number has a valid check digit
    assert my_number_problem("1234-5678-9018") is None
    assert "check digit" in (my_number_problem("123456789010") or "")
    assert "12 digits" in (my_number_problem("1234") or "")
    assert _issues("idou_todoke", _raw(my_number="123456789010")) == [("bad_value", "my_number")]
    assert _issues("idou_todoke", _raw(my_number="1234")) == [("bad_value", "my_number")]


def test_birth_dates_outside_the_wareki_table_or_in_the_future_are_issues_not_crashes():
    raw = _raw(birth_date="1868-01-01")
    data = FormData.from_dict(raw).with_computed()  # used to raise ValueError here
    assert "birth_date_wareki" not in data.computed
    assert ("bad_value", "birth_date") in _issues("juminhyo_request", raw)
    assert ("bad_value", "birth_date") in _issues("juminhyo_request", _raw(birth_date="2099-01-01"))
    assert birth_date_problem("2099-01-01", FormData().with_computed().computed["today"]) == \
        "the birth date is in the future"


def test_a_mover_born_in_the_future_is_named_by_row():
    raw = _raw()
    raw["interview"]["movers"][1]["birth_date"] = "2099-04-01"
    assert ("bad_value", "movers[2].birth_date") in _issues("idou_todoke", raw)


def test_cli_messages_name_the_field_and_never_the_value(tmp_path, capsys):
    path = _write(tmp_path, _raw(my_number="123456789010", birth_date="1868-01-01"))
    assert main(["form", "check", "idou_todoke", "--data", str(path)]) == 1
    err = capsys.readouterr().err
    assert "my_number: the individual number fails its check digit" in err
    assert "birth_date: the birth date is not a date in the 和暦 table" in err
    assert "123456789010" not in err and "unexpected error" not in err


def test_utf8_bom_is_accepted(tmp_path, capsys):
    path = _write(tmp_path, _raw(), bom=True)
    assert main(["form", "check", "juminhyo_request", "--data", str(path)]) == 0, capsys.readouterr().err


def test_huge_and_deep_input_is_refused_with_a_sentence(tmp_path, capsys):
    path = _write(tmp_path, _raw(address="町" * 1_000_000))
    assert main(["form", "check", "juminhyo_request", "--data", str(path)]) == 2
    assert "larger than 256 kB" in capsys.readouterr().err
    path = _write(tmp_path, _raw(address="町" * (MAX_TEXT + 1)))
    assert main(["form", "check", "juminhyo_request", "--data", str(path)]) == 2
    assert f"card.address has {MAX_TEXT + 1} characters" in capsys.readouterr().err
    path = tmp_path / "deep.json"
    path.write_text('{"interview": {"x": ' + "[" * 50_000 + "]" * 50_000 + "}}", encoding="utf-8")
    assert main(["form", "check", "juminhyo_request", "--data", str(path)]) == 2
    err = capsys.readouterr().err
    assert "nested" in err and "unexpected error" not in err


JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(string.ascii_lowercase, max_size=8), inner, max_size=4),
                           max_leaves=30)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(card=st.dictionaries(st.sampled_from(["name", "address", "birth_date", "my_number", "sex", "x"]), JSON_VALUES),
       interview=st.dictionaries(st.sampled_from(["movers", "procedures", "relationship", "purpose", "phone"]),
                                 JSON_VALUES))
def test_any_json_shaped_data_gives_issues_or_a_sentence_never_a_crash(card, interview):
    raw = {"card": card, "interview": interview}
    try:
        data = FormData.from_dict(raw).with_computed()
    except ValueError as exc:
        assert str(exc)  # a sentence
        return
    for form in ("idou_todoke", "guide_sheet"):
        result = fill_form(form, data)
        assert result.pdf.startswith(b"%PDF")
        assert all(i.field and i.message for i in result.issues)


@given(depth=st.integers(0, 40))
def test_bounds_name_the_path_of_what_is_too_deep(depth):
    node: object = "x"
    for _ in range(depth):
        node = {"k": node}
    try:
        check_bounds({"interview": node})
    except ValueError as exc:
        assert depth + 1 > MAX_DEPTH and str(exc).startswith("interview.k")
    else:
        assert depth + 1 <= MAX_DEPTH

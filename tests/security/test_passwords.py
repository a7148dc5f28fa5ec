from __future__ import annotations

import pytest

from dxdesk.security.common_passwords import common_passwords
from dxdesk.security.passwords import (
    DEFAULT_PARAMS, MSG_COMMON, MSG_CONTAINS_LOGIN, MSG_ONE_CHARACTER, MSG_SAME_AS_LOGIN, MSG_TOO_SHORT, PasswordHashError, ScryptParams, hash_password, needs_rehash,
    password_problems, verify_password,
)

FAST = ScryptParams(n=2**6)


def test_default_parameters_are_memory_hard():
    assert DEFAULT_PARAMS.n >= 2**14 and DEFAULT_PARAMS.r >= 8 and DEFAULT_PARAMS.p >= 1
    assert 128 * DEFAULT_PARAMS.n * DEFAULT_PARAMS.r >= 16 * 1024 * 1024  # at least 16 MiB per guess


def test_hash_encodes_parameters_and_verifies():
    encoded = hash_password("s3cret-pass", FAST)
    scheme, n, r, p, salt, digest = encoded.split("$")
    assert (scheme, n, r, p) == ("scrypt", "64", "8", "1")
    assert salt and digest
    assert verify_password("s3cret-pass", encoded)
    assert not verify_password("s3cret-pasS", encoded)
    assert hash_password("s3cret-pass", FAST) != encoded  # fresh salt every time


def test_needs_rehash_when_parameters_are_raised():
    weak = hash_password("s3cret-pass", FAST)
    assert needs_rehash(weak, ScryptParams(n=2**7))
    assert not needs_rehash(weak, FAST)
    assert needs_rehash("garbage", FAST)


@pytest.mark.parametrize("bad", ["", "md5$abc", "scrypt$x$8$1$AA==$AA==", "scrypt$64$8$1$!!$AA==", "scrypt$63$8$1$AA==$AA=="])
def test_malformed_hash_is_refused(bad):
    with pytest.raises(PasswordHashError):
        verify_password("whatever1", bad)


def test_policy_messages_in_both_languages():
    problems = password_problems("short", "tanaka")
    assert problems == [MSG_TOO_SHORT.format(min=8)]
    assert "8" in problems[0].ja and "8" in problems[0].en
    assert password_problems("Tanaka01", "tanaka01") == [MSG_SAME_AS_LOGIN]
    assert password_problems("a good passphrase", "tanaka") == []


@pytest.mark.parametrize("weak", ["password", "12345678", "aaaaaaaa", "PASSWORD", "ｐａｓｓｗｏｒｄ", "qwertyuiop",
                                  "iloveyou"])
def test_commonly_used_and_one_character_passwords_are_refused(weak):
    problems = password_problems(weak, "tanaka")
    assert problems, weak
    assert {p for p in problems} <= {MSG_COMMON, MSG_ONE_CHARACTER}
    assert all(p.ja and p.en for p in problems)


def test_all_one_character_is_refused_even_when_not_in_the_list():
    assert password_problems("ＺＺＺＺＺＺＺＺＺＺＺ", "tanaka") == [MSG_ONE_CHARACTER]
    assert password_problems("!!!!!!!!!!", "tanaka") == [MSG_ONE_CHARACTER]


def test_password_containing_the_login_is_refused():
    assert password_problems("tanaka-2024-spring", "Tanaka") == [MSG_CONTAINS_LOGIN]
    assert password_problems("my TANAKA passphrase", "tanaka") == [MSG_CONTAINS_LOGIN]
    # a two-letter login would refuse half the dictionary: only equality counts there
    assert password_problems("bold river 71", "ri") == []


def test_the_bundled_list_is_thousands_long_and_longer_than_the_minimum():
    words = common_passwords()
    assert len(words) > 5000
    assert {"password", "12345678", "aaaaaaaa", "sunshine", "princess"} <= words

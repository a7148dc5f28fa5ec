from __future__ import annotations

import pytest

from dxdesk.security.passwords import (
    DEFAULT_PARAMS, MSG_SAME_AS_LOGIN, MSG_TOO_SHORT, PasswordHashError, ScryptParams, hash_password, needs_rehash,
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

import logging
import os
import stat

import pytest

from dxdesk.log import REDACTED, RedactionFilter, redact, setup_logging
from dxdesk.paths import app_paths

MY_NUMBER = "537686677188"


@pytest.mark.parametrize(
    "text,secret",
    [
        (f"number is {MY_NUMBER}", MY_NUMBER),
        ("grouped 5376 8667 7188", "5376 8667 7188"),
        ("dashes 5376-8667-7188", "5376-8667-7188"),
        ("full width ５３７６８６６７７１８８", "５３７６８６６７７１８８"),
        ("> 00 20 00 80 04 31 32 33 34", "31 32 33 34"),
        ("> 0020008004 31323334", "31323334"),
        ("> 00 20 00 91 04 31 32 33 34", "31 32 33 34"),
        ("< FF 20 65 DF 21 08 00 0E 00 20 00 59 00 64 DF 22 0F E9 BB 92", "E9 BB 92"),
        ("< ff100c353337363836363737313838ffff", "353337"),
        ("user typed pin=1234", "1234"),
        ('{"password": "hunter22"}', "hunter22"),
    ],
)
def test_redact_removes_secrets(text, secret):
    out = redact(text)
    assert secret not in out
    assert REDACTED in out


@pytest.mark.parametrize(
    "text",
    [
        "query 00 20 00 80 -> 63 C3",  # empty VERIFY carries no PIN: keep it for diagnosis
        "READ BINARY 00 B0 00 00 07 sw=9000",
        "2026-11-25 11:22:33,123 visit 42 took 183 s",
        "postal code 123-4567, phone 03-1234-5678",
    ],
)
def test_redact_keeps_harmless_lines(text):
    assert redact(text) == text


def _read_log() -> str:
    return app_paths().log_file.read_text(encoding="utf-8")


def test_log_file_is_owner_only_and_redacted():
    path = setup_logging()
    logger = logging.getLogger("dxdesk.test")
    logger.info("read number %s for visit", MY_NUMBER)
    logger.warning("apdu %s", "00 20 00 80 04 31 32 33 34")
    try:
        raise ValueError(f"bad data {MY_NUMBER}")
    except ValueError:
        logger.exception("failed")
    for h in logging.getLogger().handlers:
        h.flush()
    mode = stat.S_IMODE(os.stat(path).st_mode)
    assert mode == 0o600
    text = _read_log()
    assert MY_NUMBER not in text
    assert "31 32 33 34" not in text
    assert "read number [REDACTED] for visit" in text
    assert "ValueError: bad data [REDACTED]" in text


def test_filter_survives_a_broken_format_string():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "value %d", ("not-a-number",), None)
    assert RedactionFilter().filter(record) is True
    assert "not-a-number" in record.getMessage()


def test_record_ids_survive_even_when_their_last_group_is_all_digits():
    visit_id = "8f3e2c1a-1234-4567-8901-123456789012"
    assert redact(f"visit {visit_id} stored; number 537686677188") == f"visit {visit_id} stored; number [REDACTED]"

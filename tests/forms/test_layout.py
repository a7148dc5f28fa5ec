from dxdesk.forms.glyphs import MISSING_MARK, missing_glyphs, split_runs
from dxdesk.forms.layout import fit_text

MM = 72 / 25.4


def test_fits_at_full_size_when_room():
    fit = fit_text("吉田　花子", "mincho", 90 * MM, 14 * MM, 16, 9)
    assert fit.size == 16 and len(fit.lines) == 1 and not fit.overflow


def test_shrinks_before_wrapping():
    text = "北海道白老郡サンプル町大町一丁目２番３号"  # 20 full-width characters
    fit = fit_text(text, "mincho", 20 * 10, 30, 12, 8)  # room for 20 chars at 10 pt
    assert len(fit.lines) == 1 and fit.size == 10


def test_wraps_when_minimum_size_is_not_enough_and_keeps_punctuation_off_line_starts():
    text = "あいうえおかきくけこ、さしすせそ。"
    fit = fit_text(text, "mincho", 10 * 10, 40, 10, 10)  # 10 chars per line at 10 pt
    assert [fit.line_text(i) for i in range(len(fit.lines))] == ["あいうえおかきくけこ、", "さしすせそ。"]
    assert not fit.overflow


def test_overflow_keeps_what_fits_and_says_so():
    fit = fit_text("あ" * 100, "mincho", 100, 25, 10, 10)
    assert fit.overflow and len(fit.lines) == 2 and sum(len(line) for line in fit.lines) == 20


def test_missing_characters_are_marked_never_dropped():
    runs, missing = split_runs("\U00020BB7田", "mincho", use_fallback=False)
    assert "".join(t for _, t in runs) == MISSING_MARK + "田"
    assert [m.code_point for m in missing] == ["U+20BB7"]
    assert missing_glyphs("髙橋﨑", "gothic") == []  # common 異体字 are in BIZ UD

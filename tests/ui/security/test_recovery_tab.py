"""管理 → 復旧キー on a real store, signed in as the administrator: set up the town key, confirm a received one."""
from __future__ import annotations

import base64
from pathlib import Path

import pytest
from accounts import add_ready_account
from PySide6.QtWidgets import QFileDialog
from sqlalchemy import select

from dxdesk.paths import app_paths
from dxdesk.security.audit import load_records
from dxdesk.security.permissions import Role
from dxdesk.security.recoverykey import RecoverySecret, fingerprint, fingerprint_id, legacy_fingerprint
from dxdesk.store.escrow import RECOVERY_PUBLIC_KEY
from dxdesk.store.models import DeskKey, SharedSetting
from dxdesk.store.problems import current_problems
from dxdesk.ui.admin.page import TAB_RECOVERY

from .conftest import PASSWORD

pytestmark = pytest.mark.ui


@pytest.fixture
def save_dialog(monkeypatch, tmp_path):
    """The administrator's answers to the save dialogs: a USB stick folder outside the desk's folders."""
    usb = tmp_path / "usb"
    usb.mkdir()
    asked: list[str] = []

    def answer(_parent, title, suggested, _filters):
        asked.append(title)
        return str(usb / Path(suggested).name), ""
    monkeypatch.setattr(QFileDialog, "getSaveFileName", answer)
    return usb, asked


def _events(db):
    with db.session() as s:
        return [r.event_type for r in load_records(s)]


def test_only_an_administrator_sees_the_recovery_tab(make_page, auth, admin):
    add_ready_account(auth, admin, "boss", "課長", Role.SUPERVISOR, PASSWORD)
    assert TAB_RECOVERY in make_page(admin).tab_titles()
    assert make_page(auth.sign_in("boss", PASSWORD)).recovery_tab is None


def test_set_up_the_town_recovery_key_saves_the_sheet_and_file_only(qtbot, make_page, admin, db, save_dialog):
    usb, asked = save_dialog
    page = make_page(admin)
    assert page.show_tab(TAB_RECOVERY)
    tab = page.recovery_tab
    assert tab.key_label.text() == "町の復旧キー: まだ作成されていません" and tab.setup_box.isVisible()

    with qtbot.waitSignal(tab.changed, timeout=10000):
        tab.setup_button.click()

    assert asked == ["復旧シート（PDF）の保存先", "USB メモリー用の復旧ファイルの保存先"]
    assert (usb / "dxdesk-recovery-sheet.pdf").read_bytes().startswith(b"%PDF")
    secret = RecoverySecret.parse((usb / "dxdesk-recovery.key").read_text())
    fp = fingerprint(secret.public)
    assert tab.key_label.text() == f"町の復旧キー: 指紋 {fp}"
    assert len(fp) == len("3f2a-91c0-5b7e-0d14")  # the 16 digits the sheet prints, in groups of 4
    assert tab.wrapped_label.text() == "この端末の鍵: 復旧キーで保護済み（監査ログ、データ）"
    assert fp in tab.status.text() and secret.check_code in tab.status.text()
    assert not tab.setup_box.isVisible() and not tab.accept_box.isVisible()
    for folder in (app_paths().config_dir, app_paths().data_dir):  # the secret is nowhere on the desk
        for f in folder.rglob("*"):
            assert not f.is_file() or secret.grouped.encode() not in f.read_bytes()
    assert "key.recovery_setup" in _events(db)


def test_a_received_key_is_used_only_after_the_sheet_fingerprint_is_typed(qtbot, make_page, admin, db):
    town = RecoverySecret.generate()  # set up at another desk; the public half arrived with a pull
    db.writer.run(lambda s: s.add(SharedSetting(key=RECOVERY_PUBLIC_KEY, value={
        "public": base64.b64encode(town.public).decode(), "fingerprint": fingerprint(town.public)})))
    fp = fingerprint(town.public)
    page = make_page(admin)
    page.show_tab(TAB_RECOVERY)
    tab = page.recovery_tab
    assert tab.accept_box.isVisible() and fp in tab.awaiting_label.text()

    tab.accept_button.click()  # nothing typed
    assert "鍵の指紋" in tab.status.text()
    tab.fingerprint_edit.setText(fingerprint(RecoverySecret.generate().public))
    tab.accept_button.click()
    qtbot.waitUntil(lambda: "一致しません" in tab.status.text(), timeout=10000)
    with db.session() as s:
        assert s.scalars(select(DeskKey)).all() == []
    tab.fingerprint_edit.setText(legacy_fingerprint(town.public))  # an old sheet's 8 digits: too short to trust
    tab.accept_button.click()
    qtbot.waitUntil(lambda: "短い指紋" in tab.status.text(), timeout=10000)
    with db.session() as s:
        assert s.scalars(select(DeskKey)).all() == []

    tab.fingerprint_edit.setText(fp.upper().replace("-", " "))
    with qtbot.waitSignal(tab.changed, timeout=10000):
        tab.accept_button.click()
    assert not tab.accept_box.isVisible()
    assert tab.status.text() == f"復旧キー（指紋 {fp}）を確認しました。この端末の鍵を保護しました（2 件）。"
    with db.session() as s:
        assert set(s.scalars(select(DeskKey.recovery_fingerprint))) == {fingerprint_id(town.public)}
    assert "recovery_key" not in current_problems(db)
    assert "key.recovery_accept" in _events(db)

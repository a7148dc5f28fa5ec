import os
import stat

import pytest

from dxdesk.config import Calibration, Settings, SettingsError, load_settings, save_settings
from dxdesk.paths import app_paths


def test_first_load_creates_file_with_desk_id(dxdesk_home):
    settings = load_settings()
    assert settings.general.desk_id
    path = app_paths().settings_file
    assert path.is_relative_to(dxdesk_home)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_settings().general.desk_id == settings.general.desk_id


def test_round_trip_with_calibration():
    settings = Settings()
    settings.forms.calibrations["Counter-1"] = Calibration(dx_mm=1.5, dy_mm=-0.5, scale_x=1.01, scale_y=0.99)
    settings.security.idle_lock_minutes = 10
    save_settings(settings)
    loaded = load_settings()
    assert loaded.forms.calibrations["Counter-1"] == Calibration(1.5, -0.5, 1.01, 0.99)
    assert loaded.security.idle_lock_minutes == 10


def test_unknown_keys_are_ignored_and_wrong_types_named():
    path = app_paths().ensure().settings_file
    path.write_text('version = 1\n[general]\nfuture_option = 3\nlanguage = "en"\n', encoding="utf-8")
    assert load_settings().general.language == "en"
    path.write_text('[security]\nidle_lock_minutes = "five"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="idle_lock_minutes"):
        load_settings()


def test_broken_toml_names_the_file():
    path = app_paths().ensure().settings_file
    path.write_text("[general\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="settings.toml"):
        load_settings()


@pytest.mark.parametrize("text, named", [
    ('[security]\nidle_lock_minutes = true\n', "idle_lock_minutes"),  # a bool is not a number of minutes
    ('[forms.calibrations]\nCounter-1 = 3\n', "Counter-1"),  # not a table: was an AttributeError
    ('version = "one"\n', "version"),  # was a ValueError
    ('version = 0\n', "version"),  # was a KeyError (no upgrade from version 0)
])
def test_bad_values_are_a_settings_error_naming_file_and_key(text, named):
    path = app_paths().ensure().settings_file
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError, match=named) as info:
        load_settings()
    assert "settings.toml" in str(info.value)


def test_a_settings_file_saved_as_shift_jis_is_a_settings_error():
    path = app_paths().ensure().settings_file
    path.write_bytes('version = 2\n[general]\nmunicipality = "サンプル町"\n'.encode("shift_jis"))
    with pytest.raises(SettingsError, match="not UTF-8 text") as info:
        load_settings()
    assert "settings.toml" in str(info.value) and "save it again as UTF-8" in str(info.value)


def test_a_template_settings_file_without_desk_id_gets_one_on_a_new_pc():
    # A town may hand every PC the same settings.toml before first start: the desk id is made then.
    path = app_paths().ensure().settings_file
    path.write_text('version = 2\n[general]\nmunicipality = "本町"\n', encoding="utf-8")
    settings = load_settings()
    assert settings.general.desk_id and settings.general.municipality == "本町"
    assert f'desk_id = "{settings.general.desk_id}"' in path.read_text(encoding="utf-8")


def test_a_desk_id_lost_from_settings_never_starts_a_new_desk_beside_the_database():
    # The same template pushed again onto a desk that has records (or an emptied file): a new id would
    # mean new keys, the encrypted records and the audit chain of the real desk cut off.
    from dxdesk.store.database import open_database

    desk_id = load_settings().general.desk_id
    db = open_database()
    try:
        from dxdesk.security.audit import AuditEntry, AuditLog

        AuditLog(db).append(AuditEntry(event_type="form.print", actor=None))
    finally:
        db.close()
    path = app_paths().settings_file
    before = sorted(p.name for p in (app_paths().config_dir / "secrets").iterdir()) \
        if (app_paths().config_dir / "secrets").exists() else []
    for text in ("", 'version = 2\n[general]\nmunicipality = "本町"\n'):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(SettingsError, match="has no desk_id") as info:
            load_settings()
        assert f'desk_id = "{desk_id}"' in str(info.value)  # what to put back
        assert path.read_text(encoding="utf-8") == text  # nothing rewritten
    after = sorted(p.name for p in (app_paths().config_dir / "secrets").iterdir()) \
        if (app_paths().config_dir / "secrets").exists() else []
    assert after == before  # no key made for an invented desk

import pytest

from core.config import load_settings


def test_defaults_run_on_sqlite_in_shanghai_in_chinese(tmp_path, monkeypatch):
    monkeypatch.setattr("core.config.VAR_DIR", tmp_path)
    settings = load_settings({})
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'courier.sqlite3'}"
    assert settings.timezone == "Asia/Shanghai"
    assert settings.language == "zh_CN"
    assert settings.mqtt_url is None


def test_generated_development_keys_survive_a_restart(tmp_path, monkeypatch):
    monkeypatch.setattr("core.config.VAR_DIR", tmp_path)
    assert load_settings({}).secret_key == load_settings({}).secret_key
    assert load_settings({}).label_key != load_settings({}).secret_key


def test_environment_variables_win(tmp_path, monkeypatch):
    monkeypatch.setattr("core.config.VAR_DIR", tmp_path)
    settings = load_settings(
        {
            "COURIER_DATABASE_URL": "postgresql+psycopg://db/courier",
            "COURIER_MQTT_URL": "mqtt://broker:1883",
            "COURIER_SECRET_KEY": "s",
            "COURIER_LABEL_KEY": "l",
            "COURIER_PORT": "9000",
            "COURIER_LANGUAGE": "en",
        }
    )
    assert settings.database_url == "postgresql+psycopg://db/courier"
    assert settings.mqtt_url == "mqtt://broker:1883"
    assert (settings.secret_key, settings.label_key, settings.port) == ("s", "l", 9000)
    assert settings.language == "en"


def test_production_refuses_to_run_without_keys(tmp_path, monkeypatch):
    monkeypatch.setattr("core.config.VAR_DIR", tmp_path)
    with pytest.raises(RuntimeError, match="COURIER_SECRET_KEY"):
        load_settings({"COURIER_ENV": "production"})


def test_an_unknown_language_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("core.config.VAR_DIR", tmp_path)
    with pytest.raises(RuntimeError, match="COURIER_LANGUAGE"):
        load_settings({"COURIER_LANGUAGE": "fr"})

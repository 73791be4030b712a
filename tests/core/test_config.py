import pytest

from core import clock
from core.config import load_settings


def load(tmp_path, **environ):
    """Settings from ``environ`` alone, their generated files kept under ``tmp_path``."""
    return load_settings({"COURIER_VAR_DIR": str(tmp_path), **environ})


def test_defaults_run_on_sqlite_in_shanghai_in_chinese(tmp_path):
    settings = load(tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'courier.sqlite3'}"
    assert settings.tz is clock.SHANGHAI
    assert settings.language == "zh_CN"
    assert settings.mqtt_url is None


def test_generated_development_keys_survive_a_restart(tmp_path):
    assert load(tmp_path).secret_key == load(tmp_path).secret_key
    assert load(tmp_path).label_key != load(tmp_path).secret_key


def test_generated_keys_are_kept_in_the_var_dir(tmp_path):
    settings = load(tmp_path)
    assert settings.var_dir == tmp_path
    assert (tmp_path / "secret.key").read_text() == settings.secret_key


def test_the_var_dir_defaults_to_var(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert str(load_settings({}).var_dir) == "var"


def test_environment_variables_win(tmp_path):
    settings = load(
        tmp_path,
        COURIER_DATABASE_URL="postgresql+psycopg://db/courier",
        COURIER_MQTT_URL="mqtt://broker:1883",
        COURIER_SECRET_KEY="s",
        COURIER_LABEL_KEY="l",
        COURIER_PORT="9000",
        COURIER_LANGUAGE="en",
    )
    assert settings.database_url == "postgresql+psycopg://db/courier"
    assert settings.mqtt_url == "mqtt://broker:1883"
    assert (settings.secret_key, settings.label_key, settings.port) == ("s", "l", 9000)
    assert settings.language == "en"


def test_production_refuses_to_run_without_keys(tmp_path):
    with pytest.raises(RuntimeError, match="COURIER_SECRET_KEY"):
        load(tmp_path, COURIER_ENV="production")


def test_an_unknown_language_is_refused(tmp_path):
    with pytest.raises(RuntimeError, match="COURIER_LANGUAGE"):
        load(tmp_path, COURIER_LANGUAGE="fr")


def test_a_language_may_be_spelt_with_a_hyphen(tmp_path):
    assert load(tmp_path, COURIER_LANGUAGE="zh-CN").language == "zh_CN"


def test_a_time_zone_in_the_environment_changes_nothing(tmp_path):
    assert load(tmp_path, COURIER_TIMEZONE="Europe/Paris").tz is clock.SHANGHAI


def test_the_log_level_is_info_by_default(tmp_path):
    assert load(tmp_path).log_level == "INFO"


def test_the_log_level_is_read_in_any_case(tmp_path):
    assert load(tmp_path, COURIER_LOG_LEVEL="debug").log_level == "DEBUG"


def test_an_unknown_log_level_is_refused(tmp_path):
    with pytest.raises(RuntimeError, match="COURIER_LOG_LEVEL"):
        load(tmp_path, COURIER_LOG_LEVEL="chatty")


def test_the_label_font_is_looked_for_unless_one_is_named(tmp_path):
    assert load(tmp_path).label_font is None
    assert load(tmp_path, COURIER_LABEL_FONT="/fonts/a.ttc").label_font == "/fonts/a.ttc"


def test_notices_are_tried_five_times_ten_seconds_each_by_default(tmp_path):
    notices = load(tmp_path).notices
    assert (notices.max_tries, notices.timeout) == (5, 10.0)


def test_notice_tries_and_timeout_come_from_the_environment(tmp_path):
    notices = load(tmp_path, COURIER_NOTIFY_MAX_TRIES="2", COURIER_NOTIFY_TIMEOUT="2.5").notices
    assert (notices.max_tries, notices.timeout) == (2, 2.5)


def test_a_notice_is_tried_at_least_once(tmp_path):
    assert load(tmp_path, COURIER_NOTIFY_MAX_TRIES="0").notices.max_tries == 1


def test_twilio_is_read_from_its_variables(tmp_path):
    twilio = load(
        tmp_path,
        COURIER_TWILIO_ACCOUNT_SID="AC1",
        COURIER_TWILIO_AUTH_TOKEN="t",
        COURIER_TWILIO_FROM="+8613800000000",
        COURIER_TWILIO_BASE_URL="http://127.0.0.1:9/",
    ).twilio
    assert (twilio.account_sid, twilio.auth_token) == ("AC1", "t")
    assert (twilio.sender, twilio.base_url) == ("+8613800000000", "http://127.0.0.1:9/")
    assert twilio.configured


def test_twilio_without_a_sender_is_not_configured(tmp_path):
    twilio = load(tmp_path, COURIER_TWILIO_ACCOUNT_SID="AC1", COURIER_TWILIO_AUTH_TOKEN="t").twilio
    assert not twilio.configured


def test_wecom_is_read_from_its_variables(tmp_path):
    wecom = load(
        tmp_path,
        COURIER_WECOM_CORP_ID="c",
        COURIER_WECOM_SECRET="s",
        COURIER_WECOM_AGENT_ID="1",
        COURIER_WECOM_BASE_URL="http://127.0.0.1:9/",
    ).wecom
    assert (wecom.corp_id, wecom.secret, wecom.agent_id) == ("c", "s", "1")
    assert wecom.base_url == "http://127.0.0.1:9/"
    assert wecom.configured


def test_no_provider_is_configured_by_default(tmp_path):
    settings = load(tmp_path)
    assert not settings.twilio.configured
    assert not settings.wecom.configured


def test_bridge_partitions_are_sets_of_campuses_separated_by_semicolons(tmp_path):
    settings = load(tmp_path, COURIER_BRIDGE_PARTITIONS="DJ,NH; XL ;ZS")
    assert settings.bridge_partitions == (("DJ", "NH"), ("XL",), ("ZS",))


def test_without_bridge_partitions_there_is_one_partition_of_every_campus(tmp_path):
    assert load(tmp_path).bridge_partitions == ()


def test_a_campus_in_two_bridge_partitions_is_refused(tmp_path):
    with pytest.raises(RuntimeError, match="NH in two partitions"):
        load(tmp_path, COURIER_BRIDGE_PARTITIONS="DJ,NH;NH")


def test_a_bridge_partition_naming_no_campus_code_is_refused(tmp_path):
    with pytest.raises(RuntimeError, match="no campus code"):
        load(tmp_path, COURIER_BRIDGE_PARTITIONS="DJ;N+H")


def test_device_events_are_kept_90_days_and_dead_letters_180_by_default(tmp_path):
    retention = load(tmp_path).retention
    assert (retention.device_event_days, retention.dead_letter_days) == (90, 180)


def test_retention_ages_and_batch_come_from_the_environment(tmp_path):
    retention = load(
        tmp_path,
        COURIER_DEVICE_EVENT_DAYS="30",
        COURIER_DEAD_LETTER_DAYS="365",
        COURIER_RETENTION_BATCH="500",
    ).retention
    assert (retention.device_event_days, retention.dead_letter_days, retention.batch) == (
        30,
        365,
        500,
    )

"""Configuration comes only from TAIHE_* variables (or the settings file), with safe defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from taihe.config import environment
from taihe.config.environment import ConfigurationError


def test_the_embedded_defaults_need_nothing(tmp_path: Path) -> None:
    env = environment.load({"TAIHE_DATA_DIR": str(tmp_path)})
    assert env.database_url is None
    assert env.redis_url is None
    assert env.scaled is False
    assert env.debug is True
    assert env.time_zone == "Asia/Shanghai"
    assert env.language == "en"
    assert env.login_attempts_per_minute == 10
    # A secret key is generated once into the data directory, owner-readable only.
    key_file = tmp_path / "secret_key"
    assert key_file.read_text() == env.secret_key
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert environment.load({"TAIHE_DATA_DIR": str(tmp_path)}).secret_key == env.secret_key


def test_database_and_redis_urls_switch_to_the_scaled_profile(tmp_path: Path) -> None:
    env = environment.load({"TAIHE_DATA_DIR": str(tmp_path),
                            "TAIHE_DATABASE_URL": "postgresql://postgres@db/taihe",
                            "TAIHE_REDIS_URL": "redis://cache:6379/0"})
    assert env.scaled is True
    assert env.broker_url == "redis://cache:6379/0"


def test_production_refuses_debug_and_default_secrets(tmp_path: Path) -> None:
    base = {"TAIHE_DATA_DIR": str(tmp_path), "TAIHE_ENVIRONMENT": "production",
            "TAIHE_ALLOWED_HOSTS": "taihe.museum.local"}
    with pytest.raises(ConfigurationError, match="debug"):
        environment.load({**base, "TAIHE_DEBUG": "1", "TAIHE_SECRET_KEY": "k" * 64})
    with pytest.raises(ConfigurationError, match="default or too short"):
        environment.load({**base, "TAIHE_SECRET_KEY": "django-insecure-" + "x" * 60})
    with pytest.raises(ConfigurationError, match="default or too short"):
        environment.load({**base, "TAIHE_SECRET_KEY": "short"})
    with pytest.raises(ConfigurationError, match="ALLOWED_HOSTS"):
        environment.load({"TAIHE_DATA_DIR": str(tmp_path), "TAIHE_ENVIRONMENT": "production",
                          "TAIHE_SECRET_KEY": "k" * 64})
    env = environment.load({**base, "TAIHE_SECRET_KEY": "Zq8" * 22})
    assert (env.production, env.debug) == (True, False)


def test_the_settings_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    (tmp_path / "taihe.env").write_text(
        "# museum settings\nTAIHE_TIME_ZONE=Europe/London\nTAIHE_LANGUAGE=zh_CN\n",
        encoding="utf-8")
    env = environment.load({"TAIHE_DATA_DIR": str(tmp_path), "TAIHE_LANGUAGE": "en"})
    assert env.time_zone == "Europe/London"
    assert env.language == "en"
    assert environment.load({"TAIHE_DATA_DIR": str(tmp_path)}).language == "zh-hans"


@pytest.mark.parametrize(("name", "value", "message"), [
    ("TAIHE_DEBUG", "perhaps", "yes/no"),
    ("TAIHE_STORAGE", "s3", "not supported"),
    ("TAIHE_LANGUAGE", "fr", "choose en or zh-hans"),
    ("TAIHE_HTTP_THREADS", "many", "whole number"),
    ("TAIHE_HTTP_THREADS", "0", "between 1 and 64"),
    ("TAIHE_LOGIN_ATTEMPTS_PER_MINUTE", "0", "between 1 and 1000"),
])
def test_bad_values_say_which_variable_is_wrong(tmp_path: Path, name: str, value: str,
                                                message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        environment.load({"TAIHE_DATA_DIR": str(tmp_path), name: value})


def test_a_malformed_settings_file_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "taihe.env").write_text("TAIHE_DEBUG=1\nnonsense\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"taihe.env:2: expected KEY=value"):
        environment.load({"TAIHE_DATA_DIR": str(tmp_path)})

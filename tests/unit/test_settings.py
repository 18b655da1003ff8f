"""Settings: defaults, environment variables, env files, and errors that name the key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dal.settings import Settings, SettingsError, default_contract_path, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No ``DAL_*`` variable from the caller's shell; run in an empty directory."""
    for name in list(os.environ):
        if name.startswith("DAL_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def contract_file(tmp_path: Path) -> Path:
    path = tmp_path / "config" / "migration_contract.json"
    path.parent.mkdir()
    path.write_text("{}", encoding="utf-8")
    return path


def test_defaults() -> None:
    settings = load_settings()

    assert settings.mysql_url is None
    assert settings.dynamodb_endpoint is None
    assert settings.dynamodb_region == "us-east-1"
    assert settings.table_prefix == ""
    assert settings.flags is None


def test_the_mysql_url_has_no_default_and_asking_for_it_names_the_key(tmp_path: Path) -> None:
    settings = load_settings()

    with pytest.raises(SettingsError, match=r"^DAL_MYSQL_URL: not set"):
        settings.require_mysql_url()
    assert list(tmp_path.iterdir()) == []


def test_a_blank_mysql_url_is_not_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAL_MYSQL_URL", "  ")

    assert load_settings().mysql_url is None


def test_a_given_mysql_url_is_required_as_given() -> None:
    url = "mysql+pymysql://root@127.0.0.1:3306/shop"

    assert Settings(mysql_url=url).require_mysql_url() == url


def test_the_repair_log_and_the_records_default_to_var_dal(tmp_path: Path) -> None:
    settings = load_settings()

    assert settings.repair_log == (tmp_path / "var" / "dal" / "repair-log").resolve()
    assert settings.records == (tmp_path / "var" / "dal" / "records").resolve()
    assert list(tmp_path.iterdir()) == [], "loading the settings creates nothing"


@pytest.mark.parametrize("variable", ["DAL_REPAIR_LOG", "DAL_RECORDS"])
def test_the_repair_log_and_the_records_can_be_redirected_or_turned_off(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str
) -> None:
    field = variable.removeprefix("DAL_").lower()
    monkeypatch.setenv(variable, "elsewhere/file.jsonl")
    assert getattr(load_settings(), field) == (tmp_path / "elsewhere" / "file.jsonl").resolve()
    monkeypatch.setenv(variable, " OFF ")
    assert getattr(load_settings(), field) is None
    monkeypatch.setenv(variable, "")
    assert getattr(load_settings(), field) == getattr(Settings(), field), "blank: the default"
    monkeypatch.setenv(variable, "folder")  # not .jsonl: a folder of files, one per process
    assert getattr(load_settings(), field) == (tmp_path / "folder").resolve()
    (tmp_path / "dir.jsonl").mkdir()
    monkeypatch.setenv(variable, "dir.jsonl")
    with pytest.raises(SettingsError, match=f"{variable}: is a directory"):
        load_settings()
    (tmp_path / "notes.txt").write_text("")
    monkeypatch.setenv(variable, "notes.txt")
    with pytest.raises(SettingsError, match=f"{variable}: is a file: .*name a folder"):
        load_settings()


def test_contract_defaults_to_the_project_file(contract_file: Path) -> None:
    assert load_settings().contract == contract_file.resolve()


def test_contract_default_without_a_project_file_names_the_expected_path(tmp_path: Path) -> None:
    expected = (tmp_path / "config" / "migration_contract.json").resolve()

    assert default_contract_path() == expected


def test_environment_variables(monkeypatch: pytest.MonkeyPatch, contract_file: Path) -> None:
    monkeypatch.setenv("DAL_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/shop")
    monkeypatch.setenv("DAL_DYNAMODB_ENDPOINT", "http://127.0.0.1:8000/")
    monkeypatch.setenv("DAL_DYNAMODB_REGION", "eu-west-1")
    monkeypatch.setenv("DAL_TABLE_PREFIX", "staging_")
    monkeypatch.setenv("DAL_CONTRACT", str(contract_file))
    monkeypatch.setenv("DAL_FLAGS", "flags.json")

    settings = load_settings()

    assert settings.mysql_url == "mysql+pymysql://root@127.0.0.1:3306/shop"
    assert settings.dynamodb_endpoint == "http://127.0.0.1:8000"
    assert settings.dynamodb_region == "eu-west-1"
    assert settings.table_prefix == "staging_"
    assert settings.contract == contract_file.resolve()
    assert settings.flags == (contract_file.parent.parent / "flags.json").resolve()


def test_empty_endpoint_means_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAL_DYNAMODB_ENDPOINT", "")
    monkeypatch.setenv("DAL_FLAGS", "")

    settings = load_settings()

    assert settings.dynamodb_endpoint is None
    assert settings.flags is None


def test_env_file_given_as_argument(tmp_path: Path) -> None:
    env_file = tmp_path / "dal.env"
    env_file.write_text("DAL_TABLE_PREFIX=from_file_\nDAL_DYNAMODB_REGION=eu-west-2\n")

    settings = load_settings(env_file)

    assert settings.table_prefix == "from_file_"
    assert settings.dynamodb_region == "eu-west-2"


def test_env_file_from_variable_and_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env_file = tmp_path / "dal.env"
    env_file.write_text("DAL_TABLE_PREFIX=from_file_\nDAL_DYNAMODB_REGION=eu-west-2\n")
    monkeypatch.setenv("DAL_SETTINGS_FILE", str(env_file))
    monkeypatch.setenv("DAL_TABLE_PREFIX", "from_env_")

    settings = load_settings()

    assert settings.table_prefix == "from_env_"
    assert settings.dynamodb_region == "eu-west-2"


def test_missing_env_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="DAL_SETTINGS_FILE: no such file"):
        load_settings(tmp_path / "absent.env")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DAL_MYSQL_URL", "not a url", "DAL_MYSQL_URL: not a database URL"),
        ("DAL_MYSQL_URL", "postgresql://x/y", "DAL_MYSQL_URL: unsupported database 'postgresql'"),
        ("DAL_DYNAMODB_ENDPOINT", "localhost:8000", "DAL_DYNAMODB_ENDPOINT: not an http"),
        ("DAL_DYNAMODB_REGION", "US East", "DAL_DYNAMODB_REGION: not a region name"),
        ("DAL_TABLE_PREFIX", "my prefix", "DAL_TABLE_PREFIX: only letters"),
        ("DAL_TABLE_PREFIX", "x" * 201, "DAL_TABLE_PREFIX: longer than"),
        ("DAL_CONTRACT", "absent.json", "DAL_CONTRACT: no such file"),
        ("DAL_FLAGS", ".", "DAL_FLAGS: is a directory"),
        ("DAL_DECLARATIONS", "my-app/specs.py", "DAL_DECLARATIONS: must be 'package.module'"),
    ],
)
def test_bad_values_name_the_key(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(SettingsError, match=message):
        load_settings()


def test_every_bad_key_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAL_MYSQL_URL", "postgresql://x/y")
    monkeypatch.setenv("DAL_DYNAMODB_REGION", "?")

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert "DAL_MYSQL_URL" in str(raised.value)
    assert "DAL_DYNAMODB_REGION" in str(raised.value)


def test_bad_value_in_env_file_names_the_key(tmp_path: Path) -> None:
    env_file = tmp_path / "dal.env"
    env_file.write_text("DAL_DYNAMODB_ENDPOINT=dynamodb\n")

    with pytest.raises(SettingsError, match="DAL_DYNAMODB_ENDPOINT"):
        load_settings(env_file)


def test_keyword_arguments_are_validated_too() -> None:
    with pytest.raises(ValueError, match="DAL_TABLE_PREFIX"):
        Settings(table_prefix="no spaces please")


def test_repr_hides_the_database_password() -> None:
    settings = Settings(mysql_url="mysql+pymysql://app:s3cret@db.internal/shop")

    assert "s3cret" not in repr(settings)
    assert "s3cret" not in str(settings)
    assert settings.mysql_url.endswith("app:s3cret@db.internal/shop")


def test_settings_are_immutable() -> None:
    settings = Settings()

    with pytest.raises(ValueError):
        settings.table_prefix = "other_"  # type: ignore[misc]


def test_declarations_name_a_module_and_optionally_an_attribute(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().declarations is None
    monkeypatch.setenv("DAL_DECLARATIONS", " examples.tracker.declarations:SPECS ")
    assert load_settings().declarations == "examples.tracker.declarations:SPECS"


def test_a_misspelt_key_in_the_settings_file_is_an_error_naming_the_setting(
    tmp_path: Path,
) -> None:
    env_file = tmp_path / "settings.env"
    env_file.write_text("DAL_MYSQL_ULR=mysql+pymysql://root@db/shop\n")

    with pytest.raises(
        SettingsError, match=r"DAL_MYSQL_ULR: not a setting \(did you mean DAL_MYSQL_URL\?\)"
    ):
        load_settings(env_file)


def test_a_misspelt_variable_is_an_error_and_other_families_are_left_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DAL_STAGE_USERS", "shadow")
    monkeypatch.setenv("DAL_TEST_ANYTHING", "1")
    monkeypatch.setenv("DAL_CACHE_DIR", "/tmp/cache")
    assert load_settings().table_prefix == ""
    monkeypatch.setenv("DAL_TABLE_PREFX", "dev_")

    with pytest.raises(SettingsError, match="DAL_TABLE_PREFX: not a setting"):
        load_settings()

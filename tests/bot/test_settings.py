"""bot.settings: one reader for every service's environment, failing with the variable's name."""

import pytest
from pydantic import Field, validator

from bot.settings import EnvironmentSettings, SettingsError, flag, http_url


class Example(EnvironmentSettings):
    token: str = Field(..., env="EXAMPLE_TOKEN", repr=False, description="set it to the shared secret")
    port: int = Field(8000, env="EXAMPLE_PORT", gt=0, lt=65536)
    url: str = Field("http://127.0.0.1:1", env="EXAMPLE_URL")
    verbose: bool = Field(False, env="EXAMPLE_VERBOSE")
    optional: str = Field("", env="EXAMPLE_OPTIONAL", description="set it to use the extra")

    _flags = validator("verbose", pre=True, allow_reuse=True)(flag)
    _url = validator("url", allow_reuse=True)(http_url)


def test_values_come_from_the_given_mapping_only(monkeypatch) -> None:
    monkeypatch.setenv("EXAMPLE_PORT", "9999")
    monkeypatch.setenv("EXAMPLE_TOKEN", "from-the-process")
    settings = Example.read(
        {"EXAMPLE_TOKEN": " s3cret ", "EXAMPLE_URL": "https://h/", "EXAMPLE_VERBOSE": "1"}
    )
    assert (settings.token, settings.port, settings.url, settings.verbose) == (
        "s3cret",
        8000,
        "https://h",
        True,
    )
    assert Example.read().port == 9999  # the process's environment is the default


def test_a_blank_value_means_the_default() -> None:
    assert Example.read({"EXAMPLE_TOKEN": "t", "EXAMPLE_PORT": "  "}).port == 8000


@pytest.mark.parametrize(
    "name, value",
    [
        ("EXAMPLE_PORT", "eighty"),
        ("EXAMPLE_PORT", "70000"),
        ("EXAMPLE_VERBOSE", "yes"),
        ("EXAMPLE_URL", "h:1"),
    ],
)
def test_a_malformed_value_is_refused_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=rf"^{name}='{value}' is not valid \(default "):
        Example.read({"EXAMPLE_TOKEN": "t", name: value})


def test_a_missing_required_value_says_what_to_set() -> None:
    with pytest.raises(SettingsError, match="^EXAMPLE_TOKEN is not set: set it to the shared secret$"):
        Example.read({})
    settings = Example.read({"EXAMPLE_TOKEN": "t"})
    with pytest.raises(SettingsError, match="^EXAMPLE_OPTIONAL is not set: set it to use the extra$"):
        settings.require("optional")


def test_secrets_stay_out_of_the_repr_and_settings_do_not_change() -> None:
    settings = Example.read({"EXAMPLE_TOKEN": "s3cret"})
    assert "s3cret" not in repr(settings)
    with pytest.raises(TypeError):
        settings.port = 1

"""One way for every service to read its settings from the environment (pydantic's BaseSettings).

A service declares its variables as the fields of an `EnvironmentSettings` subclass: the
variable's name (`Field(env=...)`), its default, its type and checks, and for a required one a
hint saying what to set it to. `read` checks them all at start and raises `SettingsError` naming
the first bad variable and its value, in one line a person can act on. A variable set to an empty
or blank value counts as unset: `FOO=` in a `.env` file means "the default".

Only the mapping given to `read` is looked at (the real environment by default): a test passes its
own and no variable of the machine's environment leaks into it.
"""

import os
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseSettings, ValidationError

S = TypeVar("S", bound="EnvironmentSettings")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable and what to do."""


class EnvironmentSettings(BaseSettings):
    """Base of every service's settings."""

    class Config:
        allow_mutation = False
        extra = "forbid"

        @classmethod
        def customise_sources(cls, init_settings: Any, env_settings: Any, file_secret_settings: Any) -> Any:
            """Values come from `read` only (see the module's docstring)."""
            return (init_settings,)

    @classmethod
    def variable(cls, field: str) -> str:
        """The environment variable that sets `field`."""
        return str(cls.__fields__[field].field_info.extra["env"])

    @classmethod
    def read(cls: type[S], env: Mapping[str, str] | None = None) -> S:
        """The settings in `env` (default: the process's environment), every one checked."""
        environ = os.environ if env is None else env
        given = {
            name: environ[cls.variable(name)].strip()
            for name in cls.__fields__
            if environ.get(cls.variable(name), "").strip()
        }
        try:
            return cls(**given)
        except ValidationError as error:
            name = str(error.errors()[0]["loc"][0])
            field = cls.__fields__[name]
            if name not in given:
                raise SettingsError(
                    f"{cls.variable(name)} is not set: {field.field_info.description}"
                ) from None
            default = int(field.default) if isinstance(field.default, bool) else field.default
            raise SettingsError(
                f"{cls.variable(name)}={given[name]!r} is not valid (default {default})"
            ) from None

    def require(self, field: str) -> None:
        """Fails unless `field`, optional for some uses of the service, is set."""
        if not getattr(self, field):
            description = type(self).__fields__[field].field_info.description
            raise SettingsError(f"{self.variable(field)} is not set: {description}")


def flag(value: str | bool) -> bool:
    """A 0/1 switch; anything else ("yes", "true") is refused rather than guessed."""
    if isinstance(value, bool):
        return value
    if value not in ("0", "1"):
        raise ValueError("expected 0 or 1")
    return value == "1"


def http_url(value: str) -> str:
    """An http(s) base URL, without a trailing slash."""
    if not value.startswith(("http://", "https://")):
        raise ValueError("expected an http:// or https:// URL")
    return value.rstrip("/")

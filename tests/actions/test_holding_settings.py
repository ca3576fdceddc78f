"""PERSON_WAIT_SECONDS is read through bot.settings: a bad value stops the action server at start
with the variable's name, instead of failing every hand-off."""

import pytest

from actions.holding import HoldingSettings
from bot.settings import SettingsError


def test_the_wait_defaults_to_ten_minutes_and_takes_the_variable() -> None:
    assert HoldingSettings.read({}).wait_seconds == 600
    assert HoldingSettings.read({"PERSON_WAIT_SECONDS": " 6 "}).wait_seconds == 6


@pytest.mark.parametrize("value", ["ten", "0", "-5"])
def test_a_malformed_wait_is_refused_naming_the_variable(value: str) -> None:
    with pytest.raises(SettingsError, match="PERSON_WAIT_SECONDS"):
        HoldingSettings.read({"PERSON_WAIT_SECONDS": value})

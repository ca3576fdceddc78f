"""bot.runtime.replace: a wrapped method is wrapped once, and a missing one stops the start."""

from types import SimpleNamespace

import pytest

from bot.runtime.replace import wrap_method


def test_a_method_is_wrapped_once_however_often_install_runs() -> None:
    owner = SimpleNamespace(greet=lambda: "hello")

    def exclaim(greet):  # type: ignore[no-untyped-def]
        return lambda: greet() + "!"

    wrap_method(owner, "greet", exclaim)
    wrap_method(owner, "greet", exclaim)
    assert owner.greet() == "hello!"  # not "hello!!"
    wrap_method(owner, "greet", lambda greet: lambda: greet().upper())  # another wrapper: applied
    assert owner.greet() == "HELLO!"


def test_a_missing_method_stops_the_start() -> None:
    owner = SimpleNamespace(__name__="rasa.somewhere")
    with pytest.raises(RuntimeError, match=r"rasa\.somewhere\.greet is gone"):
        wrap_method(owner, "greet", lambda greet: greet)

"""Fixtures for the attack tests: the connectors' real `rasa run` and fake platforms, and the
account service's start-up helpers, reused.

Those live in the conftest.py of tests/connectors, tests/accounts and tests/console, which pytest only
applies to their folders; they are loaded here under their own module names (importable by the
tests as `connector_fixtures`, `account_fixtures`, `console_fixtures`) and the fixtures re-exported, so every
folder starts the same servers the same way.
"""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

_TESTS = Path(__file__).resolve().parents[1]


def _load(name: str, source: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, source)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


connector_fixtures = _load("connector_fixtures", _TESTS / "connectors" / "conftest.py")
account_fixtures = _load("account_fixtures", _TESTS / "accounts" / "conftest.py")
sys.path.insert(0, str(_TESTS / "console"))  # the console fixtures import console_support
console_fixtures = _load("console_fixtures", _TESTS / "console" / "conftest.py")

platforms = connector_fixtures.platforms
rasa_project = connector_fixtures.rasa_project
rasa_server = connector_fixtures.rasa_server
new_id = connector_fixtures.new_id
make_console = console_fixtures.make_console

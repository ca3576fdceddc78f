"""Fixtures for the attack tests: the connectors' real `rasa run` and fake platforms, reused.

The connectors' fixtures live in tests/connectors/conftest.py, which pytest only applies to that
folder; it is loaded here under its own module name and its fixtures re-exported, so both
folders start the same tiny assistant the same way.
"""

import importlib.util
from pathlib import Path

_SOURCE = Path(__file__).resolve().parents[1] / "connectors" / "conftest.py"
_spec = importlib.util.spec_from_file_location("connector_fixtures", _SOURCE)
connector_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(connector_fixtures)

platforms = connector_fixtures.platforms
rasa_project = connector_fixtures.rasa_project
rasa_server = connector_fixtures.rasa_server
new_id = connector_fixtures.new_id

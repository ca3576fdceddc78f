"""A local run's settings: secrets generated once into .env, the real environment winning."""

import re
import stat
from pathlib import Path

import pytest

from ops import environment


def test_secrets_are_generated_once_private_and_kept(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    environment.ensure_generated_secrets(env_file, {})
    first = environment.read_env_file(env_file)
    assert set(first) == set(environment.GENERATED) and all(len(v) >= 32 for v in first.values())
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    environment.ensure_generated_secrets(env_file, {})
    assert environment.read_env_file(env_file) == first


def test_a_secret_set_in_the_environment_is_not_written(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    environment.ensure_generated_secrets(env_file, {"ACCOUNT_API_TOKEN": "set-by-operator"})
    assert "ACCOUNT_API_TOKEN" not in environment.read_env_file(env_file)


def test_environment_wins_over_env_file_and_urls_follow_the_ports(tmp_path: Path, monkeypatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text('# comment\nACCOUNT_PORT=9001\nRASA_AUTH_TOKEN="from-file"\nACCOUNT_API_TOKEN=x\n')
    monkeypatch.setattr(environment, "ENV_FILE", env_file)
    merged = environment.local_environment({"ACTIONS_PORT": "6055", "RASA_AUTH_TOKEN": "from-env"})
    assert merged["RASA_AUTH_TOKEN"] == "from-env"
    assert merged["ACCOUNT_API_URL"] == "http://127.0.0.1:9001"
    assert merged["ACTION_ENDPOINT_URL"] == "http://127.0.0.1:6055/webhook"
    assert merged["ACCOUNT_DEV_OUTBOX"] == "1"


@pytest.mark.parametrize("name", ["endpoints.yml", "endpoints-scaled.yml"])
def test_rasa_expands_every_variable_of_the_endpoints_files(name: str, monkeypatch) -> None:
    """Rasa expands ${VAR} only in plain YAML scalars: a quoted one reaches it as literal text."""
    from rasa.utils.endpoints import read_endpoint_config

    path = environment.ROOT / name
    for variable in set(re.findall(r"\$\{(\w+)\}", path.read_text())):
        monkeypatch.setenv(variable, "5433" if variable.endswith("PORT") else f"value-of-{variable}")
    for section in ("action_endpoint", "tracker_store", "lock_store"):
        config = read_endpoint_config(str(path), section)
        if config is not None:
            assert "${" not in repr(config.url) + repr(config.kwargs), (section, config.kwargs)

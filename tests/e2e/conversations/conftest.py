"""The whole assistant, running for real: account service, action server and Rasa on loopback.

Started once per session from the model that `make test` trains into models/
(trained here if it is missing), on free ports, with its own tracker store and
account database in a temporary folder, and always stopped. Tests talk to it
over Rasa's REST channel exactly as a customer's client would.
"""

import os
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import Assistant
from support import free_port, running

from ops.services import account_service, action_server, rasa_server


@pytest.fixture(scope="session")
def assistant(model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    """The three servers, started in order and stopped whatever happens."""
    work = tmp_path_factory.mktemp("assistant")
    rasa_port, actions_port, accounts_port = free_port(), free_port(), free_port()
    endpoints = work / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n'
        "  enable_selective_domain: true\n"
        "tracker_store:\n  type: bot.runtime.tracker_store.SQLTrackerStore\n"
        f'  dialect: "sqlite"\n  db: "{work / "tracker.db"}"\n'
        "lock_store:\n  type: bot.runtime.lock_store.InMemoryTicketLockStore\n"
    )

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("ACCOUNT_", "REST_CHANNEL"))},
        "ACCOUNT_API_TOKEN": secrets.token_urlsafe(24),
        "RASA_AUTH_TOKEN": secrets.token_urlsafe(24),
        "ACCOUNT_API_URL": f"http://127.0.0.1:{accounts_port}",
        "ACCOUNT_DATABASE_URL": f"sqlite:///{work / 'accounts.db'}",
        "ACCOUNT_DEV_OUTBOX": "1",
        "ACCOUNT_SEED_DEMO": "1",
        "RASA_HOST": "127.0.0.1",
        "RASA_PORT": str(rasa_port),
        "ACTIONS_PORT": str(actions_port),
        "ACCOUNT_PORT": str(accounts_port),
        # A customer held for a person hears "nobody is free yet" after this long (test_holding.py).
        "PERSON_WAIT_SECONDS": "6",
    }
    # Started exactly as `make run` starts them, on this session's ports and files.
    services = [account_service(env), action_server(env), rasa_server(env, endpoints=endpoints, model=model)]
    with running(services, env) as supervisor:
        started = Assistant(f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{accounts_port}", env)
        started.supervisor = supervisor
        yield started


@pytest.fixture
def sender() -> str:
    """A conversation id no other test uses."""
    return f"test-{uuid.uuid4().hex[:12]}"

"""`python -m bot.runtime ...`: Rasa's own command line with fourteen changes to how it serves:

- **the action-response check, built once and applied per event type**
  (bot.runtime.action_responses: 34 ms of CPU per action call before, then 0.7-0.8 ms, now 0.08);
- **a tracker store that fails instead of forgetting** (bot.runtime.unwrapped_store: no silent
  in-memory fallback when the database is down; the SQL store endpoints.yml names,
  bot.runtime.tracker_store, fails the turn instead of exiting the process on an error);
- **a waiter that keeps its place in a conversation's lock** and **ticket changes in Redis as
  transactions**: the lock stores of bot.runtime.lock_store, which the endpoints files name (Rasa
  creates them; nothing here replaces methods of Rasa's own lock stores);
- **an honest answer when the action server is away** (bot.runtime.action_outage: a failed
  custom-action call ends the turn with "nothing was sent, a person can help" instead of Rasa's
  carrying on as if the action had run);
- **every message redacted in the processor, knowing what was asked** (bot.runtime.redacting:
  `make shell` and Rasa's own channels stored typed passwords in clear);
- **Rasa's request size limit equal to the connectors'** (bot.runtime.request_limit: Sanic's
  100 MB default let a body be read whole before the connectors refused it);
- **a turn that costs the same at turn 80 as at turn 1** (bot.runtime.long_conversations: the
  tracker copy before each action and `applied_events` continue from the last state instead of
  replaying the whole session; the policies and the caching tracker store do their part);
- **waits for a person that outlive a restart** (bot.runtime.waits: Rasa keeps reminders in
  memory; the "nobody is free yet" reminder of each conversation still waiting is scheduled again
  when the server starts);
- **the model's graph run in an order worked out once** (bot.runtime.graph_runner: Rasa's
  dask runner rebuilt and scheduled the same graph at every call, 1.2 ms of CPU per turn);
- **calls to the action server on kept connections, their bodies encoded by ujson**
  (bot.runtime.endpoint_requests: Rasa opened a new connection per call; `json` took 9.4 ms for
  the 5,000 events of an 80-turn conversation, ujson 4.2 ms);
- **the domain sent to the form validations without its responses** (bot.runtime.action_domain:
  81 of its 86 KB, which the action server never reads, encoded and decoded at every validation);
- **`Domain.is_empty` without building an empty domain at every turn** (bot.runtime.empty_domain:
  0.2 ms a turn);
- **the loaded server's objects kept out of the garbage collector's full passes**
  (bot.runtime.frozen_heap: each full pass walked 435,000 objects, 100-190 ms with the event loop
  stopped);
- **the HTTP API token out of the process list**: `run --enable-api` without `--auth-token` takes
  the token from `RASA_AUTH_TOKEN`, so it is not on a command line every local user can read.

Everything else is Rasa's `python -m rasa` (`run`, `shell`, ...), untouched.
"""

import os
import sys

from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent

from bot.runtime import (
    action_domain,
    action_outage,
    empty_domain,
    endpoint_requests,
    frozen_heap,
    graph_runner,
    long_conversations,
    redacting,
    request_limit,
    waits,
)
from bot.runtime.action_responses import action_response_check, validate_action_result_with
from bot.runtime.replace import replace_method
from bot.runtime.unwrapped_store import unwrapped_tracker_store

TOKEN_VARIABLE = "RASA_AUTH_TOKEN"


def install() -> None:
    """Applies the changes to the Rasa modules of this process; fails when Rasa no longer has a
    method replaced here."""
    replace_method(Agent, "_create_tracker_store", staticmethod(unwrapped_tracker_store))
    action_outage.install()
    action_domain.install()
    empty_domain.install()
    frozen_heap.install()
    redacting.install()
    request_limit.install()
    waits.install()
    long_conversations.install()
    graph_runner.install()
    endpoint_requests.install()
    replace_method(
        RemoteAction, "_validate_action_result", validate_action_result_with(action_response_check())
    )


def with_token_from_environment(argv: list[str]) -> list[str]:
    """`argv` with `--auth-token` added from RASA_AUTH_TOKEN for `run --enable-api`."""
    token = os.environ.get(TOKEN_VARIABLE, "").strip()
    serving_api = argv[1:2] == ["run"] and "--enable-api" in argv
    given = any(a == "--auth-token" or a.startswith("--auth-token=") for a in argv)
    if token and serving_api and not given:
        return [*argv, f"--auth-token={token}"]  # one word: a token may begin with "-"
    return argv


def main() -> None:
    """Rasa's command line after `install`."""
    install()
    sys.argv = with_token_from_environment(sys.argv)
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()

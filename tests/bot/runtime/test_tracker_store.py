"""bot.runtime.tracker_store: an error while storing one conversation fails that call, never the
process (Rasa's own SQL store calls `print_error_and_exit` on any ValueError)."""

from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore as RasaSQLTrackerStore
from rasa.core.tracker_store import create_tracker_store
from rasa.core.utils import read_endpoints_from_path
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.runtime.tracker_store import SQLTrackerStore

ROOT = Path(__file__).resolve().parents[3]


def tracker(sender: str) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(sender, [UserUttered("hi")])


async def test_rasa_s_own_store_exits_the_process_on_a_lone_surrogate(tmp_path: Path) -> None:
    store = RasaSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "rasa.db"))
    with pytest.raises(SystemExit):
        await store.save(tracker("sur\ud800"))


async def test_ours_fails_the_call_and_keeps_serving(tmp_path: Path) -> None:
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "ours.db"))
    with pytest.raises(UnicodeEncodeError):
        await store.save(tracker("sur\ud800"))
    await store.save(tracker("customer"))
    stored = await store.retrieve("customer")
    assert stored is not None and stored.latest_message.text == "hi"


@pytest.mark.parametrize("endpoints", ["endpoints.yml", "endpoints-scaled.yml"])
def test_both_topologies_name_our_store(
    endpoints: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Rasa falls back to an in-memory store, with only a warning, when a module path is
    wrong: the type in each endpoints file must resolve to our class."""
    for name in (
        "ACTION_ENDPOINT_URL",
        "TRACKER_DB_HOST",
        "TRACKER_DB_PORT",
        "TRACKER_DB_NAME",
        "TRACKER_DB_USER",
        "TRACKER_DB_PASSWORD",
        "LOCK_STORE_HOST",
        "LOCK_STORE_PORT",
        "LOCK_STORE_PASSWORD",
    ):
        monkeypatch.setenv(name, "1")
    config = read_endpoints_from_path(ROOT / endpoints).tracker_store
    assert config.type == "bot.runtime.tracker_store.SQLTrackerStore"
    if endpoints == "endpoints.yml":
        monkeypatch.chdir(tmp_path)
        (tmp_path / "var").mkdir()
        assert isinstance(create_tracker_store(config, Domain.empty()), SQLTrackerStore)

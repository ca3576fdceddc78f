"""What the list shows of a conversation (outcome, flags, intents), kept current by watermark,
and the exports readable by Rasa's own readers."""

import time

import pytest
from console_support import Tracker
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from sqlalchemy import select

from services.console.exports import nlu_yaml, story_yaml
from services.console.queries import Filters, conversation_page
from services.console.schema import conversation_intents, open_console_db, summaries, sync_state
from services.console.summaries import TrackerEvent, fold, new_summary, redact_stored
from services.console.sync import sync
from services.console.transcript import read_events

LOW = 0.6


def _event(index: int, type_name: str, **data) -> TrackerEvent:
    return TrackerEvent(index, "c1", type_name, 1000.0 + index, {"event": type_name, **data})


def _user(index: int, intent: str, confidence: float = 0.95, text: str = "hello") -> TrackerEvent:
    return _event(
        index,
        "user",
        text=text,
        metadata={"channel": "telegram"},
        parse_data={"intent": {"name": intent, "confidence": confidence}},
    )


def _folded(*events: TrackerEvent) -> dict:
    summary = new_summary(events[0])
    for event in events:
        fold(summary, event, LOW)
    return summary


@pytest.mark.parametrize(
    "events, outcome",
    [
        ([_user(1, "forgot_password"), _event(2, "action", name="utter_forgot_password")], "resolved"),
        ([_user(1, "request_human"), _event(2, "action", name="action_handoff")], "handed_off"),
        ([_user(1, "forgot_password"), _user(2, "nlu_fallback", 0.3)], "fallback"),
        ([_user(1, "nlu_fallback", 0.3), _user(2, "forgot_password")], "resolved"),
        ([_user(1, "forgot_password"), _event(2, "active_loop", name="password_reset_form")], "abandoned"),
        (
            [
                _user(1, "affirm"),
                _event(2, "active_loop", name="password_reset_form"),
                _event(3, "active_loop", name=None),
            ],
            "resolved",
        ),
        ([_event(1, "session_started")], "abandoned"),
        ([_user(1, "request_human"), _event(2, "pause"), _event(3, "resume")], "handed_off"),
    ],
)
def test_outcome_of_a_conversation(events, outcome: str) -> None:
    assert _folded(*events)["outcome"] == outcome


def test_folding_tracks_channel_language_flags_and_handoff_state() -> None:
    summary = _folded(
        _event(1, "slot", name="session_started_metadata", value={"channel": "telegram"}),
        _user(2, "forgot_password", 0.55, "Я забыл ПАРОЛЬ"),
        _event(3, "slot", name="language", value="ru"),
        _event(4, "action", name="action_handoff"),
        _event(5, "pause"),
        _event(6, "bot", text="Hello from support", metadata={"console_agent": "alice"}),
        _event(7, "slot", name="agent_outcome", value="resolved_by_agent"),
        _event(8, "resume"),
    )
    assert (summary["channel"], summary["language"], summary["low_confidence"]) == ("telegram", "ru", True)
    assert (summary["handoff_state"], summary["agent_outcome"]) == ("returned", "resolved_by_agent")
    assert summary["search_text"] == "я забыл пароль\nhello from support\n"
    assert (summary["started_at"], summary["last_activity"], summary["last_event_id"]) == (1001.0, 1008.0, 8)


def test_sync_reads_only_events_past_its_watermark(tmp_path) -> None:
    tracker = Tracker(tmp_path / "tracker.db")
    console = open_console_db(f"sqlite:///{tmp_path / 'console.db'}")
    first = tracker.conversation("a", [("I forgot my password", "forgot_password", 0.9)])
    first += tracker.conversation("b", [("bonjour", "greet", 0.9)], language="fr")
    assert sync(tracker.engine, console, LOW) == first
    assert sync(tracker.engine, console, LOW) == 0  # nothing new: nothing read
    added = tracker.add(
        "a",
        [
            {
                "event": "user",
                "timestamp": time.time(),
                "text": "still no email",
                "parse_data": {"intent": {"name": "reset_email_not_received", "confidence": 0.4}},
            }
        ],
    )
    assert sync(tracker.engine, console, LOW) == added == 1
    with console.connect() as connection:
        row = connection.execute(select(summaries).where(summaries.c.conversation_id == "a")).one()
        intents = set(
            connection.execute(
                select(conversation_intents.c.intent).where(conversation_intents.c.conversation_id == "a")
            ).scalars()
        )
    assert (row.user_messages, row.low_confidence) == (2, True)
    assert intents == {"forgot_password", "reset_email_not_received"}


def test_list_pages_continue_where_the_previous_one_ended(tmp_path) -> None:
    tracker = Tracker(tmp_path / "tracker.db")
    console = open_console_db(f"sqlite:///{tmp_path / 'console.db'}")
    for n in range(7):
        tracker.conversation(f"c{n}", [("hi", "greet", 0.9)])
    sync(tracker.engine, console, LOW)
    seen, before = [], None
    while True:
        page = conversation_page(console, Filters(), 3, before)
        seen += [row["conversation_id"] for row in page.rows]
        if page.next_before is None:
            break
        before = page.next_before
    assert seen == [f"c{n}" for n in reversed(range(7))]


def test_a_conversation_exports_as_a_test_story_rasa_reads(tmp_path) -> None:
    tracker = Tracker(tmp_path / "tracker.db")
    tracker.conversation(
        "story-1",
        [("I forgot my password", "forgot_password", 0.9), ("my password is Hunter2!", "nlu_fallback", 0.2)],
    )
    stored = read_events(tracker.engine, "story-1")
    misread = next(e for e in stored if e.type_name == "user" and "Hunter2" in e.data["text"])
    text = story_yaml("story-1", stored, {misread.id: "forgot_password"})
    assert "Hunter2" not in text and "[redacted: credential]" in text
    steps = YAMLStoryReader().read_from_string(text)
    assert [s.block_name for s in steps] == ["conversation story-1"]
    user_turns = [e for e in steps[0].events if e.type_name == "user"]
    assert [u.intent_name for u in user_turns] == ["forgot_password", "forgot_password"]


def test_corrections_export_as_nlu_examples_rasa_reads() -> None:
    text = nlu_yaml(
        [
            {
                "text": "it's anna@example.com",
                "intent": "inform",
                "entities": [
                    {"entity": "email", "value": "anna@example.com", "start": 5, "end": 21},
                    {"entity": "language", "value": "en", "start": 0, "end": 2},
                ],
            },
            {"text": "je n'ai plus accès à ma boîte mail", "intent": "lost_email_access", "entities": []},
        ]
    )
    data = RasaYAMLReader().reads(text)
    examples = {m.get("text"): m for m in data.intent_examples}
    assert examples["it's anna@example.com"].get("intent") == "inform"
    assert [e["entity"] for e in examples["it's anna@example.com"].get("entities")] == ["email"]
    assert examples["je n'ai plus accès à ma boîte mail"].get("intent") == "lost_email_access"


def test_sync_repairs_lone_surrogates_instead_of_stopping_for_good(tmp_path) -> None:
    """Rasa keeps a lone surrogate escaped inside the event's JSON; reading it back once made
    every sync pass fail with UnicodeEncodeError and the watermark never moved again."""
    tracker = Tracker(tmp_path / "tracker.db")
    console = open_console_db(f"sqlite:///{tmp_path / 'console.db'}")
    stored = tracker.conversation("s", [("hi \ud800 there", "greet", 0.9)])
    tracker.add(
        "s",
        [
            {
                "event": "user",
                "timestamp": time.time(),
                "text": "ok",
                "metadata": {"locale\udfff": "fr\ud800"},
                "parse_data": {"intent": {"name": "greet", "confidence": 0.9}},
            }
        ],
    )
    assert sync(tracker.engine, console, LOW) == stored + 1
    with console.connect() as connection:
        row = connection.execute(select(summaries).where(summaries.c.conversation_id == "s")).one()
    assert "hi \ufffd there" in row.search_text
    tracker.conversation("after", [("hello", "greet", 0.9)])
    assert sync(tracker.engine, console, LOW) > 0


def test_an_event_that_cannot_be_stored_is_skipped_counted_and_passed(tmp_path, monkeypatch) -> None:
    from services.console import sync as sync_module

    tracker = Tracker(tmp_path / "tracker.db")
    console = open_console_db(f"sqlite:///{tmp_path / 'console.db'}")
    total = tracker.conversation("bad", [("poison", "greet", 0.9)])
    total += tracker.conversation("good", [("fine", "greet", 0.9)])
    real_apply = sync_module._apply

    def failing_apply(connection, batch, low_confidence):
        if any(event.data.get("text") == "poison" for event in batch):
            raise ValueError("cannot be stored")
        real_apply(connection, batch, low_confidence)

    monkeypatch.setattr(sync_module, "_apply", failing_apply)
    assert sync(tracker.engine, console, LOW) == total
    with console.connect() as connection:
        skipped = connection.execute(
            select(sync_state.c.value).where(sync_state.c.name == "skipped_events")
        ).scalar()
        good = connection.execute(select(summaries).where(summaries.c.conversation_id == "good")).one()
        mark = connection.execute(select(sync_state.c.value).where(sync_state.c.name == "events")).scalar()
    assert skipped == 1 and good.user_messages == 1 and mark == total


def test_messages_while_a_customer_waits_or_an_agent_holds_are_not_scored() -> None:
    summary = _folded(
        _user(1, "request_human"),
        _event(2, "action", name="action_handoff"),
        _event(3, "slot", name="person_request", value="waiting"),
        _user(4, "nlu_fallback", 0.2, "my license disappeared"),
        _event(5, "pause"),
        _user(6, "email_recently_deleted", 0.3, "still there?"),
        _event(7, "user", text=None, parse_data={"intent": {"name": "EXTERNAL_person_wait_over"}}),
    )
    assert (summary["user_messages"], summary["fallbacks"], summary["low_confidence"]) == (1, 0, False)
    assert summary["last_intent"] == "request_human" and summary["outcome"] == "handed_off"
    assert summary["last_message"] == "still there?", "the preview still follows the customer"
    assert (summary["handoff_reason"], summary["handoff_at"]) == ("asked", 1002.0)


def test_the_customer_withdraws_or_asks_for_email_and_the_address_is_kept_masked() -> None:
    waiting = [
        _user(1, "nlu_fallback", 0.2),
        _event(2, "action", name="action_handoff"),
        _event(3, "slot", name="person_request", value="waiting"),
    ]
    withdrawn = _folded(*waiting, _event(4, "slot", name="person_request", value="withdrawn"))
    assert (withdrawn["handoff_state"], withdrawn["handoff_reason"]) == ("withdrawn", "not_understood")
    by_email = _folded(
        *waiting,
        _event(4, "slot", name="email", value="Jane.Doe@Example.com"),
        _event(5, "slot", name="person_request", value="by_email"),
    )
    assert by_email["handoff_state"] == "by_email"
    assert by_email["customer_email"] == "J***@Example.com"
    assert (
        by_email["customer_key"]
        == _folded(_event(1, "slot", name="email", value="jane.doe@example.com"))["customer_key"]
    )


def test_a_redaction_marker_is_never_redacted_again() -> None:
    assert (
        redact_stored("my password is [redacted: credential] ok")
        == "my password is [redacted: credential] ok"
    )
    assert (
        redact_stored("[redacted: credential] and my password is Qwerty123")
        == "[redacted: credential] and my password is [redacted: credential]"
    )


def test_the_satisfaction_answer_reaches_the_summary_and_the_dashboard(tmp_path) -> None:
    """Issue 12's 1-5 question, answered as the `satisfaction` slot: on the customer panel and as
    the dashboard's satisfaction per language and channel."""
    from services.console.dashboard import dashboard

    tracker = Tracker(tmp_path / "tracker.db")
    console = open_console_db(f"sqlite:///{tmp_path / 'console.db'}")
    for sender, language, rating in (
        ("r1", "en", "5"),
        ("r2", "en", "2"),
        ("r3", "fr", "4"),
        ("r4", "fr", None),
    ):
        tracker.conversation(sender, [("it arrived", "email_arrived", 0.9)], language=language)
        if rating:
            tracker.add(
                sender, [{"event": "slot", "timestamp": time.time(), "name": "satisfaction", "value": rating}]
            )
    sync(tracker.engine, console, LOW)
    with console.connect() as connection:
        rows = {r.conversation_id: r.satisfaction for r in connection.execute(select(summaries))}
    assert rows == {"r1": 5, "r2": 2, "r3": 4, "r4": None}
    figures = dashboard(console, 30)
    assert figures["overall"].csat == pytest.approx(11 / 3) and figures["overall"].rated == 3
    by_language = {f.label: (f.csat, f.rated) for f in figures["by_language"]}
    assert by_language == {"en": (3.5, 2), "fr": (4.0, 1)}

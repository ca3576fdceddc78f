"""Rasa's own checks of the project: data validation, and the article's test stories.

`rasa data validate --fail-on-warnings` catches unused responses, intents the
domain lacks and story conflicts; `rasa test core --fail-on-prediction-errors`
plays every test story in tests/stories (each article row, in each language,
from the customer's own words through NLU to the next action).
"""

import subprocess
import sys
from pathlib import Path

import pytest

from bot.languages import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "assistant.tar.gz"
pytestmark = pytest.mark.slow  # Rasa's own command line, a process each


def rasa(*arguments: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rasa", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# Responses that code sends, not the dialogue: Rasa warns that no story or rule uses them.
SENT_BY_CODE = {
    "utter_message_cut",  # connectors.turns.tell_cut, after a message cut at the platform's limit
    # bot.dialogue.holding and actions/holding.py, while a customer waits for a person
    "utter_added_to_request",
    "utter_no_person_yet",
    "utter_ask_reply_email",
    "utter_answer_by_email",
    "utter_assistant_back",
}


def unexpected_warnings(stderr: str) -> list[str]:
    """Rasa's warnings, less "not used in any story or rule" for the responses code sends."""
    allowed = {f"The utterance '{name}' is not used in any story or rule." for name in SENT_BY_CODE}
    return [
        line
        for line in stderr.splitlines()
        if "UserWarning" in line and not any(text in line for text in allowed)
    ]


def test_the_training_data_validates_without_a_warning() -> None:
    result = rasa("data", "validate", "--fail-on-warnings")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert not unexpected_warnings(result.stderr), result.stderr[-3000:]


def test_every_article_story_passes_in_every_language(tmp_path: Path) -> None:
    if not MODEL.exists():
        pytest.fail("models/assistant.tar.gz is missing: run `make test`, which trains it first")
    result = rasa(
        "test",
        "core",
        "--model",
        str(MODEL),
        "--stories",
        "tests/stories",
        "--out",
        str(tmp_path),
        "--fail-on-prediction-errors",
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    failed = tmp_path / "failed_test_stories.yml"
    assert not failed.exists() or "story:" not in failed.read_text(), failed.read_text()
    for language in LANGUAGES:
        assert (ROOT / "tests" / "stories" / f"test_article_{language}.yml").exists()

"""The scripted conversations the load generator plays.

Ours follow real flows of the support article in the three languages, each with an account-API
call (a password reset or a device confirmation sent to the customer's address); the
reference's are the flows `rasa init`'s assistant was built for. Both are six turns, each
conversation a new customer; the long conversation plays all of them in turn, 80 turns, as one
customer.
"""

from collections.abc import Sequence
from dataclasses import dataclass

# {email} is replaced by an address unique to the conversation.
OURS = (
    ("en", ("hi", "I forgot my password", "yes please", "it's {email}", "yes", "thanks, bye")),
    ("ru", ("привет", "я не помню пароль от аккаунта", "да", "{email}", "да, верно", "спасибо")),
    (
        "fr",
        (
            "bonjour",
            "je ne reçois pas le mail de confirmation de l'appareil",
            "oui",
            "mon mail c'est {email}",
            "oui",
            "merci beaucoup",
        ),
    ),
)
REFERENCE = (
    ("en", ("hello", "I am feeling sad", "yes", "are you a bot?", "great, thanks", "goodbye")),
    ("en", ("hi there", "very good", "are you a human?", "I am sad", "no", "bye")),
)


@dataclass
class Conversation:
    """One customer's scripted turns."""

    sender: str
    language: str
    turns: list[str]
    email: str = ""


LONG_TURNS = 80


def long_conversation(script: Sequence, prefix: str, turns: int = LONG_TURNS) -> Conversation:
    """One customer who goes through every flow of `script` again and again for `turns` turns
    (a support conversation with follow-ups: forms, take-overs, changes of mind)."""
    email = f"{prefix}-long@bench.example.com"
    flow = [t.format(email=email) for _, texts in script for t in texts]
    return Conversation(f"{prefix}-long", script[0][0], [flow[n % len(flow)] for n in range(turns)], email)


def conversations(script: Sequence, count: int, prefix: str) -> list[Conversation]:
    """`count` conversations cycling through `script`, each with its own sender and address."""
    result = []
    for n in range(count):
        language, turns = script[n % len(script)]
        email = f"{prefix}-{n}@bench.example.com"
        result.append(Conversation(f"{prefix}-{n}", language, [t.format(email=email) for t in turns], email))
    return result

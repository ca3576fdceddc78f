"""Finding and hiding credentials that customers type into a chat.

Customers paste passwords ("my password is Qwerty123", "мой пароль: 12345",
"mon mdp c'est soleil"), one-time codes and API tokens into support chats.
None of it may reach storage, logs or an agent's screen, so every input path
(each connector, the REST channel, console exports) runs text through
`redact_credentials` before anything else sees it, and the assistant warns
the customer when one was shared (bot.nlu.credential_cue).

These are pure functions: no I/O, no state, cheap enough for every message.
"""

import re
from functools import lru_cache

REDACTION_MARKER = "[redacted: credential]"

# Words that introduce a secret, in the three languages the assistant speaks.
_KEYWORDS = (
    r"pass\s*word|passwd|passcode|pass|pwd|pw|pin(?:\s*code)?|"
    r"api[\s_-]*key|access[\s_-]*token|token|secret|"
    r"пароль|пароля|паролем|парол|пасс|пин(?:-?код)?|токен|ключ\s+api|"
    r"mot\s+de\s+passe|mdp|code\s+secret|jeton|cl[ée]\s+api"
)
# What may stand between the keyword and the secret.
_LINKERS = r"(?:\s*(?:is|was|=|:|-|—|это|был|была|est|c['’]est|était|etait)\s*|\s+)"
_SEPARATOR_ONLY = re.compile(r"^\s*[:=]\s*$")
_WHITESPACE_ONLY = re.compile(r"^\s+$")
_QUOTED = re.compile(r"""^(["'«“‘])(.+?)(["'»”’])""")
_CANDIDATE = re.compile(
    rf"(?i)(?:\b(?:my|the|your|new|old|current|мой|моём|моем|мою|новый|старый|"
    rf"mon|ma|le|nouveau|ancien)\s+)?\b(?:{_KEYWORDS})\b(?P<link>{_LINKERS})"
    r"(?P<value>[\"'«“‘][^\"'»”’\n]{1,80}[\"'»”’]|[^\s,;]{1,128})"
)
# A long random-looking string anywhere (API keys, session tokens, JWTs).
_LONG_TOKEN = re.compile(
    r"(?<![\w@./-])(?=[A-Za-z0-9_\-.]*\d)(?=[A-Za-z0-9_\-.]*[A-Za-z])[A-Za-z0-9_\-.]{24,}(?![\w@-])"
)

# Words that describe a password rather than being one ("my password is wrong").
_DESCRIPTIONS = frozenset(
    """
    not no wrong incorrect invalid too very correct right fine ok okay expired
    rejected refused common weak strong short long reset changed lost forgotten
    forgot missing blocked locked empty required the a an it this that what
    does doesn't dont don't isn't wont won't isnt also still now never
    не неверный неправильный верный правильный слишком очень слабый сложный простой
    забыл забыла сброшен утерян потерян не работает истек истёк подходит
    ne pas plus faux incorrect invalide trop très tres correct bon oublié oublie
    expiré expire refusé refuse faible simple le la un une
    """.split()
)


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    """The published common-password list that ships with zxcvbn.

    A lower-case word after "my password is" is only a secret when it is a
    password people actually use, and this list says which ones are.
    """
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def _looks_secret(value: str, explicit_separator: bool, bare: bool) -> bool:
    """Tells a secret from a word that only talks about the password.

    `bare` means nothing but a space stands after the keyword ("password
    reset"), where only a string with digits, symbols or inner capitals
    counts, not a dictionary word.
    """
    stripped = value.strip(".!?")
    if not stripped:
        return False
    lowered = stripped.lower()
    if lowered in _DESCRIPTIONS:
        return False
    if _QUOTED.match(value) or explicit_separator:
        return True
    if any(c.isdigit() for c in stripped) or any(not c.isalnum() for c in stripped):
        return True
    if any(c.isupper() for c in stripped[1:]):
        return True
    return not bare and lowered in _common_passwords()


def find_credentials(text: str) -> list[tuple[int, int]]:
    """Spans (start, end) of what looks like a password or token in `text`."""
    spans: list[tuple[int, int]] = []
    for match in _CANDIDATE.finditer(text):
        value = match.group("value")
        if "@" in value and not _QUOTED.match(value):
            continue  # "password for anna@mail.ru" names an account, not a secret
        link = match.group("link")
        explicit = bool(_SEPARATOR_ONLY.match(link))
        if _looks_secret(value, explicit, bool(_WHITESPACE_ONLY.match(link))):
            end = match.end("value")
            if not _QUOTED.match(value):
                end -= len(value) - len(value.rstrip(".!?"))
            spans.append((match.start("value"), end))
    for match in _LONG_TOKEN.finditer(text):
        if not any(start <= match.start() < end for start, end in spans):
            spans.append(match.span())
    return sorted(spans)


def redact_credentials(text: str) -> str:
    """`text` with every credential replaced by a visible marker."""
    spans = find_credentials(text)
    if not spans:
        return text
    pieces = []
    cursor = 0
    for start, end in spans:
        pieces.append(text[cursor:start])
        pieces.append(REDACTION_MARKER)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)

"""Finding and hiding credentials that customers type into a chat.

Customers paste passwords ("my password is Qwerty123", "пароль такой: Lena1985", "mdp -> Abc12345"),
address/password pairs ("anna@mail.com / Qwerty!2024"), one-time codes ("код из смс 739201"),
card numbers and API tokens into support chats. None of it may reach storage, logs or an agent's
screen, so the one function here, `redact_credentials`, guards every place customer or agent text
is stored or shown: every input channel (the connectors, and for all channels at once the Rasa
processor, see bot.runtime.redacting), tickets, agents' notes and replies, the console and exports.
It is idempotent: a marker left by an earlier pass is never matched again, so a text that went
through two of those places reads the same as after one.

How a secret is told from talk about passwords ("my password is wrong", "I can't pass 2FA",
"Pass: 3 days", an order number, a UUID):
- after a keyword (password, пароль, mot de passe, pin, token, ...), a few filler words ("for my
  account", "от почты") and a linker, the next word is the secret when its shape says so: after
  an explicit separator (`:`, `=`, `->`, `-`) any word of 4+ characters that is not a description
  ("wrong", "неверный", "refusé"); after a word linker ("is", "это", "est", "to", "на", "en") a
  word with digits, symbols or inner capitals, a published common password, or the last word of
  the message; with nothing between, a word with digits, symbols or inner capitals;
- a word of password shape after an address ("anna@mail.com Qwerty!2024"), after a verb of trying
  ("I tried Qwerty123 and Qwerty1234", "ввожу ..."), before "as password"/"comme mot de passe",
  or continuing a secret ("old ... and the new one is ...");
- digits after a one-time-code cue ("code", "код") unless an error or postal code is meant;
- a run of 13-19 digits that passes the Luhn check (a card number);
- a long random-looking token (API keys, session tokens, JWTs), unless it is a UUID or an order
  number in upper case;
- a message that is nothing but one password-shaped word; and when the assistant had asked for
  the account's address (`requested_slot="email"`), a bare answer that is not an address but has
  a password's shape.

Everything works word by word on `str.split`-like tokens, and every regular expression is
anchored on one token or has a bounded repetition, so the time is linear in the text's length
(tests/security/test_redaction_linear_time.py runs each on 100 KB tokens).

These are pure functions: no I/O and no state but a small memo of the last texts' spans (a
message passes three redactions on its way in), cheap enough for every message.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

REDACTION_MARKER = "[redacted: credential]"
ADDRESS_SLOT = "email"  # the form slot whose prompt makes a bare password-shaped answer a secret

# Keywords that introduce a secret; multi-word ones are matched on consecutive words.
_STRONG_KEYWORDS = frozenset(
    """
    password passwords passwd pwd pw passcode passphrase pin pincode pin-code token api-key
    apikey api_key secret
    пароль пароля паролем паролю пароле пароли пин пин-код пинкод токен
    parol parolya parolja parolem parolyu
    mdp jeton
    """.split()
)
_WEAK_KEYWORDS = frozenset("pass пасс".split())  # also ordinary words: need a password shape
_PHRASE_KEYWORDS = (
    ("mot", "de", "passe"),
    ("mots", "de", "passe"),
    ("code", "secret"),
    ("code", "pin"),
    ("pin", "code"),
    ("pass", "word"),
    ("api", "key"),
    ("access", "token"),
    ("ключ", "api"),
    ("api", "ключ"),
    ("clé", "api"),
    ("cle", "api"),
    ("secret", "code"),
)
# The phrases by their first word, so that a token tries only the phrases it could begin.
_PHRASES_BY_FIRST_WORD: dict[str, tuple[tuple[str, ...], ...]] = {}
for _phrase in _PHRASE_KEYWORDS:
    _PHRASES_BY_FIRST_WORD[_phrase[0]] = (*_PHRASES_BY_FIRST_WORD.get(_phrase[0], ()), _phrase)
# Words that may stand between a keyword and its linker ("password for my account is ...").
_FILLERS = frozenset(
    """
    for of my your the this that i use used account parallels which current actual new old
    email mail login changed updated set reset now then
    от к для мой моя мою моего мой аккаунта аккаунту учетки учётки учетке учётке учетной записи
    почты почте у меня я и неё нее него новый старый текущий сейчас parallels одинаковый
    du de mon ma le la l' compte pour actuel actuelle nouveau ancien je crois que bien
    modifié changé mis
    """.split()
)
_EXPLICIT_LINKERS = frozenset(":= -> → => - — – : = is: est: это: такой:".split())
_WORD_LINKERS = frozenset(
    """
    is was are were be to into as
    это был была было будет такой такая примерно на
    est était etait c'est c’est sera en par
    """.split()
)
# Linkers of a change ("changed it to X", "сменил на X", "changé en X"): what follows is often an
# ordinary word ("en tête", "на русской раскладке"), so it needs a password's shape.
_CHANGE_LINKERS = frozenset("to into as на en par".split())
_LINKERS_AND_FILLERS = _WORD_LINKERS | _FILLERS
# After a verb of trying, the next password-shaped word is the secret ("I tried Qwerty123").
_ATTEMPT_VERBS = frozenset(
    """
    tried try trying typed typing type entered enter entering put putting using
    пробовал пробовала пробую ввожу ввожу ввела ввел ввёл вводил вводила набираю набрал набрала
    essayé essaye tapé tape tapais entré saisi saisis mis mets
    """.split()
)
_AS_WORDS = frozenset("as comme".split())  # "... X as (the) password"
_CONTINUATIONS = frozenset(
    """
    and or the new one is was now then , / и или новый новая теперь потом а
    et ou le la nouveau nouvelle maintenant puis
    """.split()
)
# Words that describe a password rather than being one ("my password is wrong").
_DESCRIPTIONS = frozenset(
    """
    not no wrong incorrect invalid too very correct right fine ok okay expired valid
    unsafe insecure safe secure
    rejected refused common weak strong short long reset changed lost forgotten
    forgot missing blocked locked empty required the a an it this that what which
    does doesn't dont don't isn't wont won't isnt also still now never same different
    saved stored case-sensitive unknown simple complicated complex good bad accepted
    working broken there here mine yours ready done
    не неверный неправильный верный правильный верным слишком очень слабый сложный простой
    забыл забыла сброшен утерян потерян не работает истек истёк подходит заблокирован
    короткий длинный другой тот этот такой неправильно верно правильно
    ne pas plus faux incorrect invalide trop très tres correct bon oublié oublie
    expiré expire refusé refuse faible simple le la un une bloqué bloque mauvais court long
    différent different pareil erroné errone accepté
    """.split()
)
# Digits after these are a one-time code ...
# "my password is <last word>" is a secret unless the word is shaped like a description.
_DESCRIBING_ENDINGS = (
    "ed",
    "ing",
    "ble",
    "ful",
    "less",
    "ous",
    "ive",
    "ent",
    "ant",
    "é",
    "ée",
    "és",
    "ées",
    "if",
    "eux",
    "euse",
    "ique",
    "ый",
    "ий",
    "ой",
    "ая",
    "яя",
    "ое",
    "ее",
    "ен",
    "ан",
    "ена",
    "ана",
    "но",
    "ся",
)
_ADVERBS = frozenset(
    """
    bien exactly actually probably maybe just simply literally definitely surely
    точно именно вроде наверное наверно кажется вероятно
    sûrement surement peut-être peut-etre probablement exactement
    """.split()
)
_CODE_CUES = frozenset("code codes otp authenticator код кода кодом коду коде codes".split())
# ... unless one of these is near: an error code, a postal code, an order.
_CODE_STOPS = frozenset(
    """
    error errors err zip postal area country order ticket case invoice
    ошибки ошибка ошибку заказа заказ индекс обращения заявки
    d'erreur d’erreur erreur postal commande dossier ticket
    """.split()
)
_OPENING_QUOTES = "\"'«“‘„"
_CLOSING_QUOTES = "\"'»”’“"
_LEADING_PUNCTUATION = "([{" + _OPENING_QUOTES
_TRAILING_PUNCTUATION = ".,;:?)]}" + _CLOSING_QUOTES
# Not symbols for telling a password's shape: they join ordinary words and numbers.
_WORD_JOINERS = "-'’./"
_MAX_SECRET_CHARS = 128
_WINDOW = 8  # words between a keyword and its secret

# Each is matched against one token (fullmatch) and cannot backtrack more than linearly.
_EMAIL = re.compile(r"[^\s@]{1,64}@[^\s@.]+(?:\.[^\s@.]+)+")
_URL = re.compile(r"(?:https?://|www\.)\S*", re.IGNORECASE)
_UUID = re.compile(r"\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?")
_VERSION = re.compile(r"v?\d{1,8}(?:\.\d{1,8}){1,4}(?:-\d{1,8})?")
_UPPER_IDENTIFIER = re.compile(r"[A-Z0-9]+(?:[-_/][A-Z0-9]+)*")  # PD-2024-000123456-ABCDEF
_LONG_TOKEN = re.compile(r"[A-Za-z0-9_\-.=+/]{24,}")
_DIGITS = re.compile(r"\d{4,8}")
_THREE_DIGITS = re.compile(r"\d{3}")
_SPLIT_CODE = re.compile(r"\d{3}[- ]\d{3}")
# A card number: 13-19 digits, in groups separated by single spaces or dashes.
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])")
_WORD = re.compile(r"\S+")


@dataclass
class _Token:
    """One whitespace-separated word: where it is, and its core without wrapping punctuation."""

    start: int
    end: int
    text: str
    core_start: int
    core_end: int
    in_marker: bool

    @property
    def core(self) -> str:
        return self.text[self.core_start - self.start : self.core_end - self.start]

    @property
    def lower(self) -> str:
        return self.core.lower()


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    """The published common-password list that ships with zxcvbn.

    A lower-case word after "my password is" is only a secret when it is a
    password people actually use, and this list says which ones are.
    """
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def _marker_spans(text: str) -> list[tuple[int, int]]:
    """Where earlier passes left a marker: never matched again."""
    spans, at = [], text.find(REDACTION_MARKER)
    while at >= 0:
        spans.append((at, at + len(REDACTION_MARKER)))
        at = text.find(REDACTION_MARKER, at + len(REDACTION_MARKER))
    return spans


def _tokens(text: str, markers: Sequence[tuple[int, int]]) -> list[_Token]:
    tokens = []
    marker_index = 0
    for match in _WORD.finditer(text):
        start, end = match.span()
        word = match.group()
        core_start, core_end = start, end
        while core_start < core_end and text[core_start] in _LEADING_PUNCTUATION:
            core_start += 1
        while core_end > core_start and text[core_end - 1] in _TRAILING_PUNCTUATION:
            core_end -= 1
        while marker_index < len(markers) and markers[marker_index][1] <= start:
            marker_index += 1
        in_marker = marker_index < len(markers) and markers[marker_index][0] < end
        tokens.append(_Token(start, end, word, core_start, core_end, in_marker))
    return tokens


def _is_address(word: str) -> bool:
    return _EMAIL.fullmatch(word) is not None


def _is_identifier(word: str) -> bool:
    """An address, link, UUID, version or upper-case reference: named, never secret."""
    return bool(
        _is_address(word)
        or _URL.match(word)
        or _UUID.fullmatch(word)
        or _VERSION.fullmatch(word)
        or _UPPER_IDENTIFIER.fullmatch(word)
    )


def _has_symbol(word: str) -> bool:
    return any(not c.isalnum() and not c.isspace() and c not in _WORD_JOINERS for c in word)


def _shaped(word: str) -> bool:
    """Digits, symbols or inner capitals: a word that is not a plain dictionary word."""
    return any(c.isdigit() for c in word) or _has_symbol(word) or any(c.isupper() for c in word[1:])


def _password_shaped(word: str, minimum: int = 6) -> bool:
    """A word that reads as a password with no keyword near: letters with digits or symbols."""
    if not minimum <= len(word) <= _MAX_SECRET_CHARS or _is_identifier(word):
        return False
    has_letter = any(c.isalpha() for c in word)
    return has_letter and (any(c.isdigit() for c in word) or _has_symbol(word))


def _strong_standalone(word: str) -> bool:
    """A message that is only this word is a password: letters, digits and a third class."""
    if not 6 <= len(word) <= _MAX_SECRET_CHARS or _is_identifier(word):
        return False
    classes = sum(
        (
            any(c.islower() for c in word),
            any(c.isupper() for c in word),
            any(c.isdigit() for c in word),
            _has_symbol(word),
        )
    )
    return any(c.isalpha() for c in word) and any(c.isdigit() for c in word) and classes >= 3


def _answer_at_address_prompt(word: str) -> bool:
    """An answer to "what is your account's address?" that is a password instead."""
    if _is_identifier(word) or len(word) > _MAX_SECRET_CHARS:
        return False
    if word.isdigit():
        return len(word) >= 4
    local, at, domain = word.partition("@")
    if at and domain.replace(".", "").replace("-", "").isalpha():
        return False  # an address missing its domain's end ("anna@gmail"): not a secret
    return _password_shaped(word)


def _value_span(tokens: list[_Token], index: int) -> tuple[int, int, bool] | None:
    """(start, end, quoted) of the value starting at tokens[index]; a quoted one gathered whole."""
    token = tokens[index]
    if token.in_marker:
        return None
    first = token.text.lstrip("([{")
    if not first or first[0] not in _OPENING_QUOTES:
        return token.core_start, token.core_end, False
    start = token.end - len(first)
    for last in range(index, min(len(tokens), index + 12)):
        word = tokens[last].text.rstrip(".,;:?!)]}")
        if last == index and len(word) < 3:
            continue  # the opening quote alone, or an empty pair
        if word and word[-1] in _CLOSING_QUOTES:
            return start, tokens[last].start + len(word), True
    return None


def _accept(value: str, link: str, strong: bool, last: bool) -> bool:
    """Whether `value`, found after a (`strong` or weak) keyword and a `link` ("explicit", "word",
    "change", "bare", or "filler": bare after filler words), is a secret; `last`: it ends the
    message."""
    lowered = value.lower()
    if not value or lowered in _DESCRIPTIONS or _is_address(value) or len(value) > _MAX_SECRET_CHARS:
        return False
    if len(value) < 4:
        return False
    shaped = _shaped(value) and not _is_identifier(value)
    if not strong:
        return shaped if link in ("explicit", "word") else _password_shaped(value)
    if value.isdigit() or shaped:
        return True
    common = lowered in _common_passwords()
    if link == "explicit":  # "password: hello", but not "пароль: письмо не приходит"
        return last or common
    if common:
        return link in ("word", "change") or (link == "bare" and last)
    return link == "word" and last and value.isalpha() and not lowered.endswith(_DESCRIBING_ENDINGS)


class _Finder:
    """One pass over a text's tokens, collecting the spans of secrets."""

    def __init__(self, text: str, requested_slot: str | None) -> None:
        self.text = text
        self.requested_slot = requested_slot
        self.markers = _marker_spans(text)
        self.tokens = _tokens(text, self.markers)
        self.lowers = [t.lower for t in self.tokens]
        self.spans: list[tuple[int, int]] = []
        self.taken: set = set()
        self.keywords: dict[int, tuple[int, bool, bool, str | None] | None] = {}

    def add(self, start: int, end: int) -> None:
        if start < end:
            self.spans.append((start, end))

    def take_token(self, index: int, start: int, end: int) -> None:
        self.taken.add(index)
        self.add(start, end)

    # --- keywords -------------------------------------------------------------------------

    def keyword_at(self, index: int) -> tuple[int, bool, bool, str | None] | None:
        """(words in the keyword, strong, ends with a separator, value glued after it).

        Asked twice per token (after a keyword, before "as ... password"), so remembered; the
        phrases are tried only when the token is one's first word (a 10,000-character message
        took 0.23 s per pass when every token tried every phrase).
        """
        if index not in self.keywords:
            self.keywords[index] = self._keyword_at(index)
        return self.keywords[index]

    def _keyword_at(self, index: int) -> tuple[int, bool, bool, str | None] | None:
        token = self.tokens[index]
        if token.in_marker:
            return None
        phrases = _PHRASES_BY_FIRST_WORD.get(self.lowers[index].rstrip(":="), ())
        for phrase in phrases:
            words = self.lowers[index : index + len(phrase)]
            if len(words) == len(phrase) and all(
                w.rstrip(":=") == p for w, p in zip(words, phrase, strict=True)
            ):
                last = self.tokens[index + len(phrase) - 1]
                return len(phrase), True, last.text.rstrip().endswith((":", "=")), None
        core = token.lower
        separator = next((i for i, c in enumerate(core) if c in ":="), -1)
        head = core[:separator] if separator > 0 else core
        if head in _STRONG_KEYWORDS or head in _WEAK_KEYWORDS:
            glued = token.core[separator + 1 :] if separator > 0 else None
            explicit = separator > 0 or token.text.endswith((":", "="))
            return 1, head in _STRONG_KEYWORDS, explicit, glued or None
        return None

    def after_keyword(self, index: int) -> None:
        found = self.keyword_at(index)
        if found is None:
            return
        length, strong, explicit, glued = found
        token = self.tokens[index + length - 1]
        if glued:
            start = token.core_end - len(glued)
            if _accept(glued, "explicit", strong, False):
                self.add(start, token.core_end)
            return
        if token.text.endswith((",", ".", "?", ";")) and not explicit:
            return  # "тот пароль, что ..." : the sentence goes on about it
        link = "explicit" if explicit else "bare"
        cursor = index + length
        for _ in range(_WINDOW):
            if cursor >= len(self.tokens):
                return
            word = self.lowers[cursor]
            raw = self.tokens[cursor].text
            if self.tokens[cursor].in_marker:
                return
            if (
                raw in _EXPLICIT_LINKERS
                or word in _EXPLICIT_LINKERS
                or (
                    raw.endswith(":") and word in _LINKERS_AND_FILLERS  # "такой:", "du compte :"
                )
            ):
                link = "explicit"
                cursor += 1
                continue
            if word in _WORD_LINKERS and link != "explicit":
                link = "change" if word in _CHANGE_LINKERS else "word"
                cursor += 1
                continue
            if word in _FILLERS and link in ("bare", "filler") and not _shaped(self.tokens[cursor].core):
                link = "filler"
                cursor += 1
                continue
            if word in _ADVERBS:
                cursor += 1
                continue
            break
        else:
            return
        self.value_at(cursor, link, strong)

    def value_at(self, cursor: int, link: str, strong: bool) -> None:
        """Takes the value at `cursor` (and any that continue it) when it is a secret."""
        if cursor >= len(self.tokens) or cursor in self.taken:
            return
        span = _value_span(self.tokens, cursor)
        if span is None:
            return
        start, end, quoted = span
        if quoted:
            self.add(start, end)
            return
        if _accept(self.tokens[cursor].core, link, strong, cursor == len(self.tokens) - 1):
            self.take_token(cursor, start, end)
            self.continuation(cursor + 1)

    def continuation(self, cursor: int) -> None:
        """ "... Maxim1987 and the new one is Maxim1988": the following secrets too."""
        while cursor < len(self.tokens):
            skipped = 0
            while (
                cursor < len(self.tokens)
                and skipped < 5
                and (self.lowers[cursor] in _CONTINUATIONS or self.tokens[cursor].text in _CONTINUATIONS)
            ):
                cursor += 1
                skipped += 1
            if cursor >= len(self.tokens) or cursor in self.taken:
                return
            token = self.tokens[cursor]
            if token.in_marker or not _password_shaped(token.core):
                return
            self.take_token(cursor, token.core_start, token.core_end)
            cursor += 1

    def before_as_keyword(self, index: int) -> None:
        """ "I typed X as the password", "j'ai mis X comme mot de passe"."""
        if self.keyword_at(index) is None:
            return
        cursor = index - 1
        while cursor >= 0 and self.lowers[cursor] in ("the", "my", "a", "new", "le", "mon", "un", "nouveau"):
            cursor -= 1
        if cursor < 1 or self.lowers[cursor] not in _AS_WORDS:
            return
        value = self.tokens[cursor - 1]
        if value.text.endswith(tuple(_CLOSING_QUOTES)):
            for first in range(cursor - 1, max(-1, cursor - 13), -1):
                if self.tokens[first].text[:1] in _OPENING_QUOTES:
                    self.add(self.tokens[first].start, value.end)
                    return
            return
        if _password_shaped(value.core, 4):
            self.take_token(cursor - 1, value.core_start, value.core_end)

    # --- other shapes ---------------------------------------------------------------------

    def after_attempt(self, index: int) -> None:
        if self.lowers[index] not in _ATTEMPT_VERBS:
            return
        cursor = index + 1
        while cursor < len(self.tokens) and self.lowers[cursor] in (
            "in",
            "the",
            "my",
            "un",
            "le",
            "again",
            "encore",
        ):
            cursor += 1
        if cursor >= len(self.tokens) or self.keyword_at(cursor) is not None:
            return
        token = self.tokens[cursor]
        if not token.in_marker and _password_shaped(token.core):
            self.take_token(cursor, token.core_start, token.core_end)
            self.continuation(cursor + 1)

    def after_address(self, index: int) -> None:
        token = self.tokens[index]
        core = token.core
        local, at, rest = core.partition("@")
        if not at:
            return
        # "anna@mail.com:Qwerty!2024" in one word
        separator = next((i for i, c in enumerate(core) if c in ":|" and i > len(local)), -1)
        if separator > 0 and _is_address(core[:separator]) and len(core) - separator > 4:
            self.add(token.core_start + separator + 1, token.core_end)
            return
        if not _is_address(core):
            return
        cursor = index + 1
        while cursor < len(self.tokens) and self.tokens[cursor].text in ("/", ":", "|", "-", "—", ","):
            cursor += 1
        if cursor >= len(self.tokens):
            return
        following = self.tokens[cursor]
        if (
            not following.in_marker
            and _password_shaped(following.core, 5)
            and self.keyword_at(cursor) is None
        ):
            self.take_token(cursor, following.core_start, following.core_end)

    def one_time_code(self, index: int) -> None:
        word = self.lowers[index]
        if word.rstrip(":") not in _CODE_CUES:
            return
        if index > 0 and self.lowers[index - 1] in _CODE_STOPS:
            return
        for cursor in range(index + 1, min(len(self.tokens), index + 9)):
            token = self.tokens[cursor]
            lowered = self.lowers[cursor]
            if lowered in _CODE_STOPS or token.in_marker:
                return
            core = token.core
            if _DIGITS.fullmatch(core) or _SPLIT_CODE.fullmatch(core):
                end_index = cursor
            elif (
                _THREE_DIGITS.fullmatch(core)
                and cursor + 1 < len(self.tokens)
                and _THREE_DIGITS.fullmatch(self.tokens[cursor + 1].core)
            ):
                end_index = cursor + 1
            else:
                if token.text.endswith((".", "?", "!")):
                    return
                continue
            after = self.lowers[end_index + 1] if end_index + 1 < len(self.lowers) else ""
            if after in _CODE_STOPS:
                return
            self.add(token.core_start, self.tokens[end_index].core_end)
            return

    def long_token(self, token: _Token) -> None:
        core = token.core
        if token.in_marker or not _LONG_TOKEN.fullmatch(core) or _UUID.fullmatch(core):
            return
        if _UPPER_IDENTIFIER.fullmatch(core) or _URL.match(core):
            return
        if any(c.isdigit() for c in core) and any(c.isalpha() for c in core):
            self.add(token.core_start, token.core_end)

    def cards(self) -> None:
        for match in _CARD.finditer(self.text):
            digits = [int(c) for c in match.group() if c.isdigit()]
            if _luhn_valid(digits):
                self.add(*match.span())

    def whole_message(self) -> None:
        if len(self.tokens) != 1 or self.tokens[0].in_marker:
            return
        token = self.tokens[0]
        core = token.core
        if self.requested_slot == ADDRESS_SLOT and _answer_at_address_prompt(core):
            self.add(token.core_start, token.core_end)
        elif _strong_standalone(core):
            self.add(token.core_start, token.core_end)

    def run(self) -> list[tuple[int, int]]:
        for index, token in enumerate(self.tokens):
            self.after_keyword(index)
            self.before_as_keyword(index)
            self.after_attempt(index)
            self.after_address(index)
            self.one_time_code(index)
            self.long_token(token)
        self.cards()
        self.whole_message()
        return _merged(self.spans, self.markers)


def _luhn_valid(digits: Sequence[int]) -> bool:
    """The check digit card numbers carry (ISO/IEC 7812): random digit runs fail it 9 in 10."""
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def _merged(spans: list[tuple[int, int]], markers: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, overlaps joined, nothing inside an earlier pass's marker (both lists sorted)."""
    result: list[tuple[int, int]] = []
    marker = 0
    for start, end in sorted(spans):
        while marker < len(markers) and markers[marker][1] <= start:
            marker += 1
        if marker < len(markers) and markers[marker][0] <= start and end <= markers[marker][1]:
            continue
        if result and start <= result[-1][1]:
            result[-1] = (result[-1][0], max(end, result[-1][1]))
        else:
            result.append((start, end))
    return result


# A message is scanned up to three times on its way in: by its connector, by Rasa's processor
# (which knows what was asked) and by the credential cue of the NLU pipeline, each pass about
# 0.6 ms per thousand characters. The spans found in the last few texts are remembered, so each
# message is scanned once per question context; longer texts are scanned again rather than
# kept in memory.
_REMEMBERED_TEXTS = 32
_REMEMBERED_MAX_CHARS = 20_000


@lru_cache(maxsize=_REMEMBERED_TEXTS)
def _remembered_spans(text: str, address_asked: bool) -> tuple[tuple[int, int], ...]:
    """`_Finder`'s spans for a text of at most `_REMEMBERED_MAX_CHARS` characters."""
    return tuple(_Finder(text, ADDRESS_SLOT if address_asked else None).run())


def find_credentials(text: str, requested_slot: str | None = None) -> list[tuple[int, int]]:
    """Spans (start, end) of what looks like a password, code, card or token in `text`.

    `requested_slot` is the slot the assistant's last question asked for, when known: with
    "email", a bare password-shaped answer counts as a password (no other slot changes what
    is found).
    """
    if not text:
        return []
    if len(text) > _REMEMBERED_MAX_CHARS:
        return _Finder(text, requested_slot).run()
    return list(_remembered_spans(text, requested_slot == ADDRESS_SLOT))


def redact_credentials(text: str, requested_slot: str | None = None) -> str:
    """`text` with every credential replaced by a visible marker (idempotent)."""
    spans = find_credentials(text, requested_slot)
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

"""Which language the customer writes in, kept steady over a conversation.

One model serves English, Russian and French, and every response is chosen
by the `language` slot. The slot is filled from a `language` entity that this
NLU component adds, so that the choice is made once, in the NLU pipeline,
where the text is, and the dialogue policies never see it (the domain keeps
the entity out of their features).

The decision is sticky: a customer who writes "ok", "yes", "123" or just an
email address keeps the conversation's language; a clear sentence in another
language switches it. The component reads the current slot from the tracker
that Rasa 3.6 hands to NLU components at inference. On the first message,
when there is nothing to stick to, a weak guess is still better than none,
and the platform's locale (metadata `locale`, from the connectors) breaks the
tie for messages that carry no language at all.

Russian speakers on foreign keyboards and phones type Russian in Latin
letters ("zabyl parol ot akkaunta"). lingua reads that as weak English or
French, so before asking lingua the guesser counts words that only exist in
transliterated Russian (a lexicon of the words customers use here, and the
letter clusters Russian transliteration produces and English and French do
not); a message made mostly of those is Russian, and then answered in Russian.

Everything here runs on untrusted text: the patterns are linear in the length
of the message (no pattern can restart a scan from inside a token), and only
the first `MAX_GUESS_CHARACTERS` characters are looked at.
"""

import re
from typing import Any, Dict, List, Optional, Tuple

from lingua import Language, LanguageDetector, LanguageDetectorBuilder
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.languages import LANGUAGES
from bot.nlu.entities import add_message_entity

FALLBACK_INTENT = "nlu_fallback"
# What it takes for a message the assistant did not understand to switch language.
UNSURE_MIN_WORDS = 5
UNSURE_MIN_CONFIDENCE = 0.9
# A language shows in its first sentences; longer texts cost lingua time and say nothing more.
MAX_GUESS_CHARACTERS = 2000
# Transliterated Russian: at least this much evidence, making up at least this share of the words.
TRANSLIT_MIN_SCORE = 2.0
TRANSLIT_MIN_SHARE = 0.4
# How sure lingua must be of the words left once the English product words are out.
WITHOUT_PRODUCT_MIN_CONFIDENCE = 0.6  # chosen on the training texts (fewest first-message errors)
SLOT = "language"
ENTITY = "language"

# How many words of a message the detector reads.
DETECTED_WORDS = 200
_LINGUA = {Language.ENGLISH: "en", Language.RUSSIAN: "ru", Language.FRENCH: "fr"}
# What carries no language: addresses, links, numbers, redaction markers. Each alternative can
# only start at a token's start or at a fixed prefix and cannot rescan what another start scanned,
# so a 100 KB token costs one pass (`\S+@\S+` retried from every character of it: quadratic).
_NOISE = re.compile(r"(?<!\S)[^\s@]*@\S*|https?://\S*|www\.\S*|\[redacted:[^\]\[]*\]|[\d_]+", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]")
# Words customers write in transliterated Russian, in their common spellings. Words that are also
# English or French ("my", "on", "ne", "net", "moi", "operator", "spam", "den") are left out.
_TRANSLIT_WORDS = frozenset(
    """
    ya vy mne menya moy moya moyu moego moey moem svoy svoyu vash vashe vashego eyo
    chto shto kak kakoy kakuyu kakaya kakie gde kogda pochemu zachem skolko tolko
    uzhe eshche eshe esche yeshche vsyo vse vsego nichego nichto nikak nikto
    pozhaluysta pozhalujsta pozhalusta pojaluista pozhaluista spasibo spasiba privet
    zdravstvuyte zdravstvujte zdrastvuyte dobryy dobriy dobryi dobrogo vecher utro
    pomogite pomogi pomoch pomosch nado nuzhno mozhno mogu mozhete smogu mozhet
    voyti vojti zayti zajti vhod vkhod voshel voshla voshyol zashel zashla
    akkaunt akkaunta akkaunte akkauntom akaunt akaunta uchetka uchetku uchetnaya uchetnuyu zapis
    parol parolya parolem parolyu pochta pochtu pochty pochte pochtoy pochtovyy yashchik yashik
    pismo pisma pisem pismom prihodit prikhodit prihodyat prishlo prishel prishla prishli
    zabyl zabyla zabil zabila pomnyu vspomnit sbros sbrosa sbrosit sbrosil vosstanovit
    vosstanovlenie registraciya registracii registratsiya registratsii zaregistrirovatsya
    zaregistrirovatsa zaregistrirovat zaregatsya ukazyval ukazyvala ukazal ukazala
    ispolzuetsya ispolzuyetsya zanyata zanyat dostup dostupa dostupu staroy staraya staruyu
    staryy novyy novogo novaya novuyu novom ustroystvo ustroystva ustrojstvo ustroistvo
    podtverzhdenie podtverzhdeniya podtverdit podtverdite podtverzhdenia brauzer brauzera
    operatora chelovek cheloveka zhivoy zhivogo pozovite pozovi svyazat svyazhite
    pishet pishut vydaet vydayot oshibka oshibku oshibki licenziya licenzii litsenziya
    litsenzii licenzia kupil kupila udalil udalila udalen udalyon udalena dney dnya nazad
    zhdat podozhdite podozhdat papka papku papke korzina korzine togda potom seychas sejchas
    segodnya vchera delat sdelat rabotaet otmena otmenit ladno horosho khorosho
    proehali zabey zabud zhe ili esli chtoby potomu
""".split()
)
# English product and interface words that Russian and French customers keep in English ("le sign
# up me dit email already in use"); lingua is asked again without them when they outweigh the rest.
_PRODUCT_TERMS = re.compile(
    r"\b(?:parallels|desktop|my\s+account|sign\s*(?:up|in)|log\s*(?:in|on)|login|e-?mails?|"
    r"forgot|password|reset|invalid|already|in\s+use|business|account|browser|confirmation|"
    r"device|link|mac(?:book)?|imac|windows|support|ok|okay|or|and)\b",
    re.IGNORECASE,
)
# Letter clusters of Russian transliteration that English and French words almost never have.
_TRANSLIT_CLUSTERS = re.compile(r"zh|kh|shch|sch|yu|yy|iy(?![a-z])|tsya|tsa(?![a-z])|ogo(?![a-z])")


def evidence_span(text: str) -> Tuple[int, int]:
    """Where the `language` entity sits: the first word that carries language.

    Any span would do for filling the slot; the first real word keeps the
    entity clear of the email and day-count entities, so that test stories
    can annotate all of them.
    """
    cleaned = _NOISE.sub(lambda m: " " * len(m.group(0)), text[:MAX_GUESS_CHARACTERS])
    match = _WORD.search(cleaned)
    return match.span() if match else (0, len(text))


def locale_language(locale: Optional[str]) -> Optional[str]:
    """`ru` for a platform locale such as "ru", "ru-RU" or "ru_RU"; None if unsupported."""
    if not locale:
        return None
    code = re.split(r"[-_]", str(locale).strip().lower(), maxsplit=1)[0]
    return code if code in LANGUAGES else None


def translit_score(words: List[str]) -> float:
    """How much `words` (Latin letters) look like transliterated Russian: 1 a word, 0.5 a cluster."""
    score = 0.0
    for word in words:
        lowered = word.lower()
        if lowered in _TRANSLIT_WORDS:
            score += 1.0
        elif _TRANSLIT_CLUSTERS.search(lowered):
            score += 0.5
    return score


def looks_translit(words: List[str]) -> bool:
    """True when Latin-letter `words` are mostly Russian written in Latin letters."""
    score = translit_score(words)
    return score >= TRANSLIT_MIN_SCORE and score / len(words) >= TRANSLIT_MIN_SHARE


class LanguageGuesser:
    """The decision itself, apart from Rasa, so that it can be tested and reused."""

    def __init__(self, min_words: int = 3, min_confidence: float = 0.55) -> None:
        self.min_words = min_words
        self.min_confidence = min_confidence
        self._detector: LanguageDetector = (
            LanguageDetectorBuilder.from_languages(*_LINGUA).with_preloaded_language_models().build()
        )

    def best_guess(self, text: str) -> Optional[Dict[str, Any]]:
        """The most likely language of `text` with its confidence and word count."""
        cleaned = _NOISE.sub(" ", text[:MAX_GUESS_CHARACTERS])
        words = _WORD.findall(cleaned)
        if not words:
            return None
        cyrillic = len(_CYRILLIC.findall(cleaned))
        latin = len(_LATIN.findall(cleaned))
        if cyrillic and cyrillic * 4 >= cyrillic + latin:
            # Of the three languages only Russian is written in Cyrillic; the Latin letters
            # beside it are the product's English words.
            return {"language": "ru", "confidence": 1.0, "words": len(words)}
        if looks_translit(words):
            return {"language": "ru", "confidence": 1.0, "words": len(words)}
        # The first words tell the language of a long message as well as all of them, at a
        # fraction of the cost (a 10,000-character message has about 1,700).
        top = self._detector.compute_language_confidence_values(" ".join(words[:DETECTED_WORDS]))[0]
        if _LINGUA[top.language] == "en":
            # "le sign up me dit email already in use": French once the product's words are out.
            rest = _WORD.findall(_PRODUCT_TERMS.sub(" ", cleaned))[:DETECTED_WORDS]
            if len(rest) >= 2:
                without = self._detector.compute_language_confidence_values(" ".join(rest))[0]
                if _LINGUA[without.language] != "en" and without.value >= WITHOUT_PRODUCT_MIN_CONFIDENCE:
                    top = without
        return {
            "language": _LINGUA[top.language],
            "confidence": top.value,
            "words": len(words),
        }

    def decide(
        self,
        text: str,
        current: Optional[str],
        locale: Optional[str] = None,
        understood: bool = True,
    ) -> Optional[str]:
        """The conversation's language after `text`, or None to keep `current`.

        Button payloads ("/affirm") are not words a customer typed and keep
        the language as it is. A message the assistant did not understand
        (`understood` False) needs a longer, surer sentence to switch it:
        lingua is confidently wrong on short gibberish ("qwop zing vlarp"
        reads as English at 0.94), while "can we continue in English please?"
        must still switch.
        """
        if text.startswith("/"):
            return None if current else locale_language(locale)
        guess = self.best_guess(text)
        if guess is None:
            return None if current else locale_language(locale)
        min_words, min_confidence = (
            (self.min_words, self.min_confidence) if understood else (UNSURE_MIN_WORDS, UNSURE_MIN_CONFIDENCE)
        )
        clear = guess["words"] >= min_words and guess["confidence"] >= min_confidence
        if clear:
            return guess["language"]
        if current:
            return None
        return locale_language(locale) or guess["language"]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageIdentifier(GraphComponent, EntityExtractorMixin):
    """Adds a `language` entity when the conversation's language is decided or changes."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """`min_words` and `min_confidence` define a clear sentence that may switch language."""
        return {"min_words": 3, "min_confidence": 0.55}

    def __init__(self, config: Dict[str, Any]) -> None:
        self._guesser = LanguageGuesser(config["min_words"], config["min_confidence"])

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LanguageIdentifier":
        """Builds the component once per loaded model (lingua's models load here)."""
        return cls(config)

    def process(
        self,
        messages: List[Message],
        tracker: Optional[DialogueStateTracker] = None,
    ) -> List[Message]:
        """Adds the entity; leaves it out when the language stays as it is."""
        current = tracker.get_slot(SLOT) if tracker is not None else None
        for message in messages:
            text = message.get(TEXT) or ""
            metadata = message.get("metadata") or {}
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            decided = self._guesser.decide(
                text, current, metadata.get("locale"), understood=intent != FALLBACK_INTENT
            )
            if decided is None or decided == current:
                continue
            start, end = evidence_span(text)
            add_message_entity(self, message, ENTITY, decided, start, end)
        return messages

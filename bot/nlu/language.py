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
not); a message made mostly of those is Russian, and then answered in Russian. The lexicon
written here holds the short, common words; at training, the component adds the Latin spellings
(in the usual transliteration schemes) of every word of four letters or more of the Cyrillic
training messages that no English or French training message contains, so that "sushchestvuet"
or "uchetki" count as Russian without being listed by hand.

French written without accents or in SMS style, or wrapped around English interface words ("le
sign up me dit email already in use"), looks English to lingua; a message whose non-product words
are mostly French-only words ("je", "pas", "mdp", "j'ai") is French.

Everything here runs on untrusted text: the patterns are linear in the length
of the message (no pattern can restart a scan from inside a token), and only
the first `MAX_GUESS_CHARACTERS` characters are looked at.
"""

import re
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

import rasa.shared.utils.io
from lingua import Language, LanguageDetector, LanguageDetectorBuilder
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

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
# A text that makes lingua load the models of the languages written in Latin letters.
_WARM_UP = "I cannot sign in, je ne reçois pas le courriel"
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
    pri eto eta etu etot kto tut tam vot byl bez oni ona ono sam uje dva tri
""".split()
)
# How Russians spell Cyrillic in Latin letters: the common letters one way, the others in each of
# the usual schemes (passport-like "kh"/"shch", casual "h"/"sch", phone-style "j"/"c"/"ia").
_COMMON_LETTERS = dict(zip("абвгдезиклмнопрстуфэ", "abvgdeziklmnoprstufe", strict=True))
_TRANSLIT_SCHEMES = tuple(
    {**_COMMON_LETTERS, **dict(zip("ёжйхцчшщъыьюя", spelled, strict=True))}
    for spelled in (
        ("e", "zh", "y", "h", "ts", "ch", "sh", "sch", "", "y", "", "yu", "ya"),
        ("yo", "zh", "i", "kh", "ts", "ch", "sh", "shch", "", "y", "", "yu", "ya"),
        ("e", "j", "i", "h", "c", "ch", "sh", "sh", "", "i", "", "iu", "ia"),
        ("e", "zh", "j", "h", "c", "ch", "sh", "sh", "", "y", "", "yu", "ya"),
    )
)
# Shorter learned spellings are too often English or French words ("net", "bit", "ego", "nas").
LEARNED_MIN_LETTERS = 4
LEXICON_FILE = "translit_lexicon.json"
# English product and interface words that Russian and French customers keep in English ("le sign
# up me dit email already in use"); lingua is asked again without them when they outweigh the rest.
_PRODUCT_TERMS = re.compile(
    r"\b(?:parallels|desktop|my\s+account|sign\s*(?:up|in)|log\s*(?:in|on)|login|e-?mails?|"
    r"forgot|password|reset|invalid|already|in\s+use|business|account|browser|confirmation|"
    r"device|link|mac(?:book)?|imac|windows|support|ok|okay|or|and)\b",
    re.IGNORECASE,
)
# French words that are not English words: what French written without accents or in SMS style
# ("j arrive pas a me connecter", "le site me dit invalid email or password") keeps when lingua,
# short of accents, weighs it as English or barely French. Counted among the words that are
# not product words; a message made mostly of them is French.
_FRENCH_WORDS = frozenset(
    """
    je j jai jsuis jsais jpeux jveux chui tu il elle nous vous ils elles le la les un une de des du
    au aux et en
    mon ma mes tes sa ses notre votre vos leur ce cet cette ces qui que qu quoi quel
    quelle comment pourquoi pkoi ou est sont suis ai avons avez peux veux dois dit fait ne pas
    rien jamais toujours tjs tjrs deja aussi mais donc avec pour dans sur sans chez
    ca cest mot passe mdp compte adresse boite courriel
    ça quand alors voilà oui très déjà été être avoir faire
    recu reçu oublie oublié marche connecter connexion inscription inscrire lien merci bonjour
    salut slt svp stp bcp aucun aucune nouveau nouvel nouvelle ancien ancienne ordi appareil
    navigateur
""".split()
)
# A French elision opening a word: "j'ai", "c'est", "l'adresse", "qu'il" (never English's "I'm").
_FRENCH_ELISION = re.compile(r"(?:[cdjlmnst]|qu)['’]\w", re.IGNORECASE)
FRENCH_MIN_WORDS = 2
FRENCH_MIN_SHARE = 0.5
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


def language_words(text: str) -> List[str]:
    """The words of `text` that carry language: addresses, links, numbers and markers left out.

    Only the first `MAX_GUESS_CHARACTERS` characters are read.
    """
    return _WORD.findall(_NOISE.sub(" ", text[:MAX_GUESS_CHARACTERS]))


def transliterations(word: str) -> Set[str]:
    """The Latin spellings of a Cyrillic `word` in the usual schemes ("пишет" → "pishet")."""
    lowered = word.lower()
    return {"".join(scheme.get(letter, letter) for letter in lowered) for scheme in _TRANSLIT_SCHEMES}


def learn_translit_lexicon(texts: Iterable[str]) -> FrozenSet[str]:
    """Latin spellings of the Cyrillic words of `texts` that their English or French texts lack.

    A Latin-script text that reads as translit with all the spellings counted is Russian, and
    its words are not taken for English or French ones.
    """
    spellings: Set[str] = set()
    latin_texts: List[List[str]] = []
    for text in texts:
        words = language_words(text)
        if _CYRILLIC.search(text):
            for word in words:
                if _CYRILLIC.search(word):
                    spellings.update(transliterations(word))
        elif words:
            latin_texts.append(words)
    candidates = frozenset(
        spelling for spelling in spellings if len(spelling) >= LEARNED_MIN_LETTERS and spelling.isascii()
    )
    latin_words = {
        word.lower() for words in latin_texts if not looks_translit(words, candidates) for word in words
    }
    return candidates - latin_words


def translit_score(words: List[str], learned: FrozenSet[str] = frozenset()) -> float:
    """How much `words` (Latin letters) look like transliterated Russian: 1 a word, 0.5 a cluster."""
    score = 0.0
    for word in words:
        lowered = word.lower()
        if lowered in _TRANSLIT_WORDS or lowered in learned:
            score += 1.0
        elif _TRANSLIT_CLUSTERS.search(lowered):
            score += 0.5
    return score


def looks_french(rest: List[str]) -> bool:
    """True when the words left once product words are out are mostly French-only words."""
    french = sum(1 for word in rest if word.lower() in _FRENCH_WORDS or _FRENCH_ELISION.match(word))
    return french >= FRENCH_MIN_WORDS and french / len(rest) >= FRENCH_MIN_SHARE


def looks_translit(words: List[str], learned: FrozenSet[str] = frozenset()) -> bool:
    """True when Latin-letter `words` are mostly Russian written in Latin letters."""
    score = translit_score(words, learned)
    return score >= TRANSLIT_MIN_SCORE and score / len(words) >= TRANSLIT_MIN_SHARE


class LanguageGuesser:
    """The decision itself, apart from Rasa, so that it can be tested and reused."""

    def __init__(
        self, min_words: int = 3, min_confidence: float = 0.55, learned: FrozenSet[str] = frozenset()
    ) -> None:
        self.min_words = min_words
        self.min_confidence = min_confidence
        self.learned = learned
        self._detector: LanguageDetector = LanguageDetectorBuilder.from_languages(*_LINGUA).build()
        # lingua loads a language's models the first time a text could be in it. Loading them
        # here, with a Latin sentence, keeps that second off a customer's first message; the
        # Russian models never load, as Cyrillic text is decided by its script before lingua is
        # asked (preloading all three raised each worker's peak resident memory by 46 MB).
        self._detector.compute_language_confidence_values(_WARM_UP)

    def best_guess(self, text: str) -> Optional[Dict[str, Any]]:
        """The most likely language of `text` with its confidence and word count."""
        cleaned = _NOISE.sub(" ", text[:MAX_GUESS_CHARACTERS])
        words = language_words(text)
        if not words:
            return None
        cyrillic = len(_CYRILLIC.findall(cleaned))
        latin = len(_LATIN.findall(cleaned))
        if cyrillic and cyrillic * 4 >= cyrillic + latin:
            # Of the three languages only Russian is written in Cyrillic; the Latin letters
            # beside it are the product's English words.
            return {"language": "ru", "confidence": 1.0, "words": len(words)}
        if looks_translit(words, self.learned):
            return {"language": "ru", "confidence": 1.0, "words": len(words)}
        rest = _WORD.findall(_PRODUCT_TERMS.sub(" ", cleaned))[:DETECTED_WORDS]
        if rest and looks_french(rest):
            return {"language": "fr", "confidence": 1.0, "words": len(words)}
        # The first words tell the language of a long message as well as all of them, at a
        # fraction of the cost (a 10,000-character message has about 1,700).
        top = self._detector.compute_language_confidence_values(" ".join(words[:DETECTED_WORDS]))[0]
        if _LINGUA[top.language] == "en":
            # "le sign up me dit email already in use": French once the product's words are out.
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


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class LanguageIdentifier(GraphComponent, EntityExtractorMixin):
    """Adds a `language` entity when the conversation's language is decided or changes."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """`min_words` and `min_confidence` define a clear sentence that may switch language."""
        return {"min_words": 3, "min_confidence": 0.55}

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: Optional[ModelStorage] = None,
        resource: Optional[Resource] = None,
        learned: FrozenSet[str] = frozenset(),
    ) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self._guesser = LanguageGuesser(config["min_words"], config["min_confidence"], learned)

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LanguageIdentifier":
        """Builds the component once per loaded model (lingua's models load here)."""
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Learns the Latin spellings of the Russian training words (see the module docstring)."""
        if self._model_storage is None or self._resource is None:
            raise ValueError("LanguageIdentifier needs its model storage to be trained")
        learned = learn_translit_lexicon(example.get(TEXT) or "" for example in training_data.intent_examples)
        self._guesser.learned = learned
        with self._model_storage.write_to(self._resource) as directory:
            rasa.shared.utils.io.dump_obj_as_json_to_file(directory / LEXICON_FILE, sorted(learned))
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "LanguageIdentifier":
        """The component with the spellings its training learned."""
        with model_storage.read_from(resource) as directory:
            learned = frozenset(rasa.shared.utils.io.read_json_file(directory / LEXICON_FILE))
        return cls(config, model_storage, resource, learned)

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

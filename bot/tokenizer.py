"""Whitespace tokens, with email addresses and numbers reduced to what they are.

To the classifier, "anna.k78@gmial.com" is noise: dozens of character
n-grams that no other message shares, which can pull "I forgot my password,
my email is …" towards `inform` or anywhere else. What matters for the intent
is only that an address (or a number) is there, so this tokenizer hands the
featurizers one constant token for each. The text itself is untouched: the
regex entity extractor still reads the real address and day count, and the
token offsets stay those of the original words.
"""

import re
from typing import List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

EMAIL_TOKEN = "emailaddress"
NUMBER_TOKEN = "numbervalue"
# A bounded local part and domain labels without dots, so that no search backtracks more than
# linearly on a long word.
_EMAIL = re.compile(r"[^\s@]{1,64}@[^\s@.]+(?:\.[^\s@.]*)*\.[^\s@.]+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class AddressMaskingTokenizer(WhitespaceTokenizer):
    """WhitespaceTokenizer whose address and number tokens read as placeholders."""

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        """Splits like WhitespaceTokenizer, then masks addresses and numbers."""
        tokens = super().tokenize(message, attribute)
        for token in tokens:
            word = token.text.strip(".,;:!?()\"'«»")
            if _EMAIL.fullmatch(word):
                token.text = token.lemma = EMAIL_TOKEN
            elif _NUMBER.fullmatch(word):
                token.text = token.lemma = NUMBER_TOKEN
        return tokens

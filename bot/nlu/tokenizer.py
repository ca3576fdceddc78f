"""Whitespace tokens, with email addresses and numbers reduced to what they are.

To the classifier, "anna.k78@gmial.com" is noise: dozens of character
n-grams that no other message shares, which can pull "I forgot my password,
my email is …" towards `inform` or anywhere else. What matters for the intent
is only that an address (or a number) is there, so this tokenizer hands the
featurizers one constant token for each. The text itself is untouched: the
regex entity extractor still reads the real address and day count, and the
token offsets stay those of the original words.

A message of thousands of words (a pasted log, a 10,000-character DM) is read by its first and
last `EDGE_TOKENS` words only: the featurizers' cost grows with every token (character n-grams
of each word), and a 10,000-character message held the event loop for about 200 ms, delaying
every other customer. What a customer asks is in how they start or how they end; training
examples are far shorter than the cap, so the model is the same.
"""

import re
from typing import List, Optional

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

# Words kept from each end of a very long message (see the module docstring).
EDGE_TOKENS = 100
EMAIL_TOKEN = "emailaddress"
NUMBER_TOKEN = "numbervalue"
# A bounded local part and domain labels without dots, so that no search backtracks more than
# linearly on a long word.
_EMAIL = re.compile(r"[^\s@]{1,64}@[^\s@.]+(?:\.[^\s@.]*)*\.[^\s@.]+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class AddressMaskingTokenizer(WhitespaceTokenizer):
    """WhitespaceTokenizer whose address and number tokens read as placeholders."""

    def tokenize(self, message: Message, attribute: str) -> List[Token]:
        """Splits like WhitespaceTokenizer, then masks addresses and numbers."""
        tokens = self._edge_tokens(message.get(attribute) or "", attribute)
        if tokens is None:
            tokens = super().tokenize(message, attribute)
            if len(tokens) > 2 * EDGE_TOKENS:
                tokens = tokens[:EDGE_TOKENS] + tokens[-EDGE_TOKENS:]
        for token in tokens:
            word = token.text.strip(".,;:!?()\"'«»")
            if _EMAIL.fullmatch(word):
                token.text = token.lemma = EMAIL_TOKEN
            elif _NUMBER.fullmatch(word):
                token.text = token.lemma = NUMBER_TOKEN
        return tokens

    def _edge_tokens(self, text: str, attribute: str) -> Optional[List[Token]]:
        """The first and last `EDGE_TOKENS` tokens of a long text, tokenizing only its two ends.

        WhitespaceTokenizer's pattern and its offset search run in Python over the whole text: a
        10,000-character message spent 2.5 ms there before its middle was dropped, 0.6 ms now.
        Only the first and last `2 * EDGE_TOKENS` whitespace-separated chunks are tokenized (a
        chunk gives at most one token; those that give none are why twice as many are taken). A
        cut falls on whitespace, where the tokenizer's pattern reads a text's start or end as it
        reads a space, so the tokens and their offsets are those of the whole text. None for a
        text too short to have two separate ends, or whose ends give too few tokens.
        """
        head_chunks = text.split(None, 2 * EDGE_TOKENS)
        tail_chunks = text.rsplit(None, 2 * EDGE_TOKENS)
        if len(head_chunks) <= 2 * EDGE_TOKENS or len(tail_chunks) <= 2 * EDGE_TOKENS:
            return None
        head_end = len(text) - len(head_chunks[-1])
        tail_start = len(tail_chunks[0])
        if head_end > tail_start:
            return None
        head = super().tokenize(Message(data={attribute: text[:head_end]}), attribute)
        tail = super().tokenize(Message(data={attribute: text[tail_start:]}), attribute)
        if len(head) < EDGE_TOKENS or len(tail) < EDGE_TOKENS:
            return None
        for token in tail:
            token.start += tail_start
            token.end += tail_start
        return head[:EDGE_TOKENS] + tail[-EDGE_TOKENS:]

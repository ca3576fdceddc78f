"""The tokenizer hides addresses and numbers from the featurizers, not from anything else."""

from rasa.shared.nlu.training_data.message import Message

from bot.nlu.tokenizer import EMAIL_TOKEN, NUMBER_TOKEN, AddressMaskingTokenizer


def tokens(text: str) -> list:
    tokenizer = AddressMaskingTokenizer(AddressMaskingTokenizer.get_default_config())
    return tokenizer.tokenize(Message(data={"text": text}), "text")


def test_addresses_and_numbers_become_placeholders_with_their_offsets() -> None:
    text = "my email is Anna.K78@gmial.com, wait 30 days"
    found = tokens(text)
    assert [t.text for t in found] == ["my", "email", "is", EMAIL_TOKEN, "wait", NUMBER_TOKEN, "days"]
    address = found[3]
    assert text[address.start : address.end].startswith("Anna.K78@gmial.com")
    assert address.lemma == EMAIL_TOKEN


def test_other_words_are_left_as_whitespace_tokenizer_makes_them() -> None:
    assert [t.text for t in tokens("je ne reçois pas le mail")] == ["je", "ne", "reçois", "pas", "le", "mail"]


def test_a_very_long_message_is_read_by_its_first_and_last_words() -> None:
    """The featurizers' cost grows with every token: a 10,000-character message held the
    event loop for about 200 ms before the cap."""
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.tokenizer import EDGE_TOKENS, AddressMaskingTokenizer

    tokenizer = AddressMaskingTokenizer(AddressMaskingTokenizer.get_default_config())
    words = [f"w{n}" for n in range(1000)]
    tokens = tokenizer.tokenize(Message(data={"text": " ".join(words)}), "text")
    assert [t.text for t in tokens] == words[:EDGE_TOKENS] + words[-EDGE_TOKENS:]
    short = tokenizer.tokenize(Message(data={"text": " ".join(words[:150])}), "text")
    assert len(short) == 150


def test_tokenizing_only_the_ends_gives_the_whole_texts_tokens() -> None:
    """Tokens and offsets of a long message, tokenized by its two ends only, are those of
    WhitespaceTokenizer on the whole text, cut to the first and last EDGE_TOKENS."""
    import random

    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer

    from bot.nlu.tokenizer import EDGE_TOKENS

    tokenizer = AddressMaskingTokenizer(AddressMaskingTokenizer.get_default_config())
    pieces = ["word", "слово", "anna@gmail.com", "12", "3.5", "!!!", ":)", "😀", "l'email", "«oui»", "—"]
    separators = [" ", "  ", "\n", "\t", " \u00a0 "]
    generator = random.Random(1)
    for length in [150, 199, 200, 201, 399, 400, 401, 402, 800, 2000] * 10:
        text = "".join(generator.choice(pieces) + generator.choice(separators) for _ in range(length))
        text = (" " if generator.random() < 0.3 else "") + text
        whole = WhitespaceTokenizer.tokenize(tokenizer, Message(data={"text": text}), "text")
        if len(whole) > 2 * EDGE_TOKENS:
            whole = whole[:EDGE_TOKENS] + whole[-EDGE_TOKENS:]
        ends = tokenizer.tokenize(Message(data={"text": text}), "text")
        assert [(t.start, t.end) for t in ends] == [(t.start, t.end) for t in whole]

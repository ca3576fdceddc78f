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

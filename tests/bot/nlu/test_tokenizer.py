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

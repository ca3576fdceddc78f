"""bot.nlu.count_features: the sentence rows of Rasa's CountVectorsFeaturizer, without its
sequence features, for every training example and a few awkward texts."""

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.count_features import SentenceCountsFeaturizer
from bot.nlu.tokenizer import AddressMaskingTokenizer

ROOT = Path(__file__).resolve().parents[3]
CONTEXT = ExecutionContext(GraphSchema({}), "test")
CONFIGS = {
    "words": {},
    "characters": {"analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
    "words, binary, OOV": {"binary": True, "OOV_token": "oov"},
}
AWKWARD = ["", "   ", "ÉCRIT EN MAJUSCULES", "ёжик и еж", "x" * 3000, "never seen wordz qqqq", "a@b.c 12345"]


def tokenized(texts: list[str]) -> list[Message]:
    messages = [Message(data={TEXT: text}) for text in texts]
    AddressMaskingTokenizer.create(
        AddressMaskingTokenizer.get_default_config(),
        None,
        Resource("tokenizer"),
        CONTEXT,  # type: ignore[arg-type]
    ).process(messages)
    return messages


@pytest.mark.parametrize("name", CONFIGS)
def test_sentence_rows_are_rasas_and_sequence_rows_are_left_out(name: str, tmp_path: Path) -> None:
    data = load_data(str(ROOT / "data" / "nlu"))
    AddressMaskingTokenizer.create(
        AddressMaskingTokenizer.get_default_config(), LocalModelStorage(tmp_path), Resource("t"), CONTEXT
    ).process_training_data(data)
    config = {**CountVectorsFeaturizer.get_default_config(), **CONFIGS[name]}
    storage = LocalModelStorage(tmp_path)
    rasas = CountVectorsFeaturizer.create(config, storage, Resource("rasa"), CONTEXT)
    ours = SentenceCountsFeaturizer.create(config, storage, Resource("ours"), CONTEXT)
    rasas.train(data)
    ours.train(data)
    texts = [m.get(TEXT) for m in data.training_examples if m.get(TEXT)] + AWKWARD
    compared = 0
    for theirs, mine in zip(tokenized(texts), tokenized(texts), strict=True):
        rasas.process([theirs])
        ours.process([mine])
        sequence, sentence = theirs.get_sparse_features(TEXT)
        no_sequence, same_sentence = mine.get_sparse_features(TEXT)
        assert no_sequence is None
        if sentence is None:
            assert same_sentence is None
            continue
        expected, got = sentence.features, same_sentence.features
        assert got.shape == expected.shape and got.dtype == expected.dtype
        assert np.array_equal(got.col, expected.col) and np.array_equal(got.data, expected.data)
        assert np.array_equal(got.row, expected.row)
        compared += 1
    assert compared > 1000

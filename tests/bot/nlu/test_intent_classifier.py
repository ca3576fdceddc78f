"""The linear intent classifier: trained on the project's data, stored as arrays, loaded back."""

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.intent_classifier import LinearIntentClassifier, softmax, weighted_rows
from bot.nlu.tokenizer import AddressMaskingTokenizer

ROOT = Path(__file__).resolve().parents[3]
CONTEXT = ExecutionContext(GraphSchema({}), "test")
Featurize = tuple[AddressMaskingTokenizer, CountVectorsFeaturizer, CountVectorsFeaturizer]


@pytest.fixture(scope="module")
def storage(tmp_path_factory: pytest.TempPathFactory) -> LocalModelStorage:
    """One model storage for the module's components, as a trained model has."""
    return LocalModelStorage(tmp_path_factory.mktemp("storage"))


@pytest.fixture(scope="module")
def featurize(storage: LocalModelStorage) -> Featurize:
    """config.yml's tokenizer and two count-vector featurizers, trained on the project's data."""
    tokenizer = AddressMaskingTokenizer.create(
        AddressMaskingTokenizer.get_default_config(), storage, Resource("tokenizer"), CONTEXT
    )
    words = CountVectorsFeaturizer.create(
        CountVectorsFeaturizer.get_default_config(), storage, Resource("words"), CONTEXT
    )
    characters = CountVectorsFeaturizer.create(
        {
            **CountVectorsFeaturizer.get_default_config(),
            "analyzer": "char_wb",
            "min_ngram": 1,
            "max_ngram": 4,
        },
        storage,
        Resource("characters"),
        CONTEXT,
    )
    return tokenizer, words, characters


@pytest.fixture(scope="module")
def classifier(storage: LocalModelStorage, featurize: Featurize) -> LinearIntentClassifier:
    """A classifier trained on the featurized project data, then loaded back from storage."""
    data = load_data(str(ROOT / "data" / "nlu"))
    tokenizer, words, characters = featurize
    tokenizer.process_training_data(data)
    for featurizer in (words, characters):
        featurizer.train(data)
        featurizer.process_training_data(data)
    config = LinearIntentClassifier.get_default_config()
    resource = Resource("intent_classifier")
    LinearIntentClassifier.create(config, storage, resource, CONTEXT).train(data)
    return LinearIntentClassifier.load(config, storage, resource, CONTEXT)


def _messages(featurize: Featurize, *texts: str) -> list[Message]:
    """Messages as the pipeline hands them to the classifier: tokenized and featurized."""
    messages = [Message(data={"text": text}) for text in texts]
    for component in featurize:
        component.process(messages)
    return messages


@pytest.mark.parametrize(
    "text, intent",
    [
        ("I forgot my password", "forgot_password"),
        ("я забыл пароль от аккаунта", "forgot_password"),
        ("j'ai oublié mon mot de passe", "forgot_password"),
        ("the password reset email never arrived", "reset_email_not_received"),
        ("письмо для сброса пароля так и не пришло", "reset_email_not_received"),
        ("je veux parler à un conseiller", "request_human"),
    ],
)
def test_reads_the_intent_in_each_language(
    classifier: LinearIntentClassifier, featurize: Featurize, text: str, intent: str
) -> None:
    (message,) = classifier.process(_messages(featurize, text))
    assert message.get("intent")["name"] == intent


def test_ranking_is_rasas_shape(classifier: LinearIntentClassifier, featurize: Featurize) -> None:
    """The intent heads a ranking of at most ten, confidences falling, as FallbackClassifier reads."""
    messages = classifier.process(_messages(featurize, "hello", "I need a business account"))
    for message in messages:
        ranking = message.get("intent_ranking")
        confidences = [entry["confidence"] for entry in ranking]
        assert len(ranking) == 10
        assert confidences == sorted(confidences, reverse=True)
        assert 0.0 < sum(confidences) <= 1.0 + 1e-6
        assert message.get("intent") == ranking[0]
        assert set(message.as_dict_nlu()) >= {"intent", "intent_ranking"}


def test_batch_reads_as_single_messages(classifier: LinearIntentClassifier, featurize: Featurize) -> None:
    texts = ["still nothing", "merci beaucoup", "где письмо?", ""]
    batched = classifier.process(_messages(featurize, *texts))
    alone = [classifier.process(_messages(featurize, text))[0] for text in texts]
    assert [m.get("intent") for m in batched] == [m.get("intent") for m in alone]


def test_stored_model_is_arrays_and_names(
    classifier: LinearIntentClassifier, storage: LocalModelStorage
) -> None:
    """Nothing pickled: the model loads with numpy's pickle refused and plain JSON."""
    with storage.read_from(Resource("intent_classifier")) as directory:
        assert sorted(path.name for path in directory.iterdir()) == ["intents.json", "weights.npz"]
        with np.load(directory / "weights.npz", allow_pickle=False) as arrays:
            assert arrays["weights"].shape[0] == len(arrays["bias"]) >= 20


def test_untrained_classifier_leaves_messages_alone(tmp_path: Path, featurize: Featurize) -> None:
    """Loading a resource training never wrote gives a classifier that sets no intent."""
    config = LinearIntentClassifier.get_default_config()
    loaded = LinearIntentClassifier.load(
        config, LocalModelStorage(tmp_path), Resource("never_trained"), CONTEXT
    )
    (message,) = loaded.process(_messages(featurize, "I forgot my password"))
    assert message.get("intent") is None


def test_training_on_one_intent_stores_nothing(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    config = LinearIntentClassifier.get_default_config()
    trainer = LinearIntentClassifier.create(config, storage, Resource("one"), CONTEXT)
    data = TrainingData([Message(data={"text": "hi", "intent": "greet"})])
    trainer.train(data)
    assert (
        LinearIntentClassifier.load(config, storage, Resource("one"), CONTEXT)
        .process([Message(data={"text": "hi"})])[0]
        .get("intent")
        is None
    )


def test_rows_are_unit_length_and_empty_rows_stay_empty() -> None:
    counts = scipy.sparse.csr_matrix(np.array([[3, 0, 1], [0, 0, 0], [0, 7, 0]], dtype=float))
    rows = weighted_rows(counts, np.array([1.0, 2.0, 3.0]))
    norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
    assert norms == pytest.approx([1.0, 0.0, 1.0])
    assert counts[0, 0] == 3  # the message's own features are not changed


def test_softmax_does_not_overflow() -> None:
    confidences = softmax(np.array([[1000.0, 999.0, -1000.0]]))
    assert np.isfinite(confidences).all()
    assert confidences.sum() == pytest.approx(1.0)
    assert confidences[0, 0] > confidences[0, 1] > confidences[0, 2]


def test_a_parse_gives_the_matrix_arithmetics_confidences(
    classifier: LinearIntentClassifier, featurize: Featurize
) -> None:
    """`process`, one message's stored counts in numpy, gives what `weighted_rows`, the sparse
    product and `softmax` give for the same messages as a matrix (the training's arithmetic)."""
    texts = [e.get("text") for e in load_data(str(ROOT / "data" / "nlu")).intent_examples][::7]
    texts += ["", "zzzz qqqq", "I forgot my password " * 50]
    messages = _messages(featurize, *texts)
    kept, counts = LinearIntentClassifier._featurized(messages)
    assert counts is not None and classifier._weights is not None
    expected = softmax(
        np.asarray(weighted_rows(counts, classifier._idf) @ classifier._weights) + classifier._bias
    )
    classifier.process(messages)
    compared = 0
    for message, row in zip(kept, expected, strict=True):
        ranking = message.get("intent_ranking")
        assert ranking[0]["name"] == classifier._intents[int(np.argmax(row))]
        for entry in ranking:
            assert entry["confidence"] == pytest.approx(
                row[classifier._intents.index(entry["name"])], abs=1e-9
            )
        compared += 1
    assert compared > 100


def test_features_are_rasas_sentence_features(featurize: Featurize) -> None:
    """The sentence row read is the one Rasa's own `get_sparse_features` combines, in its order."""
    messages = _messages(featurize, "mon mot de passe ne marche pas", "reset link?")
    kept, rows = LinearIntentClassifier._featurized(messages)
    assert kept == messages and rows is not None
    rasas = [m.get_sparse_features("text")[1].features.toarray() for m in messages]
    assert (rows.toarray() == np.vstack(rasas)).all()

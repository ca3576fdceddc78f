"""Cross-validated NLU accuracy per language, for the model we actually ship.

One model understands English, Russian and French together, so a fair
per-language figure trains on everything except one fold of that language
and tests on that fold: the other languages stay in training, as they are in
production. Rasa's own `rasa test nlu --cross-validation` would fold the three
languages together and hide a weak one. The pipeline is config.yml's without
FallbackClassifier, so that `nlu_fallback` does not blur per-intent figures.

Writes, per language, `report.json` (per-intent precision/recall/F1) and
`errors.json` (each misread message with what it was taken for) under
`results/nlu/<language>/`, and `results/nlu/summary.json`.

Before that (it takes a second), the credential redaction is measured on its own held-out corpus
(tests/data/redaction/): recall over secret-bearing messages and the false-positive rate over
innocent ones, per language, printed and written to `<out>/redaction.json`. The thresholds the
product holds itself to (recall >= 0.98, false positives <= 1 %) are checked by
tests/security/test_redaction_attacks.py.


Cross-validation only measures messages shaped like the training data. The
held-out set (`tests/data/heldout/`, written before tuning and never trained
on) holds the messages real customers write off the happy path: translit,
SMS style, slang, follow-ups, near-misses, out-of-scope questions. `--heldout`
scores the shipped model on it, message by message as the assistant parses
them (same pipeline, FallbackClassifier included, the conversation's language
before the message when the item gives one), and prints intent and
language-slot accuracy per language and per category.


    python -m ops.evaluation [--folds 5] [--languages en ru fr] [--out results/nlu]
                             [--redaction-only]
    python -m ops.evaluation --heldout tests/data/heldout [--model models/assistant.tar.gz]
"""

import argparse
import asyncio
import json
import logging
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from bot.languages import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
REDACTION_CORPUS = ROOT / "tests" / "data" / "redaction"
# The corpus's `context` values, as the requested slot the redaction is told about.
_CORPUS_CONTEXTS = {"email_prompt": "email"}
logger = logging.getLogger(__name__)


def evaluation_config(config_path: Path) -> dict[str, Any]:
    """config.yml with FallbackClassifier taken out and no dialogue policies."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["pipeline"] = [c for c in config["pipeline"] if c["name"] != "FallbackClassifier"]
    config["policies"] = []
    return config


def stratified_folds(labels: Sequence[str], folds: int, seed: int = 1) -> list[list[int]]:
    """Indices split into `folds` parts with each intent spread evenly."""
    by_label: dict[str, list[int]] = {}
    for index, label in enumerate(labels):
        by_label.setdefault(label, []).append(index)
    parts: list[list[int]] = [[] for _ in range(folds)]
    rng = random.Random(seed)
    offset = 0
    for label in sorted(by_label):
        indices = by_label[label]
        rng.shuffle(indices)
        for position, index in enumerate(indices):
            parts[(position + offset) % folds].append(index)
        offset += len(indices)
    return parts


def per_intent_report(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Precision, recall, F1 and support per intent, and overall accuracy."""
    labels = sorted({gold for gold, _ in pairs} | {pred for _, pred in pairs})
    report: dict[str, Any] = {}
    for label in labels:
        tp = sum(1 for g, p in pairs if g == label and p == label)
        fp = sum(1 for g, p in pairs if g != label and p == label)
        fn = sum(1 for g, p in pairs if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        report[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1-score": round(f1, 4),
            "support": tp + fn,
        }
    correct = sum(1 for g, p in pairs if g == p)
    report["accuracy"] = round(correct / len(pairs), 4) if pairs else 0.0
    return report


async def _train_and_parse(
    config: dict[str, Any],
    training_messages: list[Any],
    test_texts: list[str],
    workdir: Path,
) -> list[str]:
    """Trains an NLU model on `training_messages` and predicts each test text's intent."""
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.training_data import TrainingData

    nlu_dir = workdir / "data"
    nlu_dir.mkdir()
    (nlu_dir / "nlu.yml").write_text(
        RasaYAMLWriter().dumps(TrainingData(training_examples=training_messages)),
        encoding="utf-8",
    )
    patterns = ROOT / "data" / "nlu" / "patterns.yml"
    (nlu_dir / "patterns.yml").write_text(patterns.read_text(encoding="utf-8"), encoding="utf-8")
    config_file = workdir / "config.yml"
    config_file.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    model = train_nlu(str(config_file), str(nlu_dir), str(workdir / "models"), fixed_model_name="fold")
    agent = Agent.load(model)
    predictions = []
    for text in test_texts:
        parsed = await agent.parse_message(text)
        predictions.append(parsed["intent"]["name"])
    return predictions


async def cross_validate(
    languages: Sequence[str], folds: int, out: Path, config_path: Path = ROOT / "config.yml"
) -> dict[str, Any]:
    """Runs the per-language cross-validation and writes the reports."""
    from rasa.shared.nlu.training_data.loading import load_data

    config = evaluation_config(config_path)
    data = {lang: load_data(str(ROOT / "data" / "nlu" / f"{lang}.yml")).intent_examples for lang in LANGUAGES}
    summary: dict[str, Any] = {"folds": folds, "languages": {}}
    for lang in languages:
        started = time.monotonic()
        examples = data[lang]
        others = [m for other in LANGUAGES if other != lang for m in data[other]]
        labels = [m.get("intent") for m in examples]
        pairs: list[tuple[str, str]] = []
        errors: list[dict[str, Any]] = []
        for number, test_indices in enumerate(stratified_folds(labels, folds), 1):
            print(
                f"[{lang}] fold {number}/{folds}: training on "
                f"{len(others) + len(examples) - len(test_indices)} examples",
                flush=True,
            )
            held_out = set(test_indices)
            training = others + [m for i, m in enumerate(examples) if i not in held_out]
            texts = [examples[i].get("text") for i in test_indices]
            with tempfile.TemporaryDirectory() as workdir:
                predicted = await _train_and_parse(config, training, texts, Path(workdir))
            for index, prediction in zip(test_indices, predicted, strict=True):
                gold = labels[index]
                pairs.append((gold, prediction))
                if gold != prediction:
                    errors.append(
                        {"text": examples[index].get("text"), "intent": gold, "predicted": prediction}
                    )
        report = per_intent_report(pairs)
        confusions = Counter((e["intent"], e["predicted"]) for e in errors)
        target = out / lang
        target.mkdir(parents=True, exist_ok=True)
        (target / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
        (target / "errors.json").write_text(json.dumps(errors, indent=2, ensure_ascii=False))
        summary["languages"][lang] = {
            "examples": len(examples),
            "accuracy": report["accuracy"],
            "macro_f1": round(
                sum(v["f1-score"] for k, v in report.items() if k != "accuracy") / max(1, len(report) - 1), 4
            ),
            "top_confusions": [
                {"intent": g, "predicted": p, "count": n} for (g, p), n in confusions.most_common(8)
            ],
            "seconds": round(time.monotonic() - started, 1),
        }
        print(f"[{lang}] accuracy {report['accuracy']:.3f} over {len(examples)} examples", flush=True)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    return summary


def redaction_report(
    corpus: Path = REDACTION_CORPUS, languages: Sequence[str] = LANGUAGES
) -> dict[str, dict[str, Any]]:
    """Recall and false-positive rate of `bot.redaction` per language, with the misses.

    A secret-bearing message is caught when none of its secrets is left in the redacted text;
    an innocent message is a false positive when redaction changes it at all.
    """
    from bot.redaction import redact_credentials

    report: dict[str, dict[str, Any]] = {}
    for lang in languages:
        rows = [
            json.loads(line)
            for line in (corpus / f"{lang}.jsonl").read_text(encoding="utf-8").splitlines()
            if line
        ]
        missed, flagged, secret_rows = [], [], 0
        for row in rows:
            slot = _CORPUS_CONTEXTS.get(row.get("context", ""))
            redacted = redact_credentials(row["text"], requested_slot=slot)
            if row["secrets"]:
                secret_rows += 1
                if any(secret in redacted for secret in row["secrets"]):
                    missed.append(
                        {"text": row["text"], "redacted": redacted, "category": row.get("category")}
                    )
            elif redacted != row["text"]:
                flagged.append({"text": row["text"], "redacted": redacted, "category": row.get("category")})
        innocent = len(rows) - secret_rows
        report[lang] = {
            "secret_messages": secret_rows,
            "innocent_messages": innocent,
            "recall": round(1 - len(missed) / max(1, secret_rows), 4),
            "false_positive_rate": round(len(flagged) / max(1, innocent), 4),
            "missed": missed,
            "false_positives": flagged,
        }
    return report


def print_redaction_report(report: dict[str, dict[str, Any]], out: Path) -> None:
    """One line per language, and the full report (misses included) in `out`/redaction.json."""
    for lang, figures in report.items():
        print(
            f"[{lang}] redaction recall {figures['recall']:.3f} "
            f"({figures['secret_messages']} secret-bearing messages), false positives "
            f"{figures['false_positive_rate']:.2%} ({figures['innocent_messages']} innocent)",
            flush=True,
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / "redaction.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))


def load_heldout(directory: Path) -> list[dict[str, Any]]:
    """Every held-out item of `directory`, each with the language of its file."""
    items: list[dict[str, Any]] = []
    for lang in LANGUAGES:
        path = directory / f"{lang}.yml"
        if not path.exists():
            continue
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for item in document["items"]:
            items.append({"language": document["language"], **item})
    return items


def _accuracy(hits: Sequence[bool]) -> float:
    return round(sum(hits) / len(hits), 4) if hits else 0.0


def heldout_figures(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Intent, language-slot and `days` accuracy per language and per language x category."""
    figures: dict[str, Any] = {}
    for lang in LANGUAGES:
        mine = [r for r in results if r["language"] == lang]
        if not mine:
            continue
        categories = sorted({r["category"] for r in mine})
        by_category = {}
        for category in categories:
            rows = [r for r in mine if r["category"] == category]
            by_category[category] = {
                "messages": len(rows),
                "intent": _accuracy([r["intent_ok"] for r in rows]),
                "language": _accuracy([r["language_ok"] for r in rows]),
            }
        days = [r["days_ok"] for r in mine if r["days_ok"] is not None]
        original = [r for r in mine if not r.get("replaced")]
        figures[lang] = {
            "messages": len(mine),
            "intent": _accuracy([r["intent_ok"] for r in mine]),
            "language": _accuracy([r["language_ok"] for r in mine]),
            # Messages never replaced (a replaced one was written after tuning began).
            "original_messages": len(original),
            "original_intent": _accuracy([r["intent_ok"] for r in original]),
            "days": _accuracy(days) if days else None,
            "categories": by_category,
        }
    return figures


async def score_heldout(model: Path, directory: Path) -> list[dict[str, Any]]:
    """Parses each held-out message with the shipped model as a conversation would."""
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import UserMessage
    from rasa.shared.core.events import SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    agent = Agent.load(str(model))
    results = []
    for number, item in enumerate(load_heldout(directory)):
        events = [SlotSet("language", item["current"])] if item.get("current") else []
        tracker = DialogueStateTracker.from_events(f"heldout-{number}", events)
        parsed = await agent.processor.parse_message(UserMessage(item["text"]), tracker)
        entities = parsed.get("entities") or []
        found_language = next(
            (e["value"] for e in entities if e.get("entity") == "language"), item.get("current")
        )
        found_days = next((str(e["value"]) for e in entities if e.get("entity") == "days"), None)
        predicted = parsed["intent"]["name"]
        results.append(
            {
                **item,
                "predicted": predicted,
                "predicted_language": found_language,
                "predicted_days": found_days,
                "intent_ok": predicted == item["intent"],
                "language_ok": found_language == item["language"],
                "days_ok": (found_days == item["days"]) if "days" in item else None,
            }
        )
    return results


def print_heldout(figures: dict[str, Any], results: Sequence[dict[str, Any]]) -> None:
    """The table `make evaluate` shows, then every miss."""
    print("held-out set: intent / language-slot accuracy")
    for lang, lang_figures in figures.items():
        days = lang_figures["days"]
        print(
            f"{lang}: {lang_figures['messages']} messages, intent {lang_figures['intent']:.3f}, "
            f"language {lang_figures['language']:.3f}"
            + (f", days entity {days:.3f}" if days is not None else "")
            + f"; never-replaced {lang_figures['original_messages']}: intent "
            f"{lang_figures['original_intent']:.3f}"
        )
        for category, row in lang_figures["categories"].items():
            print(
                f"    {category:<14} {row['messages']:>3}  intent {row['intent']:.3f}  "
                f"language {row['language']:.3f}"
            )
    for r in results:
        if not (r["intent_ok"] and r["language_ok"] and r["days_ok"] is not False):
            print(
                f"  miss [{r['language']}/{r['category']}] {r['text']!r}: "
                f"{r['predicted']} (want {r['intent']}), language {r['predicted_language']}, "
                f"days {r['predicted_days']} (want {r.get('days', '-')})"
            )


def main(argv: Sequence[str] = ()) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m ops.evaluation",
        description="Per-language cross-validation of the shipped NLU pipeline.",
    )
    parser.add_argument("--folds", type=int, default=5, help="folds per language (default 5)")
    parser.add_argument("--languages", nargs="+", choices=LANGUAGES, default=list(LANGUAGES))
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "results" / "nlu",
        help="where the reports go (default results/nlu)",
    )
    parser.add_argument(
        "--config", type=Path, default=ROOT / "config.yml", help="the pipeline to judge (default config.yml)"
    )
    parser.add_argument(
        "--redaction-only",
        action="store_true",
        help="measure the credential redaction only (no cross-validation)",
    )
    parser.add_argument(
        "--heldout", type=Path, help="score the trained model on this held-out folder instead"
    )
    parser.add_argument(
        "--model",
        type=Path,
        default=ROOT / "models" / "assistant.tar.gz",
        help="the model --heldout scores (default models/assistant.tar.gz)",
    )
    args = parser.parse_args(list(argv) or None)
    if args.heldout:
        logging.basicConfig(level=logging.WARNING)
        results = asyncio.run(score_heldout(args.model, args.heldout))
        figures = heldout_figures(results)
        print_heldout(figures, results)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "heldout.json").write_text(
            json.dumps({"figures": figures, "results": results}, indent=2, ensure_ascii=False)
        )
        return 0
    if args.folds < 2:
        parser.error("--folds must be at least 2")
    print_redaction_report(redaction_report(languages=args.languages), args.out)
    if args.redaction_only:
        return 0
    logging.basicConfig(level=logging.WARNING)
    summary = asyncio.run(cross_validate(args.languages, args.folds, args.out, args.config))
    for lang, figures in summary["languages"].items():
        print(f"{lang}: accuracy {figures['accuracy']:.3f}, macro F1 {figures['macro_f1']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

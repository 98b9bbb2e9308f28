"""Benchmark of taihe.modules.conservation.materials.classifier (issue 5).

Reads the labelled medium strings (real strings from open-access collection data, each row
naming its source) and prints accuracy (exact set of materials), micro precision/recall/F1,
per-class precision/recall/F1/support and per-language figures for ``classify_medium`` and, in
the same run, for a baseline that looks the whole string up as one rule-base name or synonym
(what a plain lookup table would do). Prints the ratio classifier/baseline and lists the
strings the classifier gets wrong.

Usage:
    PYTHONPATH=src python benchmarks/material_classifier.py [--min-confidence 0.5] [--csv PATH]
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from taihe.modules.conservation.materials.classifier import classify_medium
from taihe.modules.conservation.materials.knowledge import RuleBase, load_rule_base

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CSV = ROOT / "tests/modules/conservation/materials/data/medium_strings.csv"

Row = tuple[str, str, frozenset[str], str]
Predictor = Callable[[str, str], frozenset[str]]


def read_rows(path: Path) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            (
                row["text"],
                row["language"],
                frozenset(k for k in row["materials"].split(";") if k),
                row["source"],
            )
            for row in csv.DictReader(handle)
        ]


def baseline(rule_base: RuleBase) -> Predictor:
    table: dict[str, str] = {}
    for material in rule_base.materials:
        for language in ("en", "zh-hans"):
            for term in material.terms(language):
                table.setdefault(term.strip().casefold(), material.key)

    def predict(text: str, language: str) -> frozenset[str]:
        key = table.get(text.strip().casefold())
        return frozenset([key]) if key else frozenset()

    return predict


def classifier(min_confidence: float) -> Predictor:
    def predict(text: str, language: str) -> frozenset[str]:
        return frozenset(
            match.key
            for match in classify_medium(text, language=language)
            if match.confidence >= min_confidence
        )

    return predict


@dataclass(frozen=True)
class Evaluation:
    accuracy: float
    precision: float
    recall: float
    f1: float
    true_positive: Counter[str]
    false_positive: Counter[str]
    false_negative: Counter[str]
    wrong: list[tuple[str, frozenset[str], frozenset[str]]]


def evaluate(rows: list[Row], predict: Predictor) -> Evaluation:
    true_positive: Counter[str] = Counter()
    false_positive: Counter[str] = Counter()
    false_negative: Counter[str] = Counter()
    exact = 0
    wrong: list[tuple[str, frozenset[str], frozenset[str]]] = []
    for text, language, truth, _source in rows:
        predicted = predict(text, language)
        exact += predicted == truth
        if predicted != truth:
            wrong.append((text, truth, predicted))
        for key in predicted & truth:
            true_positive[key] += 1
        for key in predicted - truth:
            false_positive[key] += 1
        for key in truth - predicted:
            false_negative[key] += 1
    tp, fp, fn = (sum(c.values()) for c in (true_positive, false_positive, false_negative))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Evaluation(
        accuracy=exact / len(rows) if rows else 0.0,
        precision=precision,
        recall=recall,
        f1=f1,
        true_positive=true_positive,
        false_positive=false_positive,
        false_negative=false_negative,
        wrong=wrong,
    )


def report_line(name: str, language: str, count: int, result: Evaluation) -> str:
    return (
        f"  {name:10} {language:7} n={count:4} accuracy={result.accuracy:.3f} "
        f"micro P={result.precision:.3f} R={result.recall:.3f} F1={result.f1:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--min-confidence", type=float, default=0.5)
    args = parser.parse_args()
    rows = read_rows(args.csv)
    rule_base = load_rule_base()
    print(f"{len(rows)} labelled strings from {args.csv.name}; rule base {rule_base.version}")
    predictors = (
        ("baseline", baseline(rule_base)),
        ("classifier", classifier(args.min_confidence)),
    )
    results: dict[str, Evaluation] = {}
    for name, predict in predictors:
        for language in ("en", "zh-hans", "zh-hant"):
            subset = [row for row in rows if row[1] == language]
            print(report_line(name, language, len(subset), evaluate(subset, predict)))
        results[name] = evaluate(rows, predict)
        print(report_line(name, "all", len(rows), results[name]))
    base, ours = results["baseline"].accuracy, results["classifier"].accuracy
    ratio = f"{ours / base:.1f}x" if base else "inf (baseline 0)"
    print(f"accuracy ratio classifier/baseline: {ratio}")
    print("\nper class (classifier): key, precision, recall, F1, support")
    ours_result = results["classifier"]
    tp, fp, fn = ours_result.true_positive, ours_result.false_positive, ours_result.false_negative
    for key in sorted(set(tp) | set(fp) | set(fn)):
        p = tp[key] / (tp[key] + fp[key]) if tp[key] + fp[key] else 0.0
        r = tp[key] / (tp[key] + fn[key]) if tp[key] + fn[key] else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        print(f"  {key:20} P={p:.2f} R={r:.2f} F1={f:.2f} support={tp[key] + fn[key]}")
    print("\nmisclassified (classifier): text | truth | predicted")
    for text, truth, predicted in ours_result.wrong:
        print(f"  {text!r} | {';'.join(sorted(truth))} | {';'.join(sorted(predicted))}")


if __name__ == "__main__":
    main()

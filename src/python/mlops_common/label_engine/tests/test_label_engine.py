import json
from pathlib import Path

import pytest

from mlops_common.label_engine import (
    RuleFileError,
    RuleSet,
    bundled_rules_path,
    dry_run,
    load_rules,
    read_history,
)
from mlops_common.label_engine.cli import main

BASE = {
    "name": "t",
    "version": "1",
    "labels": ["approve", "review", "block"],
    "default_label": "approve",
    "rules": [
        {"name": "hi", "label": "block", "when": {"score": {"gte": 0.9}}},
        {"name": "mid", "label": "review", "when": {"score": {"gte": 0.5}}},
        {
            "name": "big_abroad",
            "label": "review",
            "when": {"amount": {"gt": 1000}, "country": {"not_in": ["US"]}},
        },
    ],
}


def test_most_severe_fired_rule_wins_and_all_fired_rules_are_listed():
    rules = RuleSet.from_mapping(BASE)
    decision = rules.decide({"score": 0.95, "amount": 5000, "country": "DE"})
    assert decision.label == "block"
    assert decision.fired == ("hi", "mid", "big_abroad")
    assert decision.rules_version == "1"


def test_default_label_when_nothing_fires_and_missing_attributes_never_fire():
    rules = RuleSet.from_mapping(BASE)
    assert rules.decide({"score": 0.1, "amount": 5000, "country": "US"}).label == "approve"
    assert rules.decide({"score": 0.1, "amount": 5000}).fired == ()
    assert rules.decide({"score": float("nan")}).label == "approve"
    assert rules.decide({"score": "high"}).label == "approve"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("labels"), "missing top-level key"),
        (lambda d: d.update(default_label="deny"), "default_label 'deny'"),
        (lambda d: d["rules"][0].update(label="deny"), "rule 'hi': label 'deny'"),
        (lambda d: d["rules"][0].update(when={"score": {"above": 1}}), "unknown operator 'above'"),
        (lambda d: d["rules"][2].update(when={"country": {"in": "US"}}), "needs a list"),
        (lambda d: d["rules"][1].update(name="hi"), "duplicate rule name"),
    ],
)
def test_invalid_rule_files_say_what_to_fix(mutate, message):
    data = json.loads(json.dumps(BASE))
    mutate(data)
    with pytest.raises(RuleFileError, match=message):
        RuleSet.from_mapping(data)


@pytest.mark.parametrize("use_case", ["fraud_detection", "customer_churn"])
def test_bundled_rule_files_load(use_case):
    rules = load_rules(bundled_rules_path(use_case))
    assert rules.name == use_case
    assert len(rules.rules) >= 3
    assert rules.decide({"score": 0.99}).label == rules.labels[-1]
    assert rules.decide({"score": 0.0}).label == rules.default_label


def test_dry_run_counts_label_changes(tmp_path: Path):
    current = RuleSet.from_mapping(BASE)
    stricter = json.loads(json.dumps(BASE))
    stricter["version"] = "2"
    stricter["rules"][1]["when"]["score"]["gte"] = 0.3
    candidate = RuleSet.from_mapping(stricter)
    history = tmp_path / "scored.csv"
    history.write_text("score,amount,country\n0.4,10,US\n0.6,10,US\n0.1,10,US\n0.35,10,US\n")
    report = dry_run(current, candidate, read_history(history))
    assert report.rows == 4
    assert report.changed == 2
    assert report.transitions[("approve", "review")] == 2
    assert "2 labels change" in report.render()


def test_cli_dry_run_and_errors(tmp_path: Path, capsys):
    rules_file = bundled_rules_path("fraud_detection")
    history = tmp_path / "scored.jsonl"
    history.write_text('{"score": 0.95}\n{"score": 0.2}\n')
    assert (
        main(
            [
                "dry-run",
                "--current",
                str(rules_file),
                "--candidate",
                str(rules_file),
                "--history",
                str(history),
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["rows"] == 2 and out["changed"] == 0
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nversion: 1\nlabels: [a]\ndefault_label: a\nrules: [{name: r}]\n")
    assert main(["check", str(broken)]) == 1
    captured = capsys.readouterr()
    assert "needs 'name', 'label' and 'when'" in captured.err
    assert "Traceback" not in captured.err and json.loads(captured.out)["error"]["reason"]
    assert main(["check", str(rules_file)]) == 0
    assert json.loads(capsys.readouterr().out)["name"]
    assert main(["--version"]) == 0
    assert json.loads(capsys.readouterr().out)["prog"] == "label-engine"
    assert main(["check"]) == 2  # usage
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "usage"

"""Label Engine: turns a model score plus request attributes into a business label.

Rules are data (YAML files under ``rules/``), versioned with the repo, so risk and product
teams change thresholds with a reviewed file instead of a code release, and every decision
names the rules that fired.
"""

from mlops_common.label_engine.dry_run import DryRunReport, dry_run, read_history
from mlops_common.label_engine.rules import (
    Condition,
    Decision,
    Rule,
    RuleFileError,
    RuleSet,
    bundled_rules_path,
    load_bundled_rules,
    load_rules,
)

__all__ = [
    "Condition",
    "Decision",
    "DryRunReport",
    "Rule",
    "RuleFileError",
    "RuleSet",
    "bundled_rules_path",
    "dry_run",
    "load_bundled_rules",
    "load_rules",
    "read_history",
]

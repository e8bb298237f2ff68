"""Rule files: parsing, validation and evaluation.

A rule fires when all of its conditions hold; the decision is the most severe label among
the fired rules (severity = order of ``labels`` in the file), else ``default_label``.
Evaluating every rule (not first-match) keeps the list of fired rules complete, which is
what reviewers and the dry-run report need.

Besides the score and the model inputs, the attributes carry what the read behind the score
was like (:mod:`.context`): ``degraded``, ``missing_features``, ``missing_count`` and
``entity_known``. The list operators ``includes_any`` / ``includes_all`` test a list
attribute such as ``missing_features`` ("any of these features missing"); a comma-separated
string (how CSV/parquet outputs store lists, like ``fired_rules``) counts as that list.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

OPERATORS = (
    "eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "includes_any", "includes_all"
)  # fmt: skip
LIST_OPERATORS = ("in", "not_in", "includes_any", "includes_all")


def as_members(actual: Any) -> frozenset[Any] | None:
    """A list attribute's members; ``"a,b"`` is ``{"a", "b"}``; None when it is no list."""
    if isinstance(actual, str):
        return frozenset(x.strip() for x in actual.split(",") if x.strip())
    if isinstance(actual, list | tuple | set | frozenset):
        return frozenset(actual)
    return None


class RuleFileError(ValueError):
    """A rules file that cannot be used; the message says which rule and what to fix."""


Check = Callable[[Mapping[str, Any]], bool]
_ABSENT = object()
# the comparison operators; they apply to numpy arrays too (columnar batch labels)
COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def _includes(expected: Any, wants_all: bool) -> Callable[[Any], bool]:
    def test(actual: Any) -> bool:
        members = as_members(actual)
        if members is None:
            return False
        found = [x in members for x in expected]
        return all(found) if wants_all else any(found)

    return test


def _compile_test(op: str, expected: Any) -> Callable[[Any], Any]:
    """The bare operator test for one present value (may raise TypeError)."""
    if op in COMPARISONS:
        compare = COMPARISONS[op]

        def test(actual: Any) -> Any:
            return compare(actual, expected)

        return test
    if op == "in":
        return lambda actual: actual in expected
    if op == "not_in":
        return lambda actual: actual not in expected
    return _includes(expected, wants_all=op == "includes_all")


def compile_value_check(op: str, expected: Any) -> Callable[[Any], bool]:
    """One condition on one attribute *value* (``_ABSENT`` for an absent attribute).

    False when the value is absent, None, NaN or not comparable: a rule never fires on
    absent data. The columnar evaluator of batch scoring applies this to the values of a
    column it cannot compare with numpy, so both paths share one definition.
    """
    test = _compile_test(op, expected)
    isnan = math.isnan

    def check_value(actual: Any) -> bool:
        if actual is _ABSENT or actual is None or (isinstance(actual, float) and isnan(actual)):
            return False
        try:
            return bool(test(actual))
        except TypeError:
            return False

    return check_value


def compile_condition(attribute: str, op: str, expected: Any) -> Check:
    """One condition as a closure over an attribute mapping: the operator is chosen once.

    False when the attribute is missing or not comparable: a rule never fires on absent data.
    """
    check_value = compile_value_check(op, expected)

    def check(attributes: Mapping[str, Any]) -> bool:
        return check_value(attributes.get(attribute, _ABSENT))

    return check


@dataclass(frozen=True)
class Condition:
    attribute: str
    operator: str
    value: Any
    check: Check = field(init=False, repr=False, compare=False)
    check_value: Callable[[Any], bool] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "check", compile_condition(self.attribute, self.operator, self.value)
        )
        object.__setattr__(self, "check_value", compile_value_check(self.operator, self.value))

    def holds(self, attributes: Mapping[str, Any]) -> bool:
        """False when the attribute is missing or not comparable: a rule never fires on absent data."""
        return self.check(attributes)


@dataclass(frozen=True)
class Rule:
    name: str
    label: str
    conditions: tuple[Condition, ...]
    description: str = ""

    def fires(self, attributes: Mapping[str, Any]) -> bool:
        return all(c.check(attributes) for c in self.conditions)


@dataclass(frozen=True)
class Decision:
    label: str
    fired: tuple[str, ...]
    rules_version: str


@dataclass(frozen=True)
class RuleSet:
    """Rules compiled once (closures per condition, severity ranks precomputed): services and
    batch scoring call the same :meth:`decide`, so their decisions cannot differ."""

    name: str
    version: str
    labels: tuple[str, ...]
    default_label: str
    rules: tuple[Rule, ...]
    # (rule name, severity rank of its label, its condition checks), in file order
    _compiled: tuple[tuple[str, int, tuple[Check, ...]], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        severity = {label: i for i, label in enumerate(self.labels)}
        compiled = tuple(
            (r.name, severity[r.label], tuple(c.check for c in r.conditions)) for r in self.rules
        )
        object.__setattr__(self, "_compiled", compiled)

    def decide(self, attributes: Mapping[str, Any]) -> Decision:
        fired: list[str] = []
        best = -1
        for name, rank, checks in self._compiled:
            for check in checks:
                if not check(attributes):
                    break
            else:
                fired.append(name)
                if rank > best:
                    best = rank
        if not fired:
            return Decision(self.default_label, (), self.version)
        return Decision(self.labels[best], tuple(fired), self.version)

    @classmethod
    def from_mapping(cls, data: Any, source: str = "<rules>") -> RuleSet:
        """Validate a parsed rules document; every problem names the rule and the fix."""
        if not isinstance(data, Mapping):
            raise RuleFileError(f"{source}: expected a mapping with name, version, labels, rules")
        missing = [
            k for k in ("name", "version", "labels", "default_label", "rules") if k not in data
        ]
        if missing:
            raise RuleFileError(f"{source}: missing top-level key(s) {', '.join(missing)}")
        labels = tuple(str(x) for x in data["labels"] or ())
        if len(labels) < 1 or len(set(labels)) != len(labels):
            raise RuleFileError(f"{source}: 'labels' must be a non-empty list of distinct labels")
        default = str(data["default_label"])
        if default not in labels:
            raise RuleFileError(f"{source}: default_label {default!r} is not one of {list(labels)}")
        if not isinstance(data["rules"], list):
            raise RuleFileError(f"{source}: 'rules' must be a list")
        rules: list[Rule] = []
        for i, raw in enumerate(data["rules"]):
            rules.append(_parse_rule(raw, i, labels, source))
        names = [r.name for r in rules]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise RuleFileError(f"{source}: duplicate rule name(s) {duplicates}")
        return cls(str(data["name"]), str(data["version"]), labels, default, tuple(rules))


def _parse_rule(raw: Any, index: int, labels: tuple[str, ...], source: str) -> Rule:
    where = f"{source}: rule #{index + 1}"
    if not isinstance(raw, Mapping) or "name" not in raw or "label" not in raw:
        raise RuleFileError(f"{where}: each rule needs 'name', 'label' and 'when'")
    where = f"{source}: rule {raw['name']!r}"
    if raw["label"] not in labels:
        raise RuleFileError(f"{where}: label {raw['label']!r} is not one of {list(labels)}")
    when = raw.get("when")
    if not isinstance(when, Mapping) or not when:
        raise RuleFileError(f"{where}: 'when' must map attributes to {{operator: value}}")
    conditions: list[Condition] = []
    for attribute, tests in when.items():
        if not isinstance(tests, Mapping) or not tests:
            raise RuleFileError(f"{where}: condition on {attribute!r} must be {{operator: value}}")
        for op, value in tests.items():
            if op not in OPERATORS:
                raise RuleFileError(
                    f"{where}: unknown operator {op!r} on {attribute!r}; use one of {OPERATORS}"
                )
            if op in LIST_OPERATORS and not isinstance(value, list):
                raise RuleFileError(f"{where}: {op!r} on {attribute!r} needs a list")
            if op.startswith("includes_") and not value:
                raise RuleFileError(f"{where}: {op!r} on {attribute!r} needs a non-empty list")
            if op in ("gt", "gte", "lt", "lte") and (
                not isinstance(value, int | float) or isinstance(value, bool)
            ):
                raise RuleFileError(f"{where}: {op!r} on {attribute!r} needs a number")
            conditions.append(Condition(str(attribute), op, value))
    return Rule(
        str(raw["name"]), str(raw["label"]), tuple(conditions), str(raw.get("description", ""))
    )


def load_rules(path: str | Path) -> RuleSet:
    """Load and validate a rules YAML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleFileError(f"cannot read rules file {path}: {exc.strerror or exc}") from exc
    return _parse(text, str(path))


def _parse(text: str, source: str) -> RuleSet:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RuleFileError(f"{source}: not valid YAML ({exc})") from exc
    return RuleSet.from_mapping(data, source=source)


def load_bundled_rules(use_case: str) -> RuleSet:
    """The rules shipped with the code for ``use_case``, read as a package resource.

    Read through :mod:`importlib.resources` rather than :func:`bundled_rules_path`, so it also
    works when the package is imported from a zipped PEX (the services), where the file has
    no path of its own.
    """
    ref = resources.files("mlops_common.label_engine") / "rules" / f"{use_case}.yaml"
    try:
        text = ref.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleFileError(f"no bundled rules for use case {use_case!r}: {exc}") from exc
    return _parse(text, f"bundled {use_case}.yaml")


def bundled_rules_path(use_case: str) -> Path:
    """Path of the rules file shipped with the code for ``use_case`` (fraud_detection, ...)."""
    ref = resources.files("mlops_common.label_engine") / "rules" / f"{use_case}.yaml"
    path = Path(str(ref))
    if not path.is_file():
        raise RuleFileError(f"no bundled rules for use case {use_case!r} (looked for {path})")
    return path

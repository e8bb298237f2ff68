"""Schemathesis against a running service: the schema it serves is the contract it keeps.

Every operation of ``/openapi.json`` gets schema-valid requests (positive mode: they reach the
model) and, where it takes input, schema-violating ones (negative mode: hostile input). Each
answer is checked by schemathesis: never a 5xx, a status the schema documents for that
operation, its content type, and a body that validates against the documented schema (for
errors the one ``ErrorResponse``: code and reason). Seeded (``derandomize``) and bounded by
``max_examples`` per operation and mode, so a run is repeatable and takes seconds.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
]
# Schema-violating input must be refused with a 4xx (400/401/.../422), never accepted.
NEGATIVE_CHECKS = [*CHECKS, negative_data_rejection]


@dataclass
class FuzzReport:
    """What a run sent and got back: examples per mode, statuses, wall time."""

    examples: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    operations: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"schemathesis: {sum(self.examples.values())} examples {dict(self.examples)} over"
            f" {len(self.operations)} operations in {self.seconds:.1f}s;"
            f" statuses {dict(sorted(self.statuses.items()))}"
        )


def _takes_input(operation: Any) -> bool:
    return bool(len(operation.body) or len(operation.query) or len(operation.path_parameters))


def fuzz_service(base_url: str, api_key: str, *, max_examples: int) -> FuzzReport:
    """Run every operation of the service at ``base_url`` through schemathesis' checks.

    Raises schemathesis' failure (with a curl line to reproduce it) on the first violation.
    """
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", timeout=10)
    report = FuzzReport()
    started = time.perf_counter()
    for result in schema.get_all_operations():
        if isinstance(result, Err):  # the served schema itself is broken: say where
            raise AssertionError(f"schemathesis cannot read an operation: {result.err()}")
        operation = result.ok()
        report.operations.append(operation.label)
        modes = [GenerationMode.POSITIVE]
        if _takes_input(operation):
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:
            _fuzz_operation(operation, mode, base_url, api_key, max_examples, report)
    report.seconds = time.perf_counter() - started
    return report


def _fuzz_operation(
    operation: Any,
    mode: GenerationMode,
    base_url: str,
    api_key: str,
    max_examples: int,
    report: FuzzReport,
) -> None:
    checks = NEGATIVE_CHECKS if mode is GenerationMode.NEGATIVE else CHECKS

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: Any) -> None:
        response = case.call_and_validate(
            base_url=base_url, headers={"x-api-key": api_key}, checks=checks
        )
        report.examples[mode.value] += 1
        report.statuses[response.status_code] += 1
        if mode is GenerationMode.NEGATIVE and response.status_code >= 400:
            # hostile input: a 4xx that says what to fix (the schema check saw code + reason)
            assert response.json()["error"]["reason"], response.text

    check()

"""The serving benchmark's figures and goals (issue 16), from the per-target medians.

One place for the JSON names, the goals and their MET/MISSED verdicts, so the printed table
and the JSON cannot disagree. Targets are keyed ``mlflow``, ``bare_fastapi``, ``raw_asgi`` and
``fraud_api`` (``fraud_api_shadow``: the same PEX with a challenger shadowing every request,
issue 19's "within 10%" goals; ``fraud_api_single``: the same PEX scoring every request on its
own, what dynamic batching buys, no goal); ``raw_asgi`` is the ceiling of the server stack, ``bare_fastapi`` is "what a team
writes first" and has no goal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from ml_model_services.benchmarks.wrk_load import Result

TARGETS = (
    "mlflow", "bare_fastapi", "raw_asgi", "fraud_api", "fraud_api_single", "fraud_api_shadow",
)  # fmt: skip
LABELS = {
    "mlflow": "mlflow models serve (baseline)",
    "bare_fastapi": "bare FastAPI route (what a team writes first)",
    "raw_asgi": "raw ASGI constant JSON (ceiling)",
    "fraud_api": "fraud API, end to end",
    "fraud_api_single": "fraud API, dynamic batching off (info)",
    "fraud_api_shadow": "fraud API, shadow on 100% (issue 19)",
}


@dataclass(frozen=True)
class Goal:
    name: str
    text: str
    value: Callable[[dict[str, Result]], float]
    limit: float
    higher_is_better: bool
    unit: str  # "%": a share, "x": a ratio, "us": microseconds

    def show(self, value: float) -> str:
        if self.unit == "%":
            return f"{100 * value:.1f}%"
        return f"{value:.1f}{self.unit}"

    def met(self, by_target: dict[str, Result]) -> bool:
        v = self.value(by_target)
        return v >= self.limit if self.higher_is_better else v <= self.limit


GOALS = (
    Goal(
        "fraud_api_share_of_raw_asgi_rps",
        "fraud API req/s >= 35% of raw_asgi",
        lambda t: t["fraud_api"].requests_per_s / t["raw_asgi"].requests_per_s,
        0.35,
        True,
        "%",
    ),
    Goal(
        "fraud_api_cpu_us",
        "fraud API CPU/request <= 120 us",
        lambda t: t["fraud_api"].cpu_us_per_request,
        120.0,
        False,
        " us",
    ),
    Goal(
        "fraud_api_vs_mlflow_rps",
        "fraud API req/s >= 30x mlflow",
        lambda t: t["fraud_api"].requests_per_s / t["mlflow"].requests_per_s,
        30.0,
        True,
        "x",
    ),
    Goal(
        "mlflow_vs_fraud_api_cpu",
        "fraud API CPU/request <= 1/30 of mlflow",
        lambda t: t["mlflow"].cpu_us_per_request / t["fraud_api"].cpu_us_per_request,
        30.0,
        True,
        "x",
    ),
    Goal(
        "mlflow_vs_fraud_api_p99",
        "fraud API p99 <= 1/20 of mlflow",
        lambda t: t["mlflow"].p99_ms / t["fraud_api"].p99_ms,
        20.0,
        True,
        "x",
    ),
    Goal(
        "shadow_p99_ratio",
        "shadow 100%: p99 <= 1.10x shadow off",
        lambda t: t["fraud_api_shadow"].p99_ms / t["fraud_api"].p99_ms,
        1.10,
        False,
        "x",
    ),
    Goal(
        "shadow_cpu_ratio",
        "shadow 100%: CPU/request <= 1.10x off",
        lambda t: t["fraud_api_shadow"].cpu_us_per_request / t["fraud_api"].cpu_us_per_request,
        1.10,
        False,
        "x",
    ),
)


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def figures(medians: dict[str, Result], rounds: list[dict[str, Result]]) -> dict[str, Any]:
    """The JSON object: issue 16's names, then every goal with its value and verdict."""
    out: dict[str, Any] = {}
    for key in TARGETS:
        out[f"{key}_rps"] = round(medians[key].requests_per_s, 1)
    for key in TARGETS:
        out[f"{key}_p99_ms"] = round(medians[key].p99_ms, 3)
    for key in TARGETS:
        out[f"{key}_cpu_us"] = round(medians[key].cpu_us_per_request, 1)
    for key in TARGETS:
        out[f"{key}_p50_ms"] = round(medians[key].p50_ms, 3)
    out["goals"] = {
        g.name: {
            "text": g.text,
            "value": round(g.value(medians), 4),
            "limit": g.limit,
            "met": g.met(medians),
            "rounds_met": sum(g.met(one) for one in rounds),
        }
        for g in GOALS
    }
    out["rounds"] = len(rounds)
    out["non_2xx"] = {key: medians[key].non_2xx for key in TARGETS}
    out["per_round"] = [{key: asdict(r) for key, r in one.items()} for one in rounds]
    return out


def render(medians: dict[str, Result], rounds: list[dict[str, Result]], duration: int) -> str:
    lines = [
        f"medians of {len(rounds)} interleaved rounds of {duration}s per target "
        "(CPU: the server's process group, user+system, per request)",
        f"{'target':<48}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'CPU us/req':>12}",
    ]
    for key in TARGETS:
        r = medians[key]
        lines.append(
            f"{LABELS[key]:<48}{r.requests_per_s:>10.1f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}"
            f"{r.non_2xx:>9}{r.cpu_us_per_request:>12.0f}"
        )
    raw, api = medians["raw_asgi"], medians["fraud_api"]
    lines.append(
        f"fraud API spends {api.cpu_us_per_request - raw.cpu_us_per_request:.0f} us CPU per "
        f"request above the raw server stack ({api.cpu_us_per_request / raw.cpu_us_per_request:.1f}x);"
        f" bare FastAPI/raw_asgi req/s "
        f"{medians['bare_fastapi'].requests_per_s / raw.requests_per_s:.2f} (info, no goal)"
    )
    lines.append("")
    for g in GOALS:
        value = g.value(medians)
        shown = g.show(value)
        rounds_met = sum(g.met(one) for one in rounds)
        lines.append(
            f"{g.text:<42}{shown:>10}  {verdict(g.met(medians)):<7}"
            f" (met in {rounds_met}/{len(rounds)} rounds)"
        )
    return "\n".join(lines)

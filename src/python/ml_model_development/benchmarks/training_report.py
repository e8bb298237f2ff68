"""The training benchmark's figures: one result per model, the printed table and the JSON.

Kept apart from the measuring code so the goals, their verdicts and the JSON names live in one
place; the table and the JSON are rendered from the same :class:`ModelResult`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from ml_model_development.benchmarks.single_row import ROW_SPEEDUP_GOAL, RowResult

# Goals from issue 4's acceptance (the single-row one restored by issue 16).
AUTO_SHARE_GOAL = 0.90
TRAINING_OVERHEAD_GOAL = 2.0
JSON_KEYS = {"fraud_detection_xgboost": "fraud", "customer_churn_lightgbm": "churn"}


@dataclass
class ModelResult:
    model: str
    rows: int
    train_rows: int
    platform_train_s: float = 0.0
    bare_train_s: float = 0.0
    steps_s: dict[str, float] = field(default_factory=dict)
    bare_vs_platform_max_abs_diff: float = 0.0
    roc_auc: float = 0.0
    single_row: RowResult | None = None
    batch_s: dict[str, float] = field(default_factory=dict)
    batch_runs_s: dict[str, list[float]] = field(default_factory=dict)
    auto_engines: list[str] = field(default_factory=list)
    n_jobs: int = 0
    ort_batch_threads: str = "default"

    @property
    def overhead(self) -> float:
        return self.platform_train_s / self.bare_train_s

    @property
    def fastest_engine(self) -> str:
        return min(("native", "onnx"), key=lambda e: self.batch_s[e])

    @property
    def auto_share(self) -> float:
        return self.batch_s[self.fastest_engine] / self.batch_s["auto"]

    def figures(self) -> dict[str, Any]:
        """The JSON object of this model (issue 16's names first, details after)."""
        sr = self.single_row
        assert sr is not None
        return {
            "onnx_row_us": round(sr.us["onnx"][0], 1),
            "booster_row_us": round(sr.us["booster"][0], 1),
            "pipeline_row_us": round(sr.us["pipeline"][0], 1),
            "batch_auto_share_of_best": round(self.auto_share, 4),
            "training_overhead_ratio": round(self.overhead, 4),
            "booster_core_row_us": round(sr.us["booster_core"][0], 1),
            "onnx_vs_booster_speedup": round(sr.speedup, 2),
            "onnx_vs_booster_goal": ROW_SPEEDUP_GOAL,
            "onnx_vs_booster_goal_met": sr.goal_met,
            "row_p99_us": {side: round(p99, 1) for side, (_, p99) in sr.us.items()},
            "row_parts_us": {k: round(v, 1) for k, v in sr.parts_us.items()},
            "row_threads": sr.threads,
            "row_calls": sr.calls,
            "row_onnx_vs_booster_max_abs_diff": sr.max_abs_diff,
            "onnx_graph": sr.graph,
            "batch_rows_per_s": {e: round(self.rows / s) for e, s in self.batch_s.items()},
            "batch_runs_s": self.batch_runs_s,
            "batch_auto_engines": self.auto_engines,
            "batch_native_n_jobs": self.n_jobs,
            "batch_ort_threads": self.ort_batch_threads,
            "platform_train_s": round(self.platform_train_s, 2),
            "bare_train_s": round(self.bare_train_s, 2),
            "train_steps_s": self.steps_s,
            "train_rows": self.train_rows,
            "rows": self.rows,
            "roc_auc": self.roc_auc,
            "bare_vs_platform_max_abs_diff": self.bare_vs_platform_max_abs_diff,
        }


def to_json(results: list[ModelResult]) -> dict[str, Any]:
    out: dict[str, Any] = {JSON_KEYS.get(r.model, r.model): r.figures() for r in results}
    out["load_average"] = list(os.getloadavg())
    out["cpus"] = os.cpu_count()
    return out


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def where_time_goes(r: ModelResult) -> str:
    """One line per model when the single-row goal is missed: the parts of each side."""
    sr = r.single_row
    assert sr is not None
    p = sr.parts_us
    g = sr.graph
    return (
        f"  {r.model}: MISSED {sr.speedup:.1f}x < {ROW_SPEEDUP_GOAL:.0f}x. ONNX "
        f"{sr.us['onnx'][0]:.0f} us = feeds from the dict {p['onnx_feeds']:.0f} + session.run "
        f"{p['onnx_run']:.0f} (graph: {g['inputs']} inputs, {g['string_inputs']} string, "
        f"{g['nodes']} nodes); booster {sr.us['booster'][0]:.0f} us = encode "
        f"{p['booster_encode']:.0f} + predict_proba {p['booster_predict_proba']:.0f} "
        f"(core call alone {p['booster_core_call']:.0f})"
    )


def render(results: list[ModelResult]) -> str:
    lines: list[str] = []
    width = 24
    head = f"{'':<36}" + "".join(f"{r.model:>{width}}" for r in results)
    rule = "-" * len(head)

    def row(label: str, cells: list[str]) -> None:
        lines.append(f"{label:<36}" + "".join(f"{c:>{width}}" for c in cells))

    rows = results[0].rows if results else 0
    threads = results[0].single_row.threads if results and results[0].single_row else 0
    lines += [
        f"training benchmark: {rows:,} rows per model; "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}; "
        f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs",
        rule,
        head,
        rule,
    ]
    lines.append(
        f"1. single row, p50 / p99 (us): same prepared dict, conversion inside the clock, "
        f"{threads} thread(s) each"
    )
    labels = {
        "onnx": "  ONNX Runtime (feeds + run)",
        "booster": "  booster (encode + predict_proba)",
        "booster_core": "  booster core call (info)",
        "pipeline": "  Pipeline on 1-row DataFrame (info)",
    }
    for key, label in labels.items():
        cells = []
        for r in results:
            p50, p99 = r.single_row.us[key]  # type: ignore[union-attr]
            cells.append(f"{p50:.0f} / {p99:.0f}")
        row(label, cells)
    srs = [r.single_row for r in results]
    row("  ONNX vs booster (goal >=10x)", [f"{s.speedup:.1f}x" for s in srs])  # type: ignore[union-attr]
    row("  goal", [verdict(s.goal_met) for s in srs])  # type: ignore[union-attr]
    row(
        "  ONNX vs Pipeline (info, no goal)",
        [f"{s.us['pipeline'][0] / s.us['onnx'][0]:.1f}x" for s in srs],  # type: ignore[union-attr]
    )
    row("  max |p onnx - p booster|", [f"{s.max_abs_diff:.1e}" for s in srs])  # type: ignore[union-attr]
    repeats = len(results[0].batch_runs_s["auto"]) if results else 0
    lines.append(
        f"2. batch throughput on {rows:,} rows (rows/s; best of {repeats} alternating rounds;"
        f" native n_jobs {results[0].n_jobs if results else 0}, ORT threads "
        f"{results[0].ort_batch_threads if results else ''})"
    )
    for engine in ("native", "onnx"):
        row(f"  {engine}", [f"{r.rows / r.batch_s[engine]:,.0f}" for r in results])
    row("  auto picks", ["/".join(dict.fromkeys(r.auto_engines)) for r in results])
    row("  auto (incl. selection)", [f"{r.rows / r.batch_s['auto']:,.0f}" for r in results])
    row(
        "  auto % of faster (goal >=90%)",
        [f"{100 * r.auto_share:.0f}% of {r.fastest_engine}" for r in results],
    )
    row("  goal", [verdict(r.auto_share >= AUTO_SHARE_GOAL) for r in results])
    lines.append("3. training wall time (s)")
    row("  platform trainer.run()", [f"{r.platform_train_s:.1f}" for r in results])
    steps = list(dict.fromkeys(k for r in results for k in r.steps_s))
    for step in steps:
        row(f"    {step}", [f"{r.steps_s.get(step, 0.0):.1f}" for r in results])
    row(
        "    (outside the steps)",
        [f"{r.platform_train_s - sum(r.steps_s.values()):.1f}" for r in results],
    )
    row("  bare library train", [f"{r.bare_train_s:.1f}" for r in results])
    row("  train rows", [f"{r.train_rows:,}" for r in results])
    row("  overhead (goal <=2x)", [f"{r.overhead:.2f}x" for r in results])
    row("  goal", [verdict(r.overhead <= TRAINING_OVERHEAD_GOAL) for r in results])
    row("  bare vs platform max |dp|", [f"{r.bare_vs_platform_max_abs_diff:.1e}" for r in results])
    row("  holdout roc_auc", [f"{r.roc_auc:.4f}" for r in results])
    lines.append(rule)
    missed = [where_time_goes(r) for r in results if not r.single_row.goal_met]  # type: ignore[union-attr]
    if missed:
        lines.append("single-row goal MISSED; where the time goes (p50 us of each part alone):")
        lines += missed
    return "\n".join(lines)

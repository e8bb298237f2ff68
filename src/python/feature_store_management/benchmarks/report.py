"""The feature-store benchmark's printed table: every timing with the rows it returned.

Separate from the measuring code; the same result dicts are written to ``--json``.
"""

from __future__ import annotations

import argparse

import numpy as np


def latency_stats(samples_s: list[float], digits: int = 3) -> dict[str, float]:
    """p50/p99/mean in milliseconds and the number of calls, for every timing printed."""
    ms = np.array(samples_s) * 1000.0
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), digits),
        "p99_ms": round(float(np.percentile(ms, 99)), digits),
        "mean_ms": round(float(ms.mean()), digits),
        "calls": len(ms),
    }


def render(results: list[dict], args: argparse.Namespace) -> str:
    """The printed table: every timing with the rows it returned next to it."""
    lines = [
        f"\nusers={args.users} transactions={args.transactions} entity_rows={args.entity_rows}",
        f"{'profile':<10} {'online (SDK)':<13}{'entities':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'rows/call':>10}{'found/call':>11}",
    ]
    for r in results:
        store_name = "redis" if r["profile"] == "servers" else "sqlite"
        for batch in (1, 100):
            o = r[f"online_{batch}"]
            lines.append(
                f"{r['profile']:<10} {store_name:<13}{batch:>9}{o['p50_ms']:>9}{o['p99_ms']:>9}"
                f"{o['rows_per_call']:>10.0f}{o['found_per_call']:>11}"
            )
    lines.append(
        f"{'profile':<10} {'1 entity, churn':<16}{'SDK p50':>9}{'reader p50':>11}{'speedup':>9}"
        f"{'p99 SDK/rd':>16}{'checked':>8}{'mismatch':>9}  goal >= 5x, same values"
    )
    for r in results:
        c = r["reader_vs_sdk"]
        sdk, rd = c["sdk"], c["service_reader"]
        lines.append(
            f"{r['profile']:<10} {c['reader']:<16}{sdk['p50_ms']:>9.3f}{rd['p50_ms']:>11.3f}"
            f"{c['speedup_p50']:>8.1f}x{sdk['p99_ms']:>8.2f}/{rd['p99_ms']:<7.2f}"
            f"{c['values_checked']:>8}{c['mismatch_count']:>9}  {'MET' if c['met'] else 'MISSED'}"
        )
    lines.append(
        f"{'profile':<10} {'offline':<10}{'rows in':>9}{'feast s':>9}{'rows out':>9}"
        f"{'frame s':>9}{'rows out':>9}"
    )
    for r in results:
        store_name = "postgres" if r["profile"] == "servers" else "file"
        f, t = r["offline"]["feast_to_df"], r["offline"]["training_frame"]
        lines.append(
            f"{r['profile']:<10} {store_name:<10}{f['rows_in']:>9}{f['median_s']:>9}"
            f"{f['rows_out']:>9}{t['median_s']:>9}{t['rows_out']:>9}"
        )
    return "\n".join(lines)

"""Ad-hoc segment analysis: bias table plus per-segment rate plots for scored data."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from ml_reporting_monitoring.bias.analysis import RATES, BiasReport
from ml_reporting_monitoring.reports.html import Section, render_html


def write_segment_report(report: BiasReport, path: Path, title: str = "Segment analysis") -> Path:
    sections = []
    table = report.table.copy()
    table["status"] = table["flagged"].map({True: "flagged", False: "ok"})
    for column, group in table.groupby("segment_column", sort=False):
        section = Section(f"By {column}")
        flagged = group[group["flagged"]]
        section.add_text(
            f"reference segment '{group['reference'].iloc[0]}'; flagged: "
            + (
                ", ".join(
                    f"{s} ({r})"
                    for s, r in zip(flagged["segment"], flagged["flagged_rates"], strict=True)
                )
                or "none"
            )
        )
        shown = [
            "segment",
            "rows",
            "unlabelled_rows",
            *RATES,
            *(f"{r}_ratio" for r in RATES),
            "status",
        ]
        section.add_table(group[shown], row_class="status")
        figure, axis = plt.subplots(figsize=(7, 3))
        group.set_index("segment")[list(RATES)].plot.bar(ax=axis)
        axis.set_ylabel("rate")
        section.add_figure(figure)
        sections.append(section)
    intro = [
        f"Disparity ratios outside [{report.thresholds.min_ratio}, {report.thresholds.max_ratio}] "
        f"are flagged for segments with at least {report.thresholds.min_segment_rows} rows."
    ]
    return render_html(path, title, sections, intro)


def segment_report_from_frame(
    frame: pd.DataFrame, segments: list[str], path: Path, **kwargs
) -> tuple[BiasReport, Path]:
    from ml_reporting_monitoring.bias.analysis import analyze_prediction_bias

    report = analyze_prediction_bias(frame, segments, **kwargs)
    return report, write_segment_report(report, path)

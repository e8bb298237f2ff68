"""Reproducible data-profiling report: one self-contained HTML page per table.

Instead of EDA notebooks: for each raw table (and each feature table, once built) a page with
row count, per-column type, missing values, distinct values, numeric summaries with a
histogram, top categories with bars, time range per timestamp column, and the label balance
(``is_fraud``, ``churned``). Plots are inline SVG, so the pages need no plotting library and
no network, and the same data always gives the same bytes.

    ./pants run src/python/feature_store_management/profiling/data_profile.py -- --output DIR

Reads the tables of the configured profile (``MLOPS_PROFILE``, ``MLOPS_HOME``, ...); writes to
``$MLOPS_HOME/features/reports`` by default.
"""

from __future__ import annotations

import argparse
import html
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from feature_store_management.data_generation.raw_schemas import RAW_TABLES
from feature_store_management.data_generation.raw_store import read_raw
from feature_store_management.feature_tables import read_feature_table
from feature_store_management.settings import FeatureStoreSettings
from mlops_common.progress import Progress

LABELS = ("is_fraud", "churned")
FEATURE_TABLES = ("user_transaction_aggregates", "user_profile", "user_activity")
BAR_W, BAR_H = 360, 120

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;
text-align:right}th{background:#f3f3f3}td:first-child{text-align:left}
.col{border-top:2px solid #888;margin-top:1.5em;padding-top:.5em}.warn{color:#b00}
svg rect{fill:#4a78b5}
"""


def _esc(value: object) -> str:
    return html.escape(str(value))


def _histogram_svg(values: pd.Series, bins: int = 30) -> str:
    data = values.dropna().astype("float64").to_numpy()
    if data.size == 0:
        return ""
    counts, edges = np.histogram(data, bins=bins)
    peak = max(int(counts.max()), 1)
    width = BAR_W / len(counts)
    bars = "".join(
        f'<rect x="{i * width:.1f}" y="{BAR_H - c / peak * BAR_H:.1f}" '
        f'width="{max(width - 1, 1):.1f}" height="{c / peak * BAR_H:.1f}">'
        f"<title>[{edges[i]:.4g}, {edges[i + 1]:.4g}): {c}</title></rect>"
        for i, c in enumerate(counts)
    )
    return (
        f'<svg width="{BAR_W}" height="{BAR_H + 16}" role="img">{bars}'
        f'<text x="0" y="{BAR_H + 12}" font-size="10">{edges[0]:.4g}</text>'
        f'<text x="{BAR_W}" y="{BAR_H + 12}" font-size="10" text-anchor="end">'
        f"{edges[-1]:.4g}</text></svg>"
    )


def _bars_svg(counts: pd.Series) -> str:
    if counts.empty:
        return ""
    peak = max(int(counts.max()), 1)
    row_h = 16
    rows = "".join(
        f'<text x="0" y="{i * row_h + 12}" font-size="11">{_esc(label)}</text>'
        f'<rect x="120" y="{i * row_h + 2}" width="{count / peak * (BAR_W - 180):.1f}" '
        f'height="{row_h - 4}"></rect>'
        f'<text x="{124 + count / peak * (BAR_W - 180):.1f}" y="{i * row_h + 12}" '
        f'font-size="11">{count}</text>'
        for i, (label, count) in enumerate(counts.items())
    )
    return f'<svg width="{BAR_W}" height="{len(counts) * row_h + 4}" role="img">{rows}</svg>'


def column_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per column: dtype, missing count and share, distinct values."""
    return pd.DataFrame(
        {
            "dtype": frame.dtypes.astype(str),
            "missing": frame.isna().sum(),
            "missing_pct": (frame.isna().mean() * 100).round(2),
            "distinct": frame.nunique(dropna=True),
        }
    )


def _column_section(name: str, values: pd.Series) -> str:
    parts = [f'<div class="col"><h3>{_esc(name)}</h3>']
    missing = int(values.isna().sum())
    if missing:
        parts.append(f'<p class="warn">{missing} missing ({missing / len(values):.2%})</p>')
    if pd.api.types.is_datetime64_any_dtype(values):
        parts.append(f"<p>from {_esc(values.min())} to {_esc(values.max())}</p>")
        hours = values.dropna().dt.hour.value_counts().sort_index()
        parts.append("<p>hour of day</p>" + _bars_svg(hours))
    elif pd.api.types.is_numeric_dtype(values) and values.nunique() > 12:
        stats = values.describe(percentiles=[0.01, 0.5, 0.99])
        parts.append(
            "<table><tr>"
            + "".join(f"<th>{_esc(k)}</th>" for k in stats.index)
            + "</tr><tr>"
            + "".join(f"<td>{v:.4g}</td>" for v in stats.to_numpy())
            + "</tr></table>"
        )
        parts.append(_histogram_svg(values))
    else:
        top = values.astype(str).where(values.notna(), "(missing)").value_counts().head(15)
        parts.append(_bars_svg(top))
    parts.append("</div>")
    return "".join(parts)


def render_report(table: str, frame: pd.DataFrame) -> str:
    """The HTML page of one table."""
    summary = column_summary(frame)
    label_rows = []
    for label in LABELS:
        if label in frame.columns:
            share = frame[label].mean()
            label_rows.append(
                f"<tr><td>{label}</td><td>{int(frame[label].sum())}</td>"
                f"<td>{len(frame) - int(frame[label].sum())}</td><td>{share:.2%}</td></tr>"
            )
    labels = (
        "<h2>Label balance</h2><table><tr><th>label</th><th>positive</th><th>negative</th>"
        "<th>positive rate</th></tr>" + "".join(label_rows) + "</table>"
        if label_rows
        else ""
    )
    columns = "".join(
        f"<tr><td>{_esc(c)}</td><td>{_esc(r['dtype'])}</td><td>{r['missing']}</td>"
        f"<td>{r['missing_pct']}</td><td>{r['distinct']}</td></tr>"
        for c, r in summary.iterrows()
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Profile: {_esc(table)}"
        f"</title><style>{STYLE}</style></head><body><h1>Data profile: {_esc(table)}</h1>"
        f"<p>{len(frame)} rows, {frame.shape[1]} columns, "
        f"{int(frame.duplicated().sum())} duplicate rows</p>{labels}"
        "<h2>Columns</h2><table><tr><th>column</th><th>dtype</th><th>missing</th>"
        f"<th>missing %</th><th>distinct</th></tr>{columns}</table>"
        + "".join(_column_section(c, frame[c]) for c in frame.columns)
        + "</body></html>"
    )


def write_reports(
    settings: FeatureStoreSettings, output: Path | None = None, include_features: bool = True
) -> dict[str, Path]:
    """Profile every raw table (and every feature table that exists); returns the pages."""
    progress = Progress("data profile")
    output = output or settings.data_dir / "reports"
    output.mkdir(parents=True, exist_ok=True)
    tables: dict[str, pd.DataFrame] = {name: read_raw(settings, name) for name in RAW_TABLES}
    if include_features:
        for name in FEATURE_TABLES:
            try:
                tables[name] = read_feature_table(settings, name)
            except (FileNotFoundError, ValueError):
                continue  # not built yet: raw tables only
    pages = {}
    for name, frame in tables.items():
        path = output / f"{name}.html"
        path.write_text(render_report(name, frame), encoding="utf-8")
        pages[name] = path
    progress.finish(f"{len(pages)} report(s) in {output}")
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--raw-only", action="store_true", help="skip the feature tables")
    args = parser.parse_args(argv)
    pages = write_reports(FeatureStoreSettings(), args.output, not args.raw_only)
    print("profile: " + " ".join(f"{k}={v}" for k, v in pages.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The profiling report is reproducible and shows what it claims (rows, missing, labels)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from feature_store_management.data_generation.generator import generate
from feature_store_management.data_generation.raw_store import load_raw
from feature_store_management.profiling.data_profile import (
    column_summary,
    render_report,
    write_reports,
)
from feature_store_management.tests.support import AS_OF, SettingsFactory


def test_reports_per_raw_table_with_label_balance(make_settings: SettingsFactory) -> None:
    settings = make_settings()
    data = generate(80, 600, AS_OF, 20, seed=4)
    for name, frame in data.items():
        load_raw(settings, name, frame)
    pages = write_reports(settings)
    assert set(pages) == {"transactions", "customers"}  # no feature tables built yet
    page = pages["transactions"].read_text()
    fraud = int(data["transactions"]["is_fraud"].sum())
    assert "<h1>Data profile: transactions</h1>" in page
    assert "600 rows, 8 columns, 0 duplicate rows" in page
    assert "<tr><td>amount</td><td>float64</td><td>0</td><td>0.0</td>" in page
    assert "<tr><td>event_timestamp</td><td>datetime64[us, UTC]</td>" in page
    assert f"<tr><td>is_fraud</td><td>{fraud}</td><td>{600 - fraud}</td>" in page
    assert page.count("<svg") >= 8  # a plot per column
    churned = int(data["customers"]["churned"].sum())
    assert f"<tr><td>churned</td><td>{churned}</td>" in pages["customers"].read_text()
    assert write_reports(settings)["transactions"].read_text() == page  # same data, same page


def test_missing_values_are_counted_and_flagged() -> None:
    frame = pd.DataFrame(
        {"amount": [1.0, np.nan, 3.0, np.nan] * 5, "plan": ["basic", None, "premium", "basic"] * 5}
    )
    summary = column_summary(frame)
    assert summary.loc["amount", "missing"] == 10 and summary.loc["amount", "missing_pct"] == 50
    assert summary.loc["plan", "missing"] == 5 and summary.loc["plan", "distinct"] == 2
    page = render_report("t", frame)
    assert '<p class="warn">10 missing (50.00%)</p>' in page
    assert "(missing)" in page

"""The printed table puts the rows each side returned next to its time (issue 16)."""

import argparse

from feature_store_management.benchmarks.report import render


def test_rows_returned_are_printed_next_to_each_offline_timing() -> None:
    online = {"p50_ms": 0.5, "p99_ms": 2.0, "rows_per_call": 1.0, "found_per_call": 1.0}
    comparison = {
        "reader": "sqlite",
        "sdk": {"p50_ms": 0.5, "p99_ms": 9.0},
        "service_reader": {"p50_ms": 0.05, "p99_ms": 1.0},
        "speedup_p50": 10.0,
        "values_checked": 190,
        "mismatch_count": 0,
        "met": True,
    }
    result = {
        "profile": "embedded",
        "online_1": online,
        "online_100": online | {"rows_per_call": 100.0, "found_per_call": 97.0},
        "reader_vs_sdk": comparison,
        "offline": {
            "feast_to_df": {"median_s": 7.9, "rows_in": 100000, "rows_out": 59045},
            "training_frame": {"median_s": 11.6, "rows_in": 100000, "rows_out": 100000},
        },
    }
    args = argparse.Namespace(users=10, transactions=100, entity_rows=100000)
    lines = render([result], args).splitlines()
    offline = next(line for line in lines if line.startswith("embedded   file"))
    assert offline.split() == ["embedded", "file", "100000", "7.9", "59045", "11.6", "100000"]
    reader = next(line for line in lines if "sqlite" in line and "MET" in line)
    assert "10.0x" in reader and "190" in reader

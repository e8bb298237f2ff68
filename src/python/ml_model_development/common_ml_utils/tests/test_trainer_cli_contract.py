"""The ``trainer`` CLI keeps the CLI contract (mlops_common.cli_contract)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ml_model_development import cli


def test_version_is_one_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    assert json.loads(capsys.readouterr().out)["prog"] == "trainer"


def test_bad_arguments_exit_2_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["train", "no-such-model"]) == 2
    captured = capsys.readouterr()
    assert "invalid choice" in captured.err and "Traceback" not in captured.err
    assert json.loads(captured.out)["error"]["code"] == "usage"


def test_scoring_without_a_champion_is_one_line_and_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MLOPS_HOME", str(tmp_path))  # a fresh, empty registry
    argv = ["predict-batch", "fraud", "--entities", str(tmp_path / "e.parquet")]
    assert cli.main([*argv, "--output", str(tmp_path / "o.parquet")]) == 1
    captured = capsys.readouterr()
    assert "trainer: error:" in captured.err and "Traceback" not in captured.err
    assert "train and promote first" in json.loads(captured.out)["error"]["reason"]

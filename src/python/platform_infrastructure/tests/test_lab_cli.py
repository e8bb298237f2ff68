"""``python -m platform_infrastructure.lab.cli`` keeps the CLI contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from platform_infrastructure.lab.cli import main


def test_version_is_one_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert json.loads(capsys.readouterr().out)["prog"] == "lab"


def test_bad_arguments_exit_2_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["up"]) == 2
    captured = capsys.readouterr()
    assert "invalid choice" in captured.err and "Traceback" not in captured.err
    assert json.loads(captured.out)["error"]["code"] == "usage"


def test_down_of_an_empty_lab_prints_one_json_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MLOPS_LAB_ROOT", str(tmp_path / "lab"))
    assert main(["down"]) == 0
    assert json.loads(capsys.readouterr().out) == {"stopped": []}

from pathlib import Path

import pytest

from mlops_common.pex_runner import (
    PexTaskError,
    locate_pex,
    run_pex,
    run_pex_json,
)

PEX_DIR = Path("src.python.mlops_orchestration_pipelines.tests.fixtures")


def test_runs_pex_and_streams_lines(tmp_path: Path) -> None:
    pex = locate_pex(PEX_DIR, "step-program")
    seen: list[str] = []
    lines = run_pex(pex, [], env={"MLOPS_HOME": str(tmp_path)}, log=seen.append)
    assert lines == ["[step] 1/3", "[step] 2/3", "[step] 3/3"]
    assert seen[0].startswith("running:") and (tmp_path / "pex_root").is_dir()


def test_failure_carries_output_tail(tmp_path: Path) -> None:
    pex = locate_pex(PEX_DIR, "step-program")
    with pytest.raises(PexTaskError, match=r"exited with 3(.|\n)*bad input"):
        run_pex(pex, ["--fail"], env={"MLOPS_HOME": str(tmp_path)}, log=lambda _: None)


def test_missing_pex_says_how_to_build(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="./pants package"):
        locate_pex(tmp_path, "trainer")


def test_extra_ok_codes_are_returned(tmp_path: Path) -> None:
    from mlops_common.pex_runner import run_pex_status

    pex = locate_pex(PEX_DIR, "step-program")
    code, lines = run_pex_status(
        pex, ["--fail"], ok_codes=(0, 3), env={"MLOPS_HOME": str(tmp_path)}, log=lambda _: None
    )
    assert code == 3 and "[step] 3/3" in lines


def test_json_result_is_read_from_stdout_and_progress_streams(tmp_path: Path) -> None:
    pex = locate_pex(PEX_DIR, "step-program")
    seen: list[str] = []
    code, result = run_pex_json(pex, ["--json"], env={"MLOPS_HOME": str(tmp_path)}, log=seen.append)
    assert code == 0 and result == {"rows": 3, "output": "/tmp/out.parquet"}
    assert "[step] 3/3" in seen  # stderr went to the task log


def test_output_that_is_not_one_json_object_breaks_the_contract(tmp_path: Path) -> None:
    pex = locate_pex(PEX_DIR, "step-program")
    with pytest.raises(PexTaskError, match="broke the CLI contract"):
        run_pex_json(pex, [], env={"MLOPS_HOME": str(tmp_path)}, log=lambda _: None)


def test_json_run_failure_carries_the_stderr_tail(tmp_path: Path) -> None:
    pex = locate_pex(PEX_DIR, "step-program")
    with pytest.raises(PexTaskError, match=r"exited with 3(.|\n)*bad input"):
        run_pex_json(pex, ["--json", "--fail"], env={"MLOPS_HOME": str(tmp_path)}, log=print)

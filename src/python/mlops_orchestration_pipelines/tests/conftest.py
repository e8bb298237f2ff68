"""Airflow writes to ~/airflow unless told otherwise: give every test session its own home."""

import os
import tempfile
from pathlib import Path

_home = tempfile.mkdtemp(prefix="airflow-home-")
os.environ["AIRFLOW_HOME"] = _home
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_home}/airflow.db"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"
# dag.test() serializes DAGs from the configured bundle (the dags folder) before running.
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(Path(__file__).resolve().parents[1] / "dags")

from airflow.utils import db  # noqa: E402  (must come after AIRFLOW_HOME is set)

db.initdb()

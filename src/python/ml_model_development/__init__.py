"""ml-model-development: trainers, evaluation, MLflow tracking/registry and ONNX export.

OpenMP threads (XGBoost, LightGBM, scikit-learn) busy-wait by default; where cores are shared
with other work (an Airflow worker, the quickstart's services, CI) that made a 2-thread fit
several times slower than a 1-thread one here. libgomp reads ``OMP_WAIT_POLICY`` once, when
the first OpenMP library loads, so the package sets it before any submodule imports one; an
explicit value in the environment wins.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

"""Benchmarks (not tests) of the trainers and scoring engines; see ``training_benchmark``.

OpenMP threads (XGBoost, LightGBM, scikit-learn) busy-wait by default; on a machine whose
cores are shared with other work that makes a 2-thread fit several times slower than a
1-thread one. libgomp reads ``OMP_WAIT_POLICY`` once, when the first OpenMP library loads,
so it is set here, before the benchmark imports any of them (an explicit value wins). It
applies equally to the platform trainer and to the bare-library baselines.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

"""Benchmarks (not tests) of the trainers and scoring engines; see ``training_benchmark``.

``OMP_WAIT_POLICY`` is set to ``PASSIVE`` by the ``ml_model_development`` package before any
OpenMP library loads; it applies equally to the platform trainer and to the bare-library
baselines.
"""

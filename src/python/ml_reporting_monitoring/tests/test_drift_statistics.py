import numpy as np
import pandas as pd

from ml_reporting_monitoring.drift.statistics import frame_drift, numeric_drift


def _frame(
    rng: np.random.Generator, n: int, amount_shift: float = 0.0, foreign: float = 0.05
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "amount": rng.lognormal(3.0 + amount_shift, 1.0, n),
            "hour": rng.integers(0, 24, n),
            "country": np.where(rng.random(n) < foreign, "FR", "US"),
        }
    )


def test_shifted_features_are_flagged_and_others_not() -> None:
    rng = np.random.default_rng(0)
    reference = _frame(rng, 20_000)
    shifted = _frame(rng, 5_000, amount_shift=0.7, foreign=0.3)
    flagged = {r.feature for r in frame_drift(reference, shifted) if r.drifted()}
    assert flagged == {"amount", "country"}


def test_same_distribution_raises_nothing() -> None:
    rng = np.random.default_rng(1)
    results = frame_drift(_frame(rng, 20_000), _frame(rng, 5_000))
    assert [r.feature for r in results if r.drifted()] == []
    assert all(r.psi < 0.02 for r in results)


def test_psi_is_finite_when_a_bin_empties() -> None:
    ref = pd.Series(np.arange(1000, dtype=float))
    cur = pd.Series(np.full(200, 5.0))
    result = numeric_drift("x", ref, cur)
    assert np.isfinite(result.psi) and result.psi > 1.0

"""Synthetic fraud-scoring data shaped like the FRAUD contract, with controllable shifts.

Used to check that drift detection flags exactly the features that were shifted, and to feed
the synthetic metrics exporter with a real drift computation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COUNTRIES = np.array(["US", "GB", "DE", "FR", "BR"])
CATEGORIES = np.array(["grocery", "travel", "electronics", "fuel", "restaurants"])


def fraud_frame(
    n: int,
    *,
    seed: int,
    shift: dict[str, float] | None = None,
    start: str = "2026-01-01",
    days: int = 28,
    concept_decay: float = 0.0,
) -> pd.DataFrame:
    """Rows of FRAUD features + ``score``, ``is_fraud`` and ``event_timestamp``.

    ``shift`` moves named features (``amount``: log-mean shift, ``country``: share of
    foreign merchants, ``txn_count_24h``: Poisson rate multiplier). ``concept_decay`` mixes
    labels towards noise as time passes, so the model's AUC decays over the windows.
    """
    shift = shift or {}
    rng = np.random.default_rng(seed)
    country_p = np.array([0.7, 0.1, 0.1, 0.05, 0.05])
    if "country" in shift:
        country_p = np.array([0.7 - shift["country"], 0.1, 0.1, 0.05, 0.05 + shift["country"]])
    frame = pd.DataFrame(
        {
            "amount": rng.lognormal(3.5 + shift.get("amount", 0.0), 1.0, n),
            "merchant_category": rng.choice(CATEGORIES, n),
            "country": rng.choice(COUNTRIES, n, p=country_p),
            "hour_of_day": rng.integers(0, 24, n),
            "txn_count_24h": rng.poisson(3.0 * (1 + shift.get("txn_count_24h", 0.0)), n),
            "account_age_days": rng.integers(1, 3000, n),
            "age": rng.integers(18, 90, n),
        }
    )
    offsets = np.sort(rng.uniform(0, days * 86400, n))
    frame["event_timestamp"] = pd.Timestamp(start, tz="UTC") + pd.to_timedelta(offsets, "s")
    logit = (
        -3.0
        + 0.6 * (np.log(frame["amount"]) - 3.5)
        + 0.25 * frame["txn_count_24h"]
        + 1.0 * (frame["country"] != "US")
        - 0.0005 * frame["account_age_days"]
    )
    frame["score"] = 1 / (1 + np.exp(-logit))
    true_p = frame["score"].to_numpy()
    if concept_decay:
        weight = np.clip(concept_decay * offsets / (days * 86400), 0, 1)
        true_p = (1 - weight) * true_p + weight * rng.permutation(true_p)
    frame["is_fraud"] = (rng.random(n) < true_p).astype(int)
    return frame

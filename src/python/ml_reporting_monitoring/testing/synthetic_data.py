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


# Shifts ``planted_frame`` can plant, each in its own column (the others stay as they were).
PLANTED_SHIFTS = {
    "is_foreign": "binary: share of 1s rises six-fold, 1% -> 6% (PSI 0.09: PSI alone is blind)",
    "card_present": "constant in both windows, another value: 0 -> 1",
    "device_risk": "missing share rises 1% -> 60% (upstream break); values unchanged",
    "amount": "lognormal(3.5, 1) amount scaled by 1.5 (PSI on quantile bins ~0.16)",
    "merchant_category": "categorical: electronics 10% -> 35% of transactions",
}


def planted_frame(n: int, *, seed: int, shifts: frozenset[str] = frozenset()) -> pd.DataFrame:
    """Feature types the drift check must tell apart, with the ``PLANTED_SHIFTS`` named in
    ``shifts`` applied; columns not named keep the same distribution for any ``seed``.

    Vectorised (no Python loop per row), so 1M rows take well under a second to draw.
    """
    unknown = set(shifts) - set(PLANTED_SHIFTS)
    if unknown:
        raise ValueError(f"unknown shifts {sorted(unknown)}; choose from {sorted(PLANTED_SHIFTS)}")
    rng = np.random.default_rng(seed)
    # object arrays: indexing them is a gather of pointers, not 1M new strings
    categories = CATEGORIES.astype(object)
    category_p = [0.35, 0.15, 0.10, 0.20, 0.20]
    if "merchant_category" in shifts:
        category_p = [0.20, 0.10, 0.35, 0.15, 0.20]
    device_risk = rng.beta(2.0, 5.0, n)
    missing_share = 0.60 if "device_risk" in shifts else 0.01
    device_risk[rng.random(n) < missing_share] = np.nan
    balance = rng.lognormal(7.0, 2.0, n)  # very heavy tail, 5% missing in both windows
    balance[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame(
        {
            "amount": rng.lognormal(3.5, 1.0, n) * (1.5 if "amount" in shifts else 1.0),
            "is_foreign": (rng.random(n) < (0.06 if "is_foreign" in shifts else 0.01)).astype(int),
            "card_present": np.full(n, 1 if "card_present" in shifts else 0),
            "device_risk": device_risk,
            "merchant_category": categories[rng.choice(5, n, p=category_p)],
            "country": COUNTRIES.astype(object)[rng.choice(5, n, p=[0.7, 0.1, 0.1, 0.05, 0.05])],
            "night_flag": (rng.random(n) < 0.05).astype(int),
            "hour_of_day": rng.integers(0, 24, n),
            "txn_count_24h": rng.poisson(3.0, n),
            "account_age_days": rng.integers(1, 3000, n),
            "age": rng.integers(18, 90, n),
            "balance": balance,
        }
    )

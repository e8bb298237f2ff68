"""The fraud model's request-time features: the one definition every consumer runs.

* ``amount_to_avg_7d_ratio`` = amount / ``txn_amount_avg_7d`` when that average is > 0, else
  1.0 (no payment in the last 7 days, or the average is missing);
* ``is_foreign`` = 1 when the card holder's ``home_country`` is known (not missing, not
  "unknown") and differs from the merchant ``country``, else 0.

:func:`fraud_request_features` is the vectorised form Feast's on-demand feature view runs
(the real repo and the trainers' test repo register this very function, so the models the
serving tests load were trained on what production computes); :func:`on_demand_row` is the
per-request form the API runs without pandas. A test checks the two agree row by row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


def fraud_request_features(inputs):  # type: ignore[no-untyped-def]
    """Vectorised on-demand features: ``inputs`` is a pandas frame, so is the result."""
    # Imported inside: Feast ships the function by value (dill), and the serving resolve has
    # no pandas (it runs on_demand_row).
    import pandas as pd  # pants: no-infer-dep

    avg = inputs["txn_amount_avg_7d"].astype("float64")
    amount = inputs["amount"].astype("float64")
    ratio = (amount / avg).where(avg > 0, 1.0).fillna(1.0)
    home = inputs["home_country"].fillna("unknown").astype(str)
    country = inputs["country"].fillna("unknown").astype(str)
    foreign = ((home != "unknown") & (country != home)).astype("int64")
    return pd.DataFrame({"amount_to_avg_7d_ratio": ratio, "is_foreign": foreign})


def on_demand_row(request: Mapping[str, Any], stored: Mapping[str, Any]) -> dict[str, Any]:
    """The same features for one request; ``stored`` may hold ``None`` for missing values."""
    avg = stored.get("txn_amount_avg_7d")
    amount = float(request["amount"])
    if avg is None or (isinstance(avg, float) and math.isnan(avg)) or not avg > 0:
        ratio = 1.0
    else:
        ratio = amount / float(avg)
    home = stored.get("home_country")
    home = "unknown" if home is None else str(home)
    country = str(request.get("country") or "unknown")
    return {
        "amount_to_avg_7d_ratio": ratio,
        "is_foreign": int(home != "unknown" and country != home),
    }

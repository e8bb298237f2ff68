"""The bare-library baselines the platform's training time is compared with.

``xgboost.train`` / ``lightgbm.train`` with the trainer's hyperparameters on the trainer's
encoded matrix: the platform's overhead is everything its ``run()`` adds around that.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def bare_train(kind: str, hp: dict[str, Any], seed: int, x: np.ndarray, y: np.ndarray) -> Any:
    """``xgboost.train`` / ``lightgbm.train`` with the trainer's hyperparameters.

    Timed by the caller: building the library's matrix (DMatrix / Dataset) plus training.
    Returns the library's Booster (Any: each library is imported only when its model runs).
    """
    hp = dict(hp)
    rounds = hp.pop("n_estimators")
    if kind == "fraud":
        import xgboost as xgb

        params = {
            "objective": "binary:logistic",
            "eval_metric": "aucpr",
            "tree_method": "hist",
            "max_depth": hp["max_depth"],
            "eta": hp["learning_rate"],
            "subsample": hp["subsample"],
            "colsample_bytree": hp["colsample_bytree"],
            "min_child_weight": hp["min_child_weight"],
            "lambda": hp["reg_lambda"],
            "nthread": hp["n_jobs"],
            "seed": seed,
        }
        return xgb.train(params, xgb.DMatrix(x, label=y, nthread=hp["n_jobs"]), rounds)
    import lightgbm as lgb

    # LightGBM accepts the sklearn names as aliases (num_leaves, min_child_samples, ...).
    params = {**hp, "objective": "binary", "verbose": -1, "seed": seed}
    return lgb.train(params, lgb.Dataset(x, label=y), num_boost_round=rounds)


def bare_predict(kind: str, booster: Any, x: np.ndarray) -> np.ndarray:
    if kind == "fraud":
        import xgboost as xgb

        return booster.predict(xgb.DMatrix(x))
    return booster.predict(x)

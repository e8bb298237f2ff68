from pathlib import Path

import pytest

from ml_model_development.common_ml_utils.settings import ConfigError, load_settings
from ml_model_development.models.customer_churn_lightgbm.config import ChurnTrainingSettings
from ml_model_development.models.fraud_detection_xgboost.config import FraudTrainingSettings


def test_nested_hyperparameters_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINING_HYPERPARAMETERS__N_ESTIMATORS", "200")
    monkeypatch.setenv("TRAINING_HYPERPARAMETERS__MAX_DEPTH", "3")
    monkeypatch.setenv("TRAINING_PROMOTION_MARGIN", "0.02")
    settings = load_settings(FraudTrainingSettings)
    assert settings.hyperparameters.n_estimators == 200
    assert settings.hyperparameters.max_depth == 3
    assert settings.hyperparameters.learning_rate == 0.1  # default kept
    assert settings.promotion_margin == 0.02


def test_dotenv_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # pydantic-settings reads .env from the working directory
    (tmp_path / ".env").write_text(
        "TRAINING_HYPERPARAMETERS__NUM_LEAVES=63\nTRAINING_TEST_SIZE=0.3\n"
    )
    settings = load_settings(ChurnTrainingSettings)
    assert settings.hyperparameters.num_leaves == 63
    assert settings.test_size == 0.3


def test_invalid_value_fails_fast_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINING_HYPERPARAMETERS__N_ESTIMATORS", "-5")
    monkeypatch.setenv("TRAINING_TEST_SIZE", "lots")
    with pytest.raises(ConfigError) as err:
        load_settings(FraudTrainingSettings)
    message = str(err.value)
    assert "TRAINING_HYPERPARAMETERS__N_ESTIMATORS" in message and "-5" in message
    assert "TRAINING_TEST_SIZE" in message


def test_misspelt_hyperparameter_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINING_HYPERPARAMETERS__N_ESTIMATOR", "10")
    with pytest.raises(ConfigError, match="N_ESTIMATOR"):
        load_settings(FraudTrainingSettings)

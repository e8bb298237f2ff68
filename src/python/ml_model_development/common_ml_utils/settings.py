"""Training settings every model project extends (the seed's ``config.py`` with BaseSettings).

All trainers read ``TRAINING_*`` variables (and ``.env``) as the seed design shows; nested
hyperparameters use ``__`` (``TRAINING_HYPERPARAMETERS__N_ESTIMATORS=200``). A model project
subclasses :class:`TrainingSettings` and narrows ``hyperparameters`` to its own model, whose
``extra="forbid"`` turns a mistyped hyperparameter into an error instead of a silent default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import SettingsConfigDict

from mlops_common.settings import MlopsBaseSettings, PlatformSettings


class ConfigError(ValueError):
    """Settings could not be built; the message names each bad variable and what to change."""


# How a run picks the rows it is evaluated on (see ``common_ml_utils/holdout.py``).
HoldoutStrategy = Literal["out_of_time", "entity", "random"]


class Hyperparameters(BaseModel):
    """Base for per-model hyperparameters: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class TrainingSettings(MlopsBaseSettings):
    """Settings shared by every trainer; env prefix ``TRAINING_``."""

    model_config = SettingsConfigDict(env_prefix="TRAINING_")

    feature_repo_path: Path | None = Field(
        default=None,
        description="Feast repo with the model's feature service; default $MLOPS_HOME/feature_repo.",
    )
    labels_path: Path | None = Field(
        default=None,
        description=(
            "Parquet entity/label table (join key, event_timestamp, label, request features);"
            " default $MLOPS_HOME/labels/<use_case>_labels.parquet."
        ),
    )
    experiment_name: str | None = Field(
        default=None, description="MLflow experiment; default the registered model name."
    )
    holdout_strategy: HoldoutStrategy = Field(
        default="out_of_time",
        description=(
            "out_of_time: hold out the last holdout_days of the data (rows after the run's"
            " data_cutoff), as production scores the future; entity: hold out every row of a"
            " fixed, hash-chosen share of entities (holdout_entity_share) that no run ever"
            " trains on, for labels that are one snapshot per entity; random: stratified"
            " test_size split of today's rows, OPTIMISTIC (neighbours in time and the same"
            " entity land on both sides) and kept only as an option."
        ),
    )
    holdout_days: float = Field(
        default=7.0,
        gt=0.0,
        description=(
            "out_of_time: length of the most recent period held out, in days. A week covers"
            " the weekly cycle and is ~12-23% of the 30-60 days the data generator writes."
        ),
    )
    holdout_entity_share: float = Field(
        default=0.2,
        gt=0.0,
        lt=1.0,
        description="entity: share of entities (by sha256 of the join key) never trained on.",
    )
    test_size: float = Field(
        default=0.25, gt=0.0, lt=0.9, description="random strategy only: holdout share."
    )
    random_seed: int = Field(default=42, ge=0)
    decision_threshold: float = Field(default=0.5, gt=0.0, lt=1.0)
    promotion_metric: Literal["roc_auc", "pr_auc"] = "roc_auc"
    promotion_margin: float = Field(
        default=0.001, ge=0.0, description="Challenger must beat the champion by this much."
    )
    promotion_policy: Literal["offline", "shadow"] = Field(
        default="offline",
        description=(
            "offline: a challenger that wins on the holdout becomes champion at once. shadow:"
            " it stays 'challenger', the services score it in shadow, and `trainer"
            " promote-challenger` promotes it once the shadow log holds the evidence below"
            " (common_ml_utils/shadow_evidence.py)."
        ),
    )
    shadow_min_requests: int = Field(
        default=1000, ge=1, description="shadowed requests (both models scored) needed"
    )
    shadow_min_agreement: float = Field(
        default=0.95, ge=0.0, le=1.0, description="share of requests with the same label"
    )
    shadow_min_labelled: int = Field(
        default=200, ge=1, description="shadowed requests whose outcome label is known"
    )
    shadow_max_metric_drop: float = Field(
        default=0.0,
        ge=0.0,
        description=(
            "challenger's promotion_metric on the labelled shadow rows may be at most this"
            " much below the champion's (0: no worse)"
        ),
    )
    shadow_lookback_days: int = Field(
        default=30, ge=1, description="days of shadow log read when the version has no start tag"
    )
    parity_tolerance: float = Field(default=1e-5, gt=0.0, le=1e-3)
    parity_sample_rows: int = Field(
        default=20_000,
        ge=0,
        description="holdout rows the parity gate scores (plus as many perturbed); 0 = all",
    )
    register_model: bool = Field(default=True, description="register the version (else log only)")
    batch_engine: Literal["auto", "native", "onnx"] = "auto"
    batch_runtime: Literal["auto", "single", "spark"] = Field(
        default="auto",
        description=(
            "where predict-batch scores: single (this process), spark (mapInPandas on"
            " spark_master; needs the batch-scoring-spark PEX) or auto (spark from"
            " spark_min_rows rows on, when pyspark is importable)"
        ),
    )
    spark_master: str = Field(
        default="local[2]",
        description="Spark master for batch scoring: local[N] here, spark://host:7077 on servers",
    )
    spark_min_rows: int = Field(
        default=20_000_000,
        ge=1,
        description=(
            "auto runtime: batches of at least this many rows go to Spark. On 2 shared cores"
            " local[2] never beat one process (ml_model_development README, batch benchmark);"
            " lower it where spark_master has more cores than one machine."
        ),
    )
    hyperparameters: Hyperparameters = Field(default_factory=Hyperparameters)

    def resolve_feature_repo(self, platform: PlatformSettings) -> Path:
        return self.feature_repo_path or platform.home / "feature_repo"

    def resolve_labels_path(self, platform: PlatformSettings, use_case: str) -> Path:
        return self.labels_path or platform.home / "labels" / f"{use_case}_labels.parquet"


S = TypeVar("S", bound=TrainingSettings)


def load_settings(cls: type[S], **overrides: Any) -> S:
    """Build settings from env/.env, turning pydantic's error into one readable message.

    ``overrides`` are field values of different types that pydantic validates: Any, not object.
    """
    try:
        return cls(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = [str(part) for part in err["loc"]]
            env = "TRAINING_" + "__".join(part.upper() for part in loc)
            lines.append(f"  {env}: {err['msg']} (got {err.get('input')!r})")
        raise ConfigError(
            f"invalid training configuration for {cls.__name__}:\n"
            + "\n".join(lines)
            + "\nFix the variables above (environment or .env) and run again."
        ) from None

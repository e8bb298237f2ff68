"""Thresholds and output locations for drift, bias and reports (env prefix ``MONITORING_``).

Thresholds live in configuration rather than in code because what counts as "drifted" is a
business decision that changes per model; ``MONITORING_DRIFT__PSI_THRESHOLD=0.25`` overrides
one without a release.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict

from mlops_common.settings import MlopsBaseSettings


class DriftThresholds(BaseModel):
    """A feature drifts when one of its effect sizes reaches its threshold **and** the test's
    p-value is below ``p_value_threshold``: an effect size alone is noisy on small windows, a
    p-value alone flags trivial shifts on large ones. Which effect sizes apply depends on the
    feature type (``drift.distribution``); the numbers behind the defaults are in
    ``drift/statistics.py`` and the README."""

    psi_threshold: float = Field(0.2, description="PSI at or above which a feature drifts")
    psi_warning: float = Field(0.1, description="PSI at or above which a feature is 'watch'")
    wasserstein_threshold: float = Field(
        0.1, description="normalised Wasserstein distance (continuous numerics) that drifts"
    )
    wasserstein_warning: float = Field(0.05, description="normalised Wasserstein for 'watch'")
    share_shift_threshold: float = Field(
        0.2, description="Cohen's h of one value's share (categories, discrete numerics)"
    )
    share_shift_warning: float = Field(0.1, description="Cohen's h of a share for 'watch'")
    missing_share_threshold: float = Field(
        0.2, description="Cohen's h of the missing-value share (0.2 = 0% -> 1%, 10% -> 17%)"
    )
    missing_share_warning: float = Field(0.1, description="Cohen's h of the missing share")
    p_value_threshold: float = Field(
        0.001, description="KS / chi-square / z-test p-value below which a change is real"
    )
    bins: int = Field(10, ge=2, description="quantile bins taken from the reference window")
    max_discrete_values: int = Field(
        25, ge=1, description="numeric columns with at most this many distinct reference "
        "values (flags, counts, hours) are compared as categories",
    )  # fmt: skip
    min_values: int = Field(
        30, ge=1, description="fewer non-null values in a window: distribution not compared"
    )
    prediction_psi_threshold: float = Field(0.2, description="PSI on the score distribution")
    concept_metric: str = Field("roc_auc", description="roc_auc, precision, recall or f1")
    concept_relative_decay: float = Field(
        0.05, description="relative drop of the metric vs the baseline that counts as decay"
    )
    concept_window: str = Field("7D", description="pandas offset alias for time windows")
    min_window_rows: int = Field(50, description="windows with fewer labelled rows are skipped")


class BiasThresholds(BaseModel):
    """Four-fifths rule by default: a segment's rate below 0.8x or above 1.25x the reference."""

    min_ratio: float = 0.8
    max_ratio: float = 1.25
    min_segment_rows: int = 30


class MonitoringSettings(MlopsBaseSettings):
    model_config = SettingsConfigDict(env_prefix="MONITORING_")

    drift: DriftThresholds = DriftThresholds()
    bias: BiasThresholds = BiasThresholds()
    output_dir: Path = Field(
        Path("var/mlops/reports"), description="where HTML/JSON reports are written"
    )
    pushgateway_url: str | None = Field(
        None, description="push drift gauges here (host:port) when set; else textfile only"
    )

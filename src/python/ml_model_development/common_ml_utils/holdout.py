"""Which rows a run is evaluated on, and which rows a registered model provably never saw.

A model is judged only on rows neither it nor its rival was fitted on. A random split of
today's frame breaks that as soon as the data grows: tomorrow's holdout is mostly rows that
earlier models trained on. So every run splits by a rule that stays true across runs and
records it (:class:`HoldoutRecord`) on its MLflow run and registered version:

* ``out_of_time`` (fraud default): the last ``holdout_days`` of the data are held out; the
  model trains only on rows at or before ``data_cutoff``, so any row after it is unseen.
* ``entity`` (churn default): entities whose ``sha256`` bucket falls below
  ``holdout_entity_share`` are held out in every run, so no model of any run ever trains on
  them; needed when labels are one snapshot per entity and a time cut cannot split them.
* ``random``: the old stratified ``test_size`` split, optimistic and kept only as an option;
  its holdout can be rebuilt only while the data is unchanged.

Promotion (``promotion_window.py``) intersects two records' :meth:`HoldoutRecord.unseen`.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, fields
from typing import Any, TypedDict

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from ml_model_development.common_ml_utils.settings import ConfigError, TrainingSettings
from mlops_common.contracts.features import ModelContract

TIMESTAMP = "event_timestamp"
DATA_CUTOFF_TAG = "data_cutoff"
ENTITY_RULE = "int(sha256(str({key}).encode()).hexdigest()[:8], 16) / 16**8 < {share}"
_BUCKETS = 16**8


class HoldoutError(ConfigError):
    """A holdout or training set would be empty or single-class; the message says what to set."""


def iso(moment: pd.Timestamp | None) -> str | None:
    """ISO-8601 in UTC (``2026-01-22T00:00:00+00:00``), the format of every time tag."""
    return None if moment is None else _iso_utc(moment)


def _iso_utc(moment: pd.Timestamp) -> str:
    return str(pd.Timestamp(moment).tz_convert("UTC").isoformat())


def _time(value: str | None) -> pd.Timestamp | None:
    return None if value in (None, "") else pd.Timestamp(value).tz_convert("UTC")


def entity_bucket(values: pd.Series) -> np.ndarray:
    """Stable ``[0, 1)`` bucket per entity: the same id lands in the same group on any run,
    machine or Python version (``hash()`` is salted per process; sha256 is not)."""

    def one(value: object) -> float:
        key = (
            str(int(value)) if isinstance(value, int | np.integer | float | np.floating) else value
        )
        return int(hashlib.sha256(str(key).encode()).hexdigest()[:8], 16) / _BUCKETS

    uniques = pd.unique(values)
    buckets = dict(zip(uniques, (one(v) for v in uniques), strict=True))
    return values.map(buckets).to_numpy(dtype=np.float64)


@dataclass(frozen=True)
class HoldoutRecord:
    """How one run split its data; stored as run params/tags and model-version tags.

    ``data_cutoff``: no training row is later than this (out_of_time: the split boundary).
    ``data_end``: the newest row the run loaded. ``holdout_start``/``holdout_end``: the
    time span of the run's own holdout. A version without ``data_cutoff`` is *legacy*.
    """

    holdout_strategy: str | None = None
    data_cutoff: pd.Timestamp | None = None
    data_end: pd.Timestamp | None = None
    holdout_start: pd.Timestamp | None = None
    holdout_end: pd.Timestamp | None = None
    holdout_days: float | None = None
    holdout_entity_key: str | None = None
    holdout_entity_share: float | None = None
    holdout_entity_rule: str | None = None
    holdout_test_size: float | None = None
    holdout_random_seed: int | None = None
    data_rows: int | None = None
    train_rows: int | None = None
    holdout_rows: int | None = None

    @property
    def legacy(self) -> bool:
        return self.data_cutoff is None

    def tags(self) -> dict[str, str]:
        """Non-empty fields as strings, times in ISO-8601 UTC (MLflow tags are strings)."""
        out: dict[str, str] = {}
        for key, value in asdict(self).items():
            if value is not None:
                out[key] = _iso_utc(value) if isinstance(value, pd.Timestamp) else str(value)
        return out

    @classmethod
    def from_tags(cls, tags: dict[str, str]) -> HoldoutRecord:
        """Read a version's tags back; absent tags stay ``None`` (legacy versions)."""
        kinds = {"float": float, "int": int, "str": str}
        # parsed per field type (Timestamp, float, int, str): Any, checked by the dataclass' use
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = tags.get(f.name)
            if raw in (None, ""):
                continue
            kind = str(f.type).split(" |")[0]
            values[f.name] = _time(raw) if kind == "pd.Timestamp" else kinds[kind](raw)
        return cls(**values)

    def describe(self) -> str:
        """One line for logs and reasons: the rows this model never saw."""
        if self.legacy:
            return "unknown (no data_cutoff tag)"
        if self.holdout_strategy == "entity":
            return f"{self.holdout_entity_key} in the entity holdout group ({self.rule()})"
        if self.holdout_strategy == "random":
            return f"its random holdout (test_size {self.holdout_test_size}) or rows after {iso(self.data_cutoff)}"
        return f"rows after {iso(self.data_cutoff)}"

    def rule(self) -> str:
        return ENTITY_RULE.format(key=self.holdout_entity_key, share=self.holdout_entity_share)

    def unseen(self, frame: pd.DataFrame, label: str) -> pd.Series | None:
        """Mask of ``frame`` rows this model was provably not fitted on; ``None`` if unknown.

        Entity models count only holdout-group rows: their labels are per entity, so a
        later row of an entity they trained on is not new to them.
        """
        if self.legacy:
            return None
        if self.holdout_strategy == "entity":
            share = float(self.holdout_entity_share or 0.0)
            key = frame[str(self.holdout_entity_key)]
            return pd.Series(entity_bucket(key) < share, index=frame.index)
        after = frame[TIMESTAMP] > self.data_cutoff
        if self.holdout_strategy == "random" and self.data_end is not None:
            seen_period = frame[frame[TIMESTAMP] <= self.data_end]
            if len(seen_period) == self.data_rows:  # same data: the split is reproducible
                _, held = train_test_split(
                    seen_period.index,
                    test_size=self.holdout_test_size,
                    random_state=self.holdout_random_seed,
                    stratify=seen_period[label],
                )
                after = after | frame.index.isin(held)
        return pd.Series(after, index=frame.index)


@dataclass
class Split:
    train: pd.DataFrame
    holdout: pd.DataFrame
    record: HoldoutRecord


def require_both_classes(rows: pd.DataFrame, label: str, what: str, fix: str) -> None:
    """Raise :class:`HoldoutError` if ``rows`` is empty or has one class (AUC undefined)."""
    classes = sorted(rows[label].astype(int).unique()) if len(rows) else []
    if len(classes) < 2:
        found = f"only {label}={classes[0]}" if classes else "no rows"
        raise HoldoutError(f"{what} has {len(rows)} rows ({found}); {fix}")


def _span(frame: pd.DataFrame) -> str:
    ts = frame[TIMESTAMP]
    days = (ts.max() - ts.min()) / pd.Timedelta(days=1)
    return f"the data spans {days:.1f} days ({iso(ts.min())} to {iso(ts.max())})"


class _StrategyFields(TypedDict, total=False):
    """The :class:`HoldoutRecord` fields only one strategy sets."""

    holdout_days: float
    holdout_entity_key: str
    holdout_entity_share: float
    holdout_entity_rule: str
    holdout_test_size: float
    holdout_random_seed: int


def split_frame(frame: pd.DataFrame, settings: TrainingSettings, contract: ModelContract) -> Split:
    """Split by ``settings.holdout_strategy``; deterministic, and stable across runs."""
    label, strategy = contract.label, settings.holdout_strategy
    ts = frame[TIMESTAMP]
    extra: _StrategyFields = {}
    if strategy == "out_of_time":
        cutoff = ts.max() - pd.Timedelta(days=settings.holdout_days)
        held = ts > cutoff
        extra["holdout_days"] = settings.holdout_days
        fix = (
            f"{_span(frame)}; set TRAINING_HOLDOUT_DAYS so that both sides hold both classes"
            " (or TRAINING_HOLDOUT_STRATEGY=entity)"
        )
    elif strategy == "entity":
        key, share = contract.entity_join_key, settings.holdout_entity_share
        held = pd.Series(entity_bucket(frame[key]) < share, index=frame.index)
        extra["holdout_entity_key"] = key
        extra["holdout_entity_share"] = share
        extra["holdout_entity_rule"] = ENTITY_RULE.format(key=key, share=share)
        users = frame.loc[held, key].nunique()
        fix = (
            f"{users} of {frame[key].nunique()} {key}s are in the holdout group; change"
            " TRAINING_HOLDOUT_ENTITY_SHARE (0-1) or generate more entities"
        )
    else:
        _, index = train_test_split(
            frame.index,
            test_size=settings.test_size,
            random_state=settings.random_seed,
            stratify=frame[label],
        )
        held = pd.Series(frame.index.isin(index), index=frame.index)
        extra["holdout_test_size"] = settings.test_size
        extra["holdout_random_seed"] = settings.random_seed
        fix = "change TRAINING_TEST_SIZE or use more data"
    train, holdout = frame[~held], frame[held]
    require_both_classes(train, label, f"{strategy} training set", fix)
    require_both_classes(holdout, label, f"{strategy} holdout", fix)
    record = HoldoutRecord(
        holdout_strategy=strategy,
        data_cutoff=cutoff if strategy == "out_of_time" else train[TIMESTAMP].max(),
        data_end=ts.max(),
        holdout_start=holdout[TIMESTAMP].min(),
        holdout_end=holdout[TIMESTAMP].max(),
        data_rows=len(frame),
        train_rows=len(train),
        holdout_rows=len(holdout),
        **extra,
    )
    return Split(train.reset_index(drop=True), holdout.reset_index(drop=True), record)

"""The rows a challenger and a champion are compared on: rows neither was fitted on.

Each registered version carries its :class:`~.holdout.HoldoutRecord` (version tags). The
promotion window is the intersection of both models' unseen rows in today's frame:

* both ``out_of_time``: rows strictly after ``max(challenger cutoff, champion cutoff)``;
* ``entity``: rows of entities in both models' holdout groups, narrowed to rows after both
  cutoffs when those alone still hold both classes (snapshot labels usually do not);
* mixed strategies: the same intersection (e.g. holdout-group rows after the other cutoff).

A *legacy* champion (registered before cutoffs were recorded) has unknown training rows: the
two are scored on the challenger's unseen rows, which the champion may have been fitted on.
That favours the champion, so a challenger that still wins is safe to promote; the window's
``honest`` flag is false and the reason says so and how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ml_model_development.common_ml_utils.holdout import (
    DATA_CUTOFF_TAG,
    TIMESTAMP,
    HoldoutRecord,
    iso,
)


@dataclass(frozen=True)
class PromotionWindow:
    """Rows to score and a description for logs, JSON and version tags."""

    rows: pd.DataFrame
    rule: str  # out_of_time | entity | entity+out_of_time | challenger_only
    description: str
    honest: bool  # False when the champion's training rows are unknown (legacy)
    label: str

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    @property
    def positives(self) -> int:
        return int(self.rows[self.label].astype(int).sum()) if len(self.rows) else 0

    @property
    def usable(self) -> bool:
        """Scoring needs both classes (ROC-AUC / PR-AUC are undefined otherwise)."""
        return 0 < self.positives < self.n_rows

    @property
    def start(self) -> str | None:
        return iso(self.rows[TIMESTAMP].min()) if len(self.rows) else None

    @property
    def end(self) -> str | None:
        return iso(self.rows[TIMESTAMP].max()) if len(self.rows) else None

    def summary(self) -> str:
        span = f", {self.start} .. {self.end}" if self.n_rows else ""
        return f"{self.description}: {self.n_rows} rows, {self.positives} positive{span}"


def _latest(*records: HoldoutRecord) -> pd.Timestamp | None:
    cutoffs = [r.data_cutoff for r in records if r.data_cutoff is not None]
    return max(cutoffs) if cutoffs else None


def choose_window(
    frame: pd.DataFrame,
    label: str,
    challenger: HoldoutRecord,
    champion: HoldoutRecord | None,
    champion_version: str | None = None,
) -> PromotionWindow:
    """The rows the challenger (and the champion, if any) never saw, described."""

    def window(mask: pd.Series, rule: str, description: str, honest: bool) -> PromotionWindow:
        return PromotionWindow(frame[mask], rule, description, honest, label)

    mine = challenger.unseen(frame, label)
    if mine is None:
        empty = pd.Series(False, index=frame.index)
        return window(empty, "none", "challenger has no data_cutoff tag: retrain it", False)
    if champion is None:
        return window(mine, challenger.holdout_strategy or "", challenger.describe(), True)
    theirs = champion.unseen(frame, label)
    if theirs is None:
        return window(
            mine,
            "challenger_only",
            f"challenger's unseen rows ({challenger.describe()}); champion v{champion_version}"
            f" has no {DATA_CUTOFF_TAG} tag, so it may have been fitted on some of them",
            False,
        )
    both = mine & theirs
    strategies = {challenger.holdout_strategy or "", champion.holdout_strategy or ""}
    latest = _latest(challenger, champion)
    parts = f"challenger: {challenger.describe()}; champion: {champion.describe()}"
    if strategies == {"out_of_time"}:
        return window(both, "out_of_time", f"rows after {iso(latest)} (both cutoffs)", True)
    if "entity" not in strategies:
        return window(both, "+".join(sorted(strategies)), f"rows neither saw ({parts})", True)
    narrowed = both & (frame[TIMESTAMP] > latest)
    if window(narrowed, "", "", True).usable:
        text = f"holdout-group rows after {iso(latest)} (both cutoffs; {parts})"
        return window(narrowed, "entity+out_of_time", text, True)
    text = f"rows neither trained on ({parts}); none usable after both cutoffs {iso(latest)}"
    return window(both, "entity", text, True)

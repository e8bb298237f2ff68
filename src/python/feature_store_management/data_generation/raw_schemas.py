"""The raw tables' contract, checked before anything is written.

A bad file (missing column, wrong type, duplicate key) must be rejected with a message that
names the column or row, before it can replace data that was already loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


class RawDataError(ValueError):
    """Raw input that does not match its table's contract; nothing was written."""


@dataclass(frozen=True)
class RawTable:
    name: str
    key: str
    columns: dict[str, str]  # column -> kind: int, float, string, timestamp

    def validate(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Return ``frame`` with canonical dtypes or raise :class:`RawDataError`."""
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise RawDataError(
                f"raw table '{self.name}' is missing column(s) {missing}; "
                f"expected columns {list(self.columns)}"
            )
        out = frame[list(self.columns)].copy()
        for column, kind in self.columns.items():
            out[column] = _coerce(self.name, column, kind, out[column])
        dupes = out[out[self.key].duplicated(keep=False)]
        if not dupes.empty:
            rows = dupes.index[:5].tolist()
            raise RawDataError(
                f"raw table '{self.name}' has duplicate key {self.key}="
                f"{dupes[self.key].iloc[0]} at row(s) {rows}; keys must be unique"
            )
        return out.reset_index(drop=True)


def _coerce(table: str, column: str, kind: str, values: pd.Series) -> pd.Series:
    nulls = values.isna()
    if nulls.any():
        raise RawDataError(
            f"raw table '{table}' column '{column}' is null at row {int(nulls.idxmax())}"
        )
    try:
        if kind == "int":
            converted = pd.to_numeric(values, errors="raise")
            if (converted % 1 != 0).any():
                raise ValueError("not an integer")
            return converted.astype("int64")
        if kind == "float":
            return pd.to_numeric(values, errors="raise").astype("float64")
        if kind == "timestamp":
            return pd.to_datetime(values, utc=True, errors="raise").astype("datetime64[us, UTC]")
        return values.astype(str)
    except (ValueError, TypeError) as exc:
        bad_row = _first_bad_row(values, kind)
        raise RawDataError(
            f"raw table '{table}' column '{column}' must be {kind}; "
            f"row {bad_row} has {values.loc[bad_row]!r} ({exc})"
        ) from exc


def _first_bad_row(values: pd.Series, kind: str) -> object:
    for index, value in values.items():
        try:
            if kind == "timestamp":
                pd.to_datetime(value, utc=True)
            else:
                number = float(value)
                if kind == "int" and number % 1 != 0:
                    return index
        except (ValueError, TypeError):
            return index
    return values.index[0]


TRANSACTIONS = RawTable(
    name="transactions",
    key="transaction_id",
    columns={
        "transaction_id": "int",
        "user_id": "int",
        "merchant_id": "int",
        "merchant_category": "string",
        "amount": "float",
        "country": "string",
        "event_timestamp": "timestamp",
        "is_fraud": "int",
    },
)

CUSTOMERS = RawTable(
    name="customers",
    key="user_id",
    columns={
        "user_id": "int",
        "signup_timestamp": "timestamp",
        "age": "int",
        "home_country": "string",
        "plan": "string",
        "monthly_fee": "float",
        "logins_30d": "int",
        "last_login_timestamp": "timestamp",
        "support_contacts_90d": "int",
        "churned": "int",
    },
)

RAW_TABLES: dict[str, RawTable] = {t.name: t for t in (TRANSACTIONS, CUSTOMERS)}

"""Self-contained HTML reports: Jinja2 page with matplotlib figures inlined as PNG.

Inlining the images keeps a report one file that can be attached to an e-mail or stored as
an MLflow/Airflow artifact without its plots going missing.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers or CI

import matplotlib.pyplot as plt
import pandas as pd
from jinja2 import Environment, select_autoescape

_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{{ title }}</title>
<style>
body{font-family:sans-serif;margin:2em;max-width:1300px}
td{max-width:420px;overflow-wrap:anywhere}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px}
th{background:#f0f0f0}.drift,.flagged,.decayed{background:#f8d0d0}.watch,.refused{background:#fff3c4}
.promoted{background:#dcf0dc}
img{max-width:100%;border:1px solid #eee;margin:0.5em 0}
</style></head><body>
<h1>{{ title }}</h1>
{% for line in intro %}<p>{{ line }}</p>{% endfor %}
{% for section in sections %}
<h2>{{ section.heading }}</h2>
{% for kind, content in section.blocks %}{% if kind == "text" %}<p>{{ content }}</p>
{% elif kind == "table" %}{{ content|safe }}
{% else %}<img alt="{{ section.heading }} plot" src="data:image/png;base64,{{ content }}">{% endif %}{% endfor %}
{% endfor %}
</body></html>
"""


@dataclass
class Section:
    """A heading and its text, tables and figures, rendered in the order they were added
    (a caption stays next to the table it announces)."""

    heading: str
    blocks: list[tuple[str, str]] = field(default_factory=list)

    def add_text(self, text: str) -> None:
        self.blocks.append(("text", text))

    def add_table(self, frame: pd.DataFrame, row_class: str | None = None) -> None:
        """Add ``frame`` as a table; ``row_class`` names a column whose value also styles the
        row (the column stays visible: colour alone must not carry the meaning)."""
        rows = []
        header = "".join(f"<th>{_esc(c)}</th>" for c in frame.columns)
        for _, row in frame.iterrows():
            css = f' class="{_esc(row[row_class])}"' if row_class else ""
            cells = "".join(f"<td>{_esc(_fmt(row[c]))}</td>" for c in frame.columns)
            rows.append(f"<tr{css}>{cells}</tr>")
        self.blocks.append(("table", f"<table><tr>{header}</tr>{''.join(rows)}</table>"))

    def add_figure(self, figure: plt.Figure) -> None:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
        plt.close(figure)
        self.blocks.append(("image", base64.b64encode(buffer.getvalue()).decode("ascii")))


def _esc(value: object) -> str:
    return html.escape(str(value))


def _fmt(value: object) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M UTC" if value.tzinfo else "%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def render_html(path: Path, title: str, sections: list[Section], intro: Sequence[str] = ()) -> Path:
    env = Environment(autoescape=select_autoescape(default=True))
    page = env.from_string(_PAGE).render(title=title, sections=sections, intro=list(intro))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path

"""What names one model version, and the errors of getting one, shared by the loading parts.

Kept apart from :mod:`.registry_client`, :mod:`.model_cache` and :mod:`.onnx_session` so each
of them depends on this small vocabulary rather than on the others.
"""

from __future__ import annotations

from dataclasses import dataclass


class ModelSourceError(RuntimeError):
    """The registry/published folder could not provide the model."""


class ModelAbsent(ModelSourceError):
    """The source answered, and there is no model to serve under this alias (no version has
    it, or the version it names is not eligible): a challenger slot unloads on this, while a
    :class:`ModelSourceError` (source unreachable) keeps what it has."""


@dataclass(frozen=True)
class ModelRef:
    """One version of a registered model, the alias it was resolved from and its source
    (``registry``, ``published`` or ``cache``)."""

    name: str
    version: str
    run_id: str
    alias: str
    source: str

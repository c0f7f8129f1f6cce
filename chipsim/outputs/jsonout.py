"""Strict JSON for every ``--json`` output: no NaN or Infinity, which JSON does not have."""

from __future__ import annotations

import json
from typing import Any

from ..errors import ChipsimError


def dumps(value: Any, **options: Any) -> str:
    """``json.dumps`` refusing non-finite floats, with a one-line chipsim error instead of
    the standard library's non-standard ``NaN``/``Infinity`` output."""
    try:
        return json.dumps(value, allow_nan=False, **options)
    except ValueError:
        raise ChipsimError(
            "the result holds a value that is not a finite number (NaN or infinity), "
            "which strict JSON cannot carry"
        ) from None

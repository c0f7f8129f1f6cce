"""Old import paths kept for one release: each module there hands over its new home."""

import importlib
import sys
import warnings


def hand_over(old: str, new: str) -> None:
    """Make module ``old`` the module ``new``, with a DeprecationWarning to its importer."""
    warnings.warn(
        f"{old} moved to {new}; the old path goes in the next release",
        DeprecationWarning,
        stacklevel=3,
    )
    sys.modules[old] = importlib.import_module(new)

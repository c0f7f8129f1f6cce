"""A plan cut down to what training its upper stages needs (``Plan.up_to``).

Where only stages ``lowest``..L train, backprop ends at ``bwd lowest``: the frozen
stages below need no backward and keep nothing (``chipsim.model.training``). Any
strategy's plan becomes that plan by four cuts, each of which only removes ops:

- everything after the last ``bwd lowest``;
- recording by the forwards below ``lowest`` (nothing of theirs is backpropagated);
- prefetching loads whose activation no op left in the plan takes from staging;
- stores whose checkpoint no op left loads, with the ``free`` of each such
  buffered one: the frozen stages' checkpoints that only the cut backward read.
"""

from __future__ import annotations

import numpy as np

from ..model.ops import KIND_CODE
from .plan_checks import unconsumed_prefetches

_FREE = KIND_CODE["free"]
#: (store, load, free or -1) of each place.
_PLACES = (
    (KIND_CODE["storemem"], KIND_CODE["loadmem"], _FREE),
    (KIND_CODE["storedisk"], KIND_CODE["loaddisk"], -1),
)


def kept_ops(kinds: np.ndarray, layers: np.ndarray, prefetch: np.ndarray, end: int) -> np.ndarray:
    """Which of the first ``end`` ops stay once the plan ends there (a bool mask)."""
    kinds, layers, prefetch = kinds[:end], layers[:end], prefetch[:end]
    keep = np.ones(end, dtype=bool)
    if prefetch.any():
        keep[unconsumed_prefetches(kinds, layers, prefetch)] = False
    for store, load, free in _PLACES:
        keep[_dead_stores(kinds, layers, keep, (store, load, free))] = False
    return keep


def _dead_stores(kinds, layers, keep, codes) -> np.ndarray:
    """Positions of one place's stores that no kept op loads before the checkpoint is
    stored again, freed or the plan ends, with the ``free`` right after each."""
    store, load, free = codes
    events = np.flatnonzero(np.isin(kinds, codes) & keep)
    events = events[np.lexsort((events, layers[events]))]  # by layer, then in order
    kind, layer = kinds[events], layers[events]
    after = np.append(kind[1:], -1)  # the same checkpoint's next event, if any
    same = np.append(layer[1:] == layer[:-1], False)
    dead = (kind == store) & ~(same & (after == load))
    frees = np.flatnonzero(dead & same & (after == free)) + 1
    return np.concatenate([events[dead], events[frees]])

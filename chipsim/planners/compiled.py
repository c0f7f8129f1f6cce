"""numba for the planners' dynamic programs, where the ``fast`` extra installs it.

``jit`` compiles a function that may allocate arrays; ``bare_jit`` one that does
not, compiled without reference counting (``_nrt=False``, a private option that
numba has had for years): no atomic add for each array a call or slice touches,
which was a tenth to a quarter of the tables' time. Without numba both return the
function as it is, and the planners run it as Python (``COMPILED`` says which).

numba caches each function's machine code beside its module, keyed by that
module's own file: a function compiled into another keeps the callee's old code
until its own file changes (``kernel.fill_cell`` and ``forward.fill_f`` keep
``entries.take`` as it was when they were compiled).
After editing a compiled module in a checkout, delete the caches
(``find chipsim -name '*.nb[ic]' -delete``) before testing or timing it;
an installed release writes every file anew, so it never runs stale code.
"""

from __future__ import annotations


def _no_refcounts() -> dict[str, bool]:
    """``_nrt=False`` where this numba has it; a numba without it only runs slower."""
    try:
        from numba.core.options import DefaultOptions
    except ImportError:  # pragma: no cover
        return {}
    return {"_nrt": False} if hasattr(DefaultOptions, "_nrt") else {}


try:
    from numba import njit
except ImportError:  # the ``fast`` extra is not installed: the same loops, in Python
    COMPILED = False

    def jit(function):
        return function

    bare_jit = jit
else:
    COMPILED = True
    jit = njit(cache=True, boundscheck=False, nogil=True)
    bare_jit = njit(cache=True, boundscheck=False, nogil=True, **_no_refcounts())

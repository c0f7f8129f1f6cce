"""Which ops of a plan provably start the moment the op before them ends, and who runs them.

An op's start is the latest of some earlier ops' ends (its *terms*: what it
reads or overwrites, its port's previous op, the forward phase's end in the
backward phase) and, for a prefetch, of some earlier ops' starts (the op
before it in the plan and on its port, the previous prefetch's register, the
fwd/bwd that hands its register back). Op k is **chained** when

- one of its terms is the end of op k-1, so it cannot start earlier; and
- every other term is an op that provably ended by then: op k-1 waits, one
  op after another, for its end (below), or it is a forward op and op k-1
  is in the backward phase (which waits for the whole forward phase), or it
  runs on op k-1's port (each op there waits for the end of the one before).

Then op k starts exactly at op k-1's end: the latest of its terms is that
end, the very same float, whatever the durations. Op j < m provably ends by
the time op m starts when, from j, each op's first waiter (the first later op
with an end term on it, among ops anyone waits for) leads to m: that holds if
no op in [j, m) that anyone waits for has its first waiter after m (so the
walk, always forward and never past m, stops at m). That is a range maximum,
answered for every op at once with a sparse table; ranges longer than
``_LONGEST`` ops are not tried (the op is then not chained: safe).

A run of chained ops (a *chain*) needs no wait between its ops, whatever
their ports, so one process can time it in one timeout (``chipsim.sim.overlap``).
Which process: the one of the port of the chain's first op, the *driver*, as
long as it has nothing else to do meanwhile: the chain ends on the driver's
port (its next op waits for that end anyway) or the driver has no later op.
Otherwise the chain is cut after the driver's last op in it, and the rest
is driven by the port of its own first op, by the same rule.
"""

from __future__ import annotations

import numpy as np

from ..model.ops import PORTS

_LONGEST = 1 << 10  # longest range of ops the escape test looks across


def chained(
    forward_ops: int,
    port: np.ndarray,
    ahead: np.ndarray,
    data_terms: tuple[np.ndarray, np.ndarray],
    start_terms: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """Per op: it starts exactly when the op before it in the plan ends (see above).

    ``ahead``: the op before each op on its port, or -1 (its port-order term);
    ``data_terms``: (op, earlier op whose end it waits for) pairs, the rest of its
    end terms; ``start_terms``: (prefetch, op whose start it waits for), with a term
    at or after the op itself for a register that never comes."""
    count = len(port)
    ops = np.arange(count)
    closers = closing_ops(port, forward_ops)
    waiter, waited = data_terms
    live = _live(forward_ops, port, waited, start_terms[1])
    reach = _first_waiters(forward_ops, closers, live, data_terms, ahead)
    follows = ahead == ops - 1
    follows[waiter[waited == waiter - 1]] = True
    if 0 < forward_ops < count:  # the forward phase's end: its last op is op F-1
        follows[forward_ops] = True
    crossing = (ahead >= 0) & (ahead < ops - 1)  # on another port than op k-1's: see above
    crossing &= ~((ahead < forward_ops) & (ops > forward_ops))
    earliest = np.where(crossing, ahead, ops - 1)  # the earliest term but op k-1, or k-1
    terms = [data_terms, start_terms]
    if forward_ops < count:
        terms.append((np.full(len(closers), forward_ops), closers))
    on_port = np.append(port, -1).astype(np.int8)  # and none for a term at ``count``
    before_port = np.append(-1, port).astype(np.int8)  # the port of op k-1
    for waiting, on in terms:
        other = (on < waiting - 1) & ~((on < forward_ops) & (waiting > forward_ops))  # see above
        other &= on_port[on] != before_port[waiting]  # see above
        np.minimum.at(earliest, waiting[other], on[other])
    never = np.zeros(count, dtype=bool)
    never[start_terms[0][start_terms[1] >= start_terms[0]]] = True
    result = _no_escape(reach, earliest, ops - 1, follows & ~never)
    result[:1] = False
    return result


def closing_ops(group: np.ndarray, forward_ops: int) -> np.ndarray:
    """The last forward op of each group (port or driver) that has forward ops."""
    ops = [np.flatnonzero(group[:forward_ops] == code)[-1:] for code in range(len(PORTS))]
    return np.concatenate(ops).astype(np.int64)


def _live(forward: int, port: np.ndarray, waited: np.ndarray, started: np.ndarray) -> np.ndarray:
    """Ops that some op waits for: their end (data, or the next op on their port) or
    start, or (forward ops) the phase's end."""
    count = len(port)
    live = np.ones(count + 1, dtype=bool)
    live[np.concatenate([np.flatnonzero(port == code)[-1:] for code in range(len(PORTS))])] = False
    live[waited] = True
    live[np.minimum(started, count)] = True
    if forward < count:
        live[:forward] = True
    return live[:count]


def _first_waiters(
    forward: int,
    closers: np.ndarray,
    live: np.ndarray,
    data_terms: tuple[np.ndarray, np.ndarray],
    ahead: np.ndarray,
) -> np.ndarray:
    """Per op: the first op anyone waits for that waits for its end (a huge number if
    none), or -1 for an op nobody waits for (it is no step on any walk)."""
    count, (waiter, waited) = len(live), data_terms
    reach = np.full(count, np.iinfo(np.int32).max, dtype=np.int64)
    keep = live[waiter]
    np.minimum.at(reach, waited[keep], waiter[keep])
    next_on_port = np.flatnonzero(live & (ahead >= 0))  # each op is one's port-order term
    reach[ahead[next_on_port]] = np.minimum(reach[ahead[next_on_port]], next_on_port)
    backward_live = np.flatnonzero(live[forward:])
    if forward < count and len(backward_live):
        reach[closers] = np.minimum(reach[closers], forward + backward_live[0])
    reach[~live] = -1
    return reach


def _no_escape(reach: np.ndarray, lo: np.ndarray, hi: np.ndarray, asked: np.ndarray) -> np.ndarray:
    """Per op ``asked`` (else False): ``max(reach[lo:hi]) <= hi`` (true for an empty
    range), with a sparse table of range maxima; ranges longer than ``_LONGEST`` answer
    False."""
    length = hi - lo
    result = asked & (length <= 0)
    asked = np.flatnonzero(asked & (length > 0) & (length <= _LONGEST))
    if not len(asked):
        return result
    a, b = lo[asked], hi[asked]
    levels = int((b - a).max()).bit_length()
    table = np.empty((levels, len(reach)), dtype=np.int32)  # half the memory traffic
    table[0] = reach
    for level in range(1, levels):
        span = 1 << (level - 1)
        table[level] = table[level - 1]
        np.maximum(table[level - 1, :-span], table[level - 1, span:], out=table[level, :-span])
    level = np.frexp((b - a).astype(np.float64))[1] - 1  # floor(log2(b - a))
    flat, at = table.reshape(-1), level.astype(np.int64) * len(reach)  # flat: quicker than 2-D
    top = np.maximum(flat[at + a], flat[at + b - (1 << level)])
    result[asked] = top <= b
    return result


def drivers(port: np.ndarray, chained_ops: np.ndarray) -> np.ndarray:
    """Per op: the port whose process runs it (see above); cut chains until each
    driven stretch ends on its driver's port or its driver has no later op."""
    count = len(port)
    begins = ~chained_ops
    begins[:1] = True
    on_port = [np.flatnonzero(port == code) for code in range(len(PORTS))]
    first = np.flatnonzero(begins)
    long = np.append(first[1:], count) - 1 > first  # one op ends on its own port
    while True:
        first, last = first[long], (np.append(first[1:], count) - 1)[long]
        cuts = []
        for code, ops in enumerate(on_port):
            mine = port[first] == code
            at = np.searchsorted(ops, last[mine], side="right") - 1  # its last op in it
            cut = (ops[at] != last[mine]) & (at + 1 < len(ops))
            cuts.append(ops[at[cut]] + 1)
        cuts = np.concatenate(cuts)
        if not len(cuts):
            return port[np.flatnonzero(begins)][np.cumsum(begins) - 1]
        begins[cuts] = True
        first = np.flatnonzero(begins)
        long = np.append(first[1:], count) - 1 > first

"""Print pyrevolve's binomial schedule as ``chipsim plan --json`` prints a plan: the peer
of ``benchmarks/plan_json.py``.

Run: ``python benchmarks/pyrevolve_json.py LAYERS SLOTS``. Revolve has l = L + 1 steps
and c = slots + 1 snapshots (revolve.py's mapping): an advance is ``fwd`` of the layers
it computes, a snapshot a ``storemem`` (none for x_0: a0 lies in inputs), a restore a
``loadmem`` (after a ``free`` of each snapshot above it, as chipsim releases them),
the first turn the phase boundary and each youturn a ``bwd``. Revolve's splits are
not always chipsim's (both attain t(l, c)), so the two texts can differ in order.
Lines are made with f-strings and written 65,536 at a time.
"""

import sys

import pyrevolve.crevolve as cr


def main(layers: int, slots: int) -> None:
    write, revolver = sys.stdout.write, cr.CRevolve(slots + 1, layers + 1)
    phase, held = "forward", []
    lines = ['{"phase": "forward", "op": "loadmem", "layer": 0}']
    write("[\n")
    while True:
        action = revolver.revolve()
        capo = revolver.capo
        if action == cr.Action.advance:
            head = f'{{"phase": "{phase}", "op": "fwd", "layer": '
            lines.extend([f"{head}{layer}}}" for layer in range(revolver.oldcapo + 1, capo + 1)])
        elif action == cr.Action.takeshot and capo:
            lines.append(f'{{"phase": "{phase}", "op": "storemem", "layer": {capo}}}')
            held.append(capo)
        elif action == cr.Action.restore:
            while held and held[-1] > capo:
                lines.append(f'{{"phase": "{phase}", "op": "free", "layer": {held.pop()}}}')
            lines.append(f'{{"phase": "{phase}", "op": "loadmem", "layer": {capo}}}')
        elif action == cr.Action.firstrun:
            phase = "backward"
        elif action == cr.Action.youturn:
            lines.append(f'{{"phase": "{phase}", "op": "bwd", "layer": {capo + 1}}}')
        elif action in (cr.Action.terminate, cr.Action.error):
            break
        if len(lines) >= 65536:
            write(",\n".join(lines) + ",\n")
            lines = []
    write(",\n".join(lines) + "\n]\n")


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))

"""Generators run as SimPy processes, the lean way an overlapped run needs.

A process here is a generator that yields each SimPy event it waits for,
and a callback on that event resumes it when the event happens: what
``simpy.Process`` does, without its bookkeeping (the active process, failed
events thrown into the generator, interrupts), which an overlapped run's
processes never use, and which cost about a sixth of a bare SimPy event per
wake-up.

Owning the callback also lets a run order its wake-ups: waiters handed on
(``hand_on``) join an event's callbacks only once the process now running
has yielded, so they come after it if it waits for the same event; and
waiters handed on with no event wake in the same SimPy step, one after
another (not one inside another: no recursion however long the run).
"""

from __future__ import annotations

from collections.abc import Callable, Generator

import simpy

Process = Generator[simpy.Event, None, None]


class Processes:
    """The processes of one run on ``env``; ``done`` happens once they have all ended."""

    def __init__(self, env: simpy.Environment) -> None:
        self.done = env.event()
        self.left = 0
        self.behind: list[tuple[simpy.Event | None, list]] = []
        self.draining = False

    def start(self, processes: list[Process]) -> simpy.Event:
        """Run each of ``processes`` up to its first yield, in order; ``done``."""
        self.left = len(processes)
        for process in processes:
            self._resumer(process)(None)
        if not processes:
            self.done.succeed()
        return self.done

    def hand_on(self, waiters: list, event: simpy.Event | None) -> None:
        """Callbacks that waited for something else: onto ``event`` once the running
        process has yielded, or, with no event, called then."""
        self.behind.append((event, waiters))

    def _resumer(self, process: Process) -> Callable[[object], None]:
        """The callback that resumes ``process`` and waits for what it yields next."""
        send, behind = process.send, self.behind

        def resume(event: object) -> None:
            try:
                send(None).callbacks.append(resume)
            except StopIteration:
                self._ended()
            if behind and not self.draining:
                self._drain()

        return resume

    def _ended(self) -> None:
        self.left -= 1
        if not self.left:
            self.done.succeed()

    def _drain(self) -> None:
        """Hand on every waiter, including those handed on by the waiters woken here."""
        self.draining = True
        while self.behind:
            event, waiters = self.behind.pop()
            if event is None:
                for waiter in waiters:
                    waiter(None)
            else:
                event.callbacks.extend(waiters)
        self.draining = False

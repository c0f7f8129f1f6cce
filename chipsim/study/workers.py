"""Where a sweep's tasks run: this process, local worker processes, or a Dask cluster.

Local workers are a ``ProcessPoolExecutor``; on Linux they are forked from
the sweep's process, which has already imported everything a run needs, so
a worker starts in milliseconds instead of paying a fresh interpreter and
its imports (about 0.4 s each with joblib's loky, and a resource-tracker
process besides). Workers ignore SIGINT (Ctrl-C reaches the whole process
group; the parent alone decides, so no worker prints a traceback), take
SIGTERM's default, and exit by themselves if their parent dies, even by
SIGKILL. On any exception in the parent, including the signal handlers'
``Stop``, the workers are terminated and joined before it goes on. A worker
that dies (killed, or out of memory) breaks the pool: the tasks that
finished are still handed over, then ``WorkerDied`` names the worker.

Dask goes through joblib's Dask backend, as before.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any

from ..errors import ChipsimError, ConfigError

BACKENDS: tuple[str, ...] = ("loky", "dask")  # "loky": processes on this machine
IN_FLIGHT_PER_WORKER = 2  # tasks queued a worker: keeps it busy, keeps memory flat

Runner = Callable[[Callable[..., Any], Iterable[tuple[Any, ...]]], Iterator[Any]]


class Stop(BaseException):
    """SIGINT or SIGTERM arrived: stop the sweep, keep what is finished."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class WorkerDied(ChipsimError):
    """A local worker process ended in the middle of the sweep (the pool is broken)."""


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def local_workers(jobs: int, runs: int) -> tuple[int, str | None]:
    """Workers for ``--jobs`` on this machine: at most the cores and the runs to do.

    Returns the count and, when it is below what was asked, one line saying why.
    """
    check_jobs(jobs)
    wanted = cores() if jobs == -1 else jobs
    workers = max(1, min(wanted, cores(), runs))
    if workers < wanted:
        return workers, (
            f"--jobs {jobs} capped at {workers} worker{'s' * (workers > 1)} "
            f"({cores()} cores, {runs} run{'s' * (runs != 1)} to do)"
        )
    return workers, None


def check_jobs(jobs: int) -> None:
    if jobs < 1 and jobs != -1:
        raise ConfigError(f"--jobs {jobs}: must be a whole number >= 1 (or -1 for every core)")


@contextmanager
def stopping_on_signals() -> Iterator[Callable[[], None]]:
    """Turn SIGINT and SIGTERM into ``Stop`` (once; later ones are ignored) while inside.

    Yields ``check``, which raises ``Stop`` again if a signal came: code that was
    running when it came may have swallowed it (Dask's start-up does), so the
    caller checks at the points where it can stop.
    """
    caught: list[int] = []

    def check() -> None:
        if caught:
            raise Stop(caught[0])

    if threading.current_thread() is not threading.main_thread():
        yield check
        return

    def handler(signum: int, frame: Any) -> None:
        if not caught:
            caught.append(signum)
            raise Stop(signum)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield check
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


@contextmanager
def local(workers: int) -> Iterator[Runner]:
    """A runner on ``workers`` local processes (1: this process); results in task order."""
    if workers == 1:
        yield lambda task, args: (task(*a) for a in args)
        return
    method = "fork" if sys.platform == "linux" else "spawn"
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context(method),
        initializer=_start_worker,
        initargs=(os.getpid(),),
    )
    try:
        yield lambda task, args: _in_order(pool, task, args, workers * IN_FLIGHT_PER_WORKER)
    except BaseException:
        _terminate(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def dask(jobs: int, scheduler: str | None) -> Iterator[tuple[Runner, int]]:
    """A runner on a Dask cluster (``scheduler``, or a local one of ``jobs`` workers)."""
    import joblib

    client = _dask_client(scheduler, jobs)
    try:
        with joblib.parallel_config(backend="dask", n_jobs=-1):
            parallel = joblib.Parallel(return_as="generator")

            def run(task: Callable[..., Any], args: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
                return parallel(joblib.delayed(task)(*a) for a in args)

            yield run, max(len(client.nthreads()), 1)
    finally:
        client.close()


def _in_order(pool: ProcessPoolExecutor, task, args, window: int) -> Iterator[Any]:
    pending: deque[Future] = deque()
    try:
        for arguments in args:
            pending.append(pool.submit(task, *arguments))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    except BrokenProcessPool:
        yield from (f.result() for f in pending if f.done() and f.exception() is None)
        raise WorkerDied(_which_died(pool)) from None


def _which_died(pool: ProcessPoolExecutor) -> str:
    """``worker PID n died (killed by SIGKILL)``: the worker whose end broke the pool.

    The pool terminates (SIGTERM) the others once one dies: the one that ended
    otherwise is the cause; if every one ended by SIGTERM, each is named.
    """
    manager = getattr(pool, "_executor_manager_thread", None)
    if manager is not None:  # it reaps the workers: their exit codes are known once it ends
        manager.join(timeout=30)
    processes = list((getattr(pool, "_processes", None) or {}).values())
    ended = [p for p in processes if p.exitcode is not None]
    named = [p for p in ended if p.exitcode != -signal.SIGTERM] or ended
    if not named:
        return "a worker process died"
    pids = " or ".join(str(p.pid) for p in named)
    return f"worker PID {pids} died ({_how(named[0].exitcode)})"


def _how(exitcode: int) -> str:
    if exitcode >= 0:
        return f"exit status {exitcode}"
    try:
        return f"killed by {signal.Signals(-exitcode).name}"
    except ValueError:
        return f"killed by signal {-exitcode}"


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Kill the workers now (a task can take long); the pool's shutdown then joins them."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()


def _start_worker(parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: int) -> None:
    """End this worker when its parent is gone (it was reparented)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _dask_client(scheduler: str | None, jobs: int):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError(
            "--backend dask needs Dask's distributed scheduler: pip install 'chipsim[distributed]'"
        ) from None
    if scheduler is not None:
        try:
            return Client(scheduler, timeout=10)
        except OSError as error:
            raise ConfigError(f"--scheduler {scheduler}: cannot connect ({error})") from None
    workers = cores() if jobs == -1 else jobs
    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, dashboard_address=None, host="127.0.0.1"
    )
    client = Client(cluster)
    client.close = _closing(client.close, cluster.close)  # type: ignore[method-assign]
    return client


def _closing(*closers: Callable[[], Any]) -> Callable[[], None]:
    def close() -> None:
        for closer in closers:
            closer()

    return close

"""Several worker processes sharing one port (SO_REUSEPORT). The app keeps no state in memory,
so workers need nothing from each other; the parent only starts them and stops them together."""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import signal
from collections.abc import Callable


def run_workers(target: Callable[[bool], None], count: int) -> None:
    """Run `target(reuse_port)` in this process (count <= 1) or in `count` child processes that
    all stop when the parent gets SIGTERM or Ctrl-C."""
    if count <= 1:
        target(False)
        return
    workers = [multiprocessing.Process(target=target, args=(True,)) for _ in range(count)]
    for worker in workers:
        worker.start()

    def stop(_signum: int, _frame: object) -> None:
        for worker in workers:
            worker.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        for worker in workers:
            worker.join()
    except KeyboardInterrupt:
        stop(signal.SIGINT, None)
        for worker in workers:
            worker.join(timeout=10)


def use_fast_event_loop() -> None:
    """uvloop's event loop (a dependency on Linux and macOS; asyncio's own loop elsewhere), and a
    garbage collector that leaves the objects of start-up alone: a full collection over them is
    a pause every request in flight waits for."""
    gc.collect()
    gc.freeze()
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())

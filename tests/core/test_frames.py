"""``ecitizen.frames.FramePool`` with two frames on their way to each worker (``depth=2``): every
caller gets its own answer, in any interleaving, and a worker that dies with frames queued fails
each of its callers at once (none waits for ever)."""

from __future__ import annotations

import random
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ecitizen.frames import FramePool, WorkerGone

#: answers "<pid>:<frame>" after sleeping the number of milliseconds the frame starts with
ECHO = textwrap.dedent("""
    import os, time
    from ecitizen.frames import serve_frames

    def answer(frame):
        time.sleep(int(frame.split(b":")[0]) / 1000)
        return str(os.getpid()).encode() + b":" + frame

    serve_frames(answer)
""")


@pytest.fixture
def echo(tmp_path: Path) -> str:
    script = tmp_path / "echo_worker.py"
    script.write_text(ECHO)
    return str(script)


def test_every_caller_gets_its_own_answer_with_two_frames_per_worker(echo: str) -> None:
    rng = random.Random(7)
    frames = [f"{rng.randint(0, 15)}:{i}:{'ж' * rng.randint(0, 200_000)}".encode() for i in range(60)]
    with FramePool(echo, 2, depth=2) as pool, ThreadPoolExecutor(12) as threads:
        answers = list(threads.map(pool.call, frames))
        assert pool.answered == 60 and pool.size == 2
    pids = set()
    for frame, answer in zip(frames, answers, strict=True):
        pid, _, echoed = answer.partition(b":")
        assert echoed == frame  # large frames too (pipes of 1 MB, frames up to 400 KB)
        pids.add(pid)
    assert len(pids) == 2


def test_a_worker_is_sent_its_next_frame_while_it_works(echo: str) -> None:
    """One worker, two callers: the second frame is in the worker's pipe before the first answer,
    so the worker goes on without waiting for the calling thread."""
    with FramePool(echo, 1, depth=2) as pool, ThreadPoolExecutor(2) as threads:
        pool.call(b"0:warm")  # started
        t = time.monotonic()
        first = threads.submit(pool.call, b"300:a")
        time.sleep(0.05)
        second = threads.submit(pool.call, b"300:b")
        time.sleep(0.05)
        assert pool._all[0].inflight == 2 and pool._all[0].sent == 3
        assert first.result(5).endswith(b":300:a") and second.result(5).endswith(b":300:b")
        assert time.monotonic() - t < 0.9  # one after the other in the worker, no wait between


def test_callers_queued_on_a_dead_worker_all_get_worker_gone(echo: str) -> None:
    with FramePool(echo, 1, depth=2) as pool, ThreadPoolExecutor(3) as threads:
        pool.call(b"0:warm")
        queued = [threads.submit(pool.call, f"2000:{i}".encode()) for i in range(2)]
        time.sleep(0.2)
        pool._all[0].proc.kill()
        for fut in queued:
            with pytest.raises(WorkerGone):
                fut.result(5)
        assert pool.size == 0
        with pytest.raises(WorkerGone, match="no worker"):
            pool.call(b"0:x")


def test_one_frame_per_worker_by_default(echo: str) -> None:
    with FramePool(echo, 1) as pool, ThreadPoolExecutor(2) as threads:
        pool.call(b"0:warm")
        slow = threads.submit(pool.call, b"200:a")
        time.sleep(0.05)
        waiting = threads.submit(pool.call, b"0:b")
        time.sleep(0.05)
        assert pool._all[0].inflight == 1 and not waiting.done()  # waits for the worker to be free
        assert slow.result(5).endswith(b"200:a") and waiting.result(5).endswith(b"0:b")

"""Worker processes that speak length-prefixed frames over their pipes.

Owns: the frame format (a 4-byte big-endian length, then that many bytes), a worker's serving
loop, and :class:`FramePool`, a pool of such workers for the threads of one run.

A worker is a plain ``python -P <module file>`` child, not ``multiprocessing``: nothing of the
caller's ``__main__`` is imported (a script without the ``if __name__ == "__main__"`` guard works,
the CLI is not loaded again in every worker) and a worker imports only what its module needs
(the main-text extractor of :mod:`ecitizen.archive.page`: lxml and trafilatura; the feed parser of
:mod:`ecitizen.feeds.parse`: feedparser and the core pipeline). A worker ends when its input
closes: when the run is over, or when the process that started it died, even by SIGKILL.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
import sys
import threading
from collections.abc import Callable
from types import TracebackType
from typing import IO

log = logging.getLogger("ecitizen.frames")

#: a frame: 4-byte big-endian length, then that many bytes
FRAME_HEADER = 4


class WorkerGone(Exception):  # noqa: N818 - a state, not a failure of the caller's input
    """No worker process could answer (none started, or the one asked died): do the work here."""


def read_frame(stream: IO[bytes]) -> bytes | None:
    """The next frame's bytes, or None when the stream ended (cleanly or mid-frame)."""
    head = _read_exactly(stream, FRAME_HEADER)
    if head is None:
        return None
    return _read_exactly(stream, frame_length(head))


def frame(data: bytes) -> bytes:
    """``data`` as one frame (its length first)."""
    return len(data).to_bytes(FRAME_HEADER, "big") + data


def frame_length(head: bytes) -> int:
    """The length a frame's header announces."""
    return int.from_bytes(head, "big")


def write_frame(stream: IO[bytes], data: bytes) -> None:
    stream.write(frame(data))
    stream.flush()


def _read_exactly(stream: IO[bytes], n: int) -> bytes | None:
    parts: list[bytes] = []
    left = n
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def serve_frames(handle: Callable[[bytes], bytes], stdin: IO[bytes] | None = None,
                 stdout: IO[bytes] | None = None) -> None:
    """A worker's loop: answer each frame read from ``stdin`` with ``handle(frame)``, until the
    input ends. Anything the worker's libraries print goes to stderr, never into the frames."""
    stdin = stdin if stdin is not None else sys.stdin.buffer
    out = stdout if stdout is not None else sys.stdout.buffer
    if stdout is None:
        sys.stdout = sys.stderr
    while (frame := read_frame(stdin)) is not None:
        write_frame(out, handle(frame))


class FramePool:
    """``processes`` workers running ``script``, shared by the threads of one run, started by
    the first call (a warm poll where every feed answers 304 starts none).

    :meth:`call` sends a frame to an idle worker and returns its answer; it raises
    :class:`WorkerGone` when no worker is left (one that cannot start, fails or dies is dropped,
    with a warning): the caller then does the work itself, so nothing fails for a lost worker.
    """

    def __init__(self, script: str, processes: int, *, name: str = "worker") -> None:
        self.name = name
        self.script = script
        self.processes = processes
        self._cond = threading.Condition()
        self._idle: list[subprocess.Popen[bytes]] = []
        self._all: list[subprocess.Popen[bytes]] = []
        #: the workers start with the first call (a run that has nothing to send starts none)
        self._started = False
        #: frames answered by a worker process
        self.answered = 0

    def _start(self) -> None:
        """With the lock held: start the workers (their imports then run while the caller waits)."""
        self._started = True
        for _ in range(self.processes):
            try:
                proc = subprocess.Popen(
                    [sys.executable, "-P", self.script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL)
            except OSError as exc:
                log.warning("%s process did not start (%s); working in this process", self.name, exc)
                break
            self._all.append(proc)
            self._idle.append(proc)

    @property
    def size(self) -> int:
        return len(self._all)

    def call(self, data: bytes) -> bytes:
        with self._cond:
            if not self._started:
                self._start()
            while not self._idle:
                if not self._all:
                    raise WorkerGone(f"no {self.name} process left")
                self._cond.wait()
            proc = self._idle.pop()
        answer: bytes | None = None
        try:
            assert proc.stdin is not None and proc.stdout is not None
            write_frame(proc.stdin, data)
            answer = read_frame(proc.stdout)
        except (OSError, ValueError) as exc:
            why = f"failed: {exc}"
        else:
            why = f"ended (exit code {proc.poll()})"
        with self._cond:
            if answer is None:
                self._drop(proc, why)
                raise WorkerGone(f"the {self.name} process {why}")
            self.answered += 1
            self._idle.append(proc)
            self._cond.notify()
        return answer

    def _drop(self, proc: subprocess.Popen[bytes], why: str) -> None:
        """With the lock held: forget a worker that failed (and wake the waiters if none is left)."""
        with contextlib.suppress(OSError):
            proc.kill()
        with contextlib.suppress(subprocess.SubprocessError):
            proc.wait(5)
        for stream in (proc.stdin, proc.stdout):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()
        if proc in self._all:
            self._all.remove(proc)
        log.warning("%s process %s; %d left", self.name, why, len(self._all))
        self._cond.notify_all()

    def close(self) -> None:
        """End the workers: their input closes and they exit (killed after a few seconds)."""
        with self._cond:
            procs, self._all, self._idle = self._all, [], []
            self._started = True  # a call after close finds no worker
            self._cond.notify_all()
        for proc in procs:
            with contextlib.suppress(OSError):
                if proc.stdin is not None:
                    proc.stdin.close()
        for proc in procs:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()

    def __enter__(self) -> FramePool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

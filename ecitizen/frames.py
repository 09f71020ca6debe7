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

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None  # type: ignore[assignment]

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


#: a worker's pipes hold this much (Linux; elsewhere the system's default)
PIPE_BYTES = 1 << 20


def _widen_pipe(stream: IO[bytes] | None) -> None:
    """Let a whole frame (a feed, or its prepared items: ~100 KB) go into a pipe without waiting
    for the other end to read it (the default holds 64 KB)."""
    setpipe = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if stream is None or setpipe is None:
        return
    with contextlib.suppress(OSError):
        fcntl.fcntl(stream.fileno(), setpipe, PIPE_BYTES)


class _Worker:
    """One worker process of a :class:`FramePool` and the frames on their way to it."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        #: frames sent and not yet answered (changed under the pool's lock)
        self.inflight = 0
        #: frames written so far, and answers read so far: the answers come back in the order
        #: the frames went out, so a caller reads when ``answered`` reaches its frame's number
        self.sent = 0
        self.answered = 0
        self.gone: str | None = None
        self.write_lock = threading.Lock()
        self.turn = threading.Condition()


class FramePool:
    """``processes`` workers running ``script``, shared by the threads of one run, started by
    the first call (a warm poll where every feed answers 304 starts none).

    :meth:`call` sends a frame to the least busy worker and returns its answer; it raises
    :class:`WorkerGone` when no worker is left (one that cannot start, fails or dies is dropped,
    with a warning): the caller then does the work itself, so nothing fails for a lost worker.
    With ``depth`` 2 a worker is sent its next frame while it works on the current one, so it
    never waits for a calling thread to get the interpreter lock back between two frames.
    """

    def __init__(self, script: str, processes: int, *, name: str = "worker", depth: int = 1) -> None:
        self.name = name
        self.script = script
        self.processes = processes
        self.depth = max(1, depth)
        self._cond = threading.Condition()
        self._all: list[_Worker] = []
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
            _widen_pipe(proc.stdin)
            _widen_pipe(proc.stdout)
            self._all.append(_Worker(proc))

    @property
    def size(self) -> int:
        return len(self._all)

    def call(self, data: bytes) -> bytes:
        with self._cond:
            if not self._started:
                self._start()
            while True:
                if not self._all:
                    raise WorkerGone(f"no {self.name} process left")
                free = [w for w in self._all if w.inflight < self.depth]
                if free:
                    worker = min(free, key=lambda w: w.inflight)
                    break
                self._cond.wait()
            worker.inflight += 1
        try:
            return self._exchange(worker, data)
        finally:
            with self._cond:
                worker.inflight -= 1
                self._cond.notify()

    def _exchange(self, worker: _Worker, data: bytes) -> bytes:
        proc = worker.proc
        assert proc.stdin is not None and proc.stdout is not None
        with worker.write_lock:
            if worker.gone is not None:
                raise WorkerGone(f"the {self.name} process {worker.gone}")
            number = worker.sent
            worker.sent += 1
            try:
                write_frame(proc.stdin, data)
            except (OSError, ValueError) as exc:
                self._drop(worker, f"failed: {exc}")
                raise WorkerGone(f"the {self.name} process failed: {exc}") from None
            except BaseException:  # a frame half written: the worker's input is out of step
                self._drop(worker, "was interrupted")
                raise
        with worker.turn:
            while worker.answered != number and worker.gone is None:
                worker.turn.wait()
        if worker.gone is not None:
            raise WorkerGone(f"the {self.name} process {worker.gone}")
        answer: bytes | None = None
        try:
            answer = read_frame(proc.stdout)
        except (OSError, ValueError) as exc:
            why = f"failed: {exc}"
        except BaseException:  # an answer half read: the next one would be read from its middle
            self._drop(worker, "was interrupted")
            raise
        else:
            why = f"ended (exit code {proc.poll()})"
        if answer is None:
            self._drop(worker, why)
            raise WorkerGone(f"the {self.name} process {why}")
        with worker.turn:
            worker.answered += 1
            worker.turn.notify_all()
        with self._cond:
            self.answered += 1
        return answer

    def _drop(self, worker: _Worker, why: str) -> None:
        """Forget a worker that failed; the callers waiting on it get :class:`WorkerGone`."""
        proc = worker.proc
        with worker.turn:
            if worker.gone is not None:
                return
            worker.gone = why
            worker.turn.notify_all()
        with contextlib.suppress(OSError):
            proc.kill()
        with contextlib.suppress(subprocess.SubprocessError):
            proc.wait(5)
        for stream in (proc.stdin, proc.stdout):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()
        with self._cond:
            if worker in self._all:
                self._all.remove(worker)
            log.warning("%s process %s; %d left", self.name, why, len(self._all))
            self._cond.notify_all()

    def close(self) -> None:
        """End the workers: their input closes and they exit (killed after a few seconds)."""
        with self._cond:
            procs, self._all = [w.proc for w in self._all], []
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

"""Work done in a forked child while the build goes on: the machine's second core.

An edit of a large archive spends most of its time in one process on work whose parts do
not depend on each other (statting the outputs while the cache loads, indexing the search
while pages render). `beside` runs one such part in a child made by fork, which shares the
parent's records without copying them, and hands back its result, marshalled, through a
pipe. Not a thread: the interpreter lock lets only one of two Python threads run at once.
`companion` starts a child that lives on and works on request (`sitegen serve`'s builder).
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import marshal
import os
import select
import signal
import struct
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:  # imported when a companion starts: 15 ms of every build's start
    from multiprocessing.connection import Connection

_MASKS = hasattr(signal, "pthread_sigmask")
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_PIPE_BYTES = 1 << 20  # what an unprivileged process may make a pipe hold (Linux's default)


class ChildFailed(Exception):
    """The child stopped without a whole answer (killed, out of memory, or it raised)."""


class Pending:
    """A child's answer to come: `result()` waits for it (and reaps the child) the first
    time, and gives the same answer, or raises the same ChildFailed, every time after."""

    def __init__(self, pid: int, reader: int, feed: int | None = None) -> None:
        self.pid = pid
        self._child: tuple[int, int] | None = (pid, reader)
        self._feed = feed  # the pipe `send` writes to, for a child started with `fed`
        self._answer: Any = None
        self._failure: ChildFailed | None = None
        self._unreaped = False  # answered, not yet waited for: see result(reaped=False)

    def send(self, value: Any, more: bool = False) -> None:
        """Hand `value` (of types marshal keeps) to a child started with `fed`; `more`: other
        values follow. A child that is gone is not an error here: `result()` says it failed."""
        assert self._feed is not None, "send() is for a child started with fed=True"
        data = marshal.dumps(value)
        try:
            os.write(self._feed, struct.pack("<Q", len(data)))
            with memoryview(data) as left:
                while left:
                    left = left[os.write(self._feed, left) :]
        except OSError:
            pass
        if not more:
            os.close(self._feed)
            self._feed = None

    def result(self, reaped: bool = True) -> Any:
        """The answer. With `reaped=False`, a whole answer is given as soon as it is read,
        and the child, whose last act was to write it, is waited for by `reap()`: its exit
        (freeing the memory of a 10 000-article index, 5-10 ms) is not waited for here."""
        if self._feed is not None:  # a fed child waiting for more would wait forever
            os.close(self._feed)
            self._feed = None
        if self._child is not None:
            pid, reader = self._child
            self._child = None
            try:
                self._answer = _collect(pid, reader, reaped)
                self._unreaped = not reaped
            except ChildFailed as exc:
                self._failure = exc
        if self._failure is not None:
            raise self._failure
        return self._answer

    def cancel(self) -> None:
        """Kill the child if its answer was never asked for, and reap it."""
        if self._feed is not None:
            os.close(self._feed)
            self._feed = None
        if self._child is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self.reap()

    def reap(self) -> None:
        """Wait for the child if that has not been done, whatever it answered."""
        with contextlib.suppress(ChildFailed):
            self.result()
        if self._unreaped:
            self._unreaped = False
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)


def beside(function: Callable[..., Any], *args: Any, fed: bool = False) -> Pending | None:
    """Start function(*args) in a forked child, whose answer `Pending.result()` gives.

    With `fed`, the child may start before all it needs is known: it runs
    function(*args, receive), and each `receive()` waits for the next value the parent hands
    over with `Pending.send` (the child is killed if that never comes).
    None when fork is missing or fails, or when this process runs other threads (`serve`:
    a child could inherit a lock one of them holds and wait for it forever): the caller
    then does the work itself. The result must be made of types marshal keeps.
    """
    if not hasattr(os, "fork") or threading.active_count() > 1 or not _MASKS:
        return None
    try:
        reader, writer = os.pipe()
    except OSError:
        return None
    try:
        feed = os.pipe() if fed else None
    except OSError:
        os.close(reader)
        os.close(writer)
        return None
    if feed is not None:  # fewer, larger reads for the child's thread (see _Inbox)
        with contextlib.suppress(OSError, AttributeError):
            fcntl.fcntl(feed[1], fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
    pid, blocked = _fork()
    if pid is None:
        for fd in (reader, writer, *(feed or ())):
            os.close(fd)
        return None
    if pid == 0:
        os.close(reader)
        if feed is not None:
            os.close(feed[1])
            args = (*args, _Inbox(feed[0], os.getppid()))
        _answer(writer, function, args)  # never returns
    os.close(writer)
    if feed is not None:
        os.close(feed[0])
    pending = Pending(pid, reader, feed[1] if feed else None)
    signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    return pending


class Companion:
    """A long-lived forked child that works for this process on request (see `companion`)."""

    def __init__(self, pid: int, connection: Connection) -> None:
        self.pid = pid
        self._connection: Connection | None = connection

    def send(self, value: Any) -> None:
        """Hand `value` (any picklable value) to the child; ChildFailed if it is gone."""
        try:
            self._live().send(value)
        except (OSError, ValueError) as exc:
            raise ChildFailed(f"the child is gone ({exc})") from exc

    def receive(self) -> Any:
        """The child's next value; ChildFailed if it ended instead (killed, say)."""
        try:
            return self._live().recv()
        except (EOFError, OSError) as exc:
            raise ChildFailed("the child is gone") from exc

    def close(self) -> None:
        """Tell the child to end (by closing the connection) and wait for it."""
        if self._connection is None:
            return
        self._connection.close()
        self._connection = None
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)

    def _live(self) -> Connection:
        if self._connection is None:
            raise ChildFailed("closed")
        return self._connection


def companion(function: Callable[..., Any], *args: Any) -> Companion | None:
    """Start function(connection, *args) in a forked child that works for this process until
    this process closes the connection (`receive` in the child then raises EOFError), or ends.

    Forked only while this process runs no other thread, as `beside`; None otherwise, or when
    fork is missing or fails. The child ignores Ctrl+C, which reaches the whole process group:
    this process answers it, and closes the connection once the child's work is done.
    """
    if not hasattr(os, "fork") or threading.active_count() > 1 or not _MASKS:
        return None
    from multiprocessing.connection import Pipe

    try:
        ours, theirs = Pipe()
    except OSError:
        return None
    pid, blocked = _fork()
    if pid is None:
        ours.close()
        theirs.close()
        return None
    if pid == 0:
        ours.close()
        code = 1
        try:
            function(theirs, *args)
            code = 0
        except BaseException:  # noqa: BLE001 (the parent sees the connection end: ChildFailed)
            pass
        finally:
            os._exit(code)
    theirs.close()
    signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    return Companion(pid, ours)


def _fork() -> tuple[int | None, set]:
    """fork(); pid None if it failed. Ctrl+C reaches the whole process group: the child must
    ignore it from its first instruction (else Python's own after-fork code may print a
    traceback), so interrupts wait until it has said so, and the parent answers them alone,
    once it lets them through again (signal.pthread_sigmask(SIG_SETMASK, the second value))
    holding what it needs to stop the child. The child also ends with the parent."""
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    parent = os.getpid()
    try:
        pid = os.fork()
    except OSError:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        return None, blocked
    if pid == 0:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        end_with(parent)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    return pid, blocked


def end_with(parent: int) -> None:
    """Have the kernel kill this child when its parent ends (Linux). A child of a build
    killed by kill -9 would otherwise finish its work for nothing, holding the build lock
    it inherited, so that the next build waited for it (a second at 100 000 articles)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the child ends when it next waits
        return
    if os.getppid() != parent:  # the parent ended before prctl took effect
        os._exit(1)


class _Inbox:
    """In a fed child: `receive()` gives the next value the parent sent. (Read by length, not
    to the end of the pipe: worker processes the parent forks later hold its other end too.
    For the same reason a parent that died is noticed by the child's new parent, not by the
    end of the pipe.)

    A thread takes in what the parent sends as soon as it comes, while the child does
    other work (the search child imports numpy: 0.07 s): else the parent's write waited
    for the child to be ready, as soon as what it sent was more than the pipe holds (a
    10 000-article build waited 0.02 s so, with the record of its index files)."""

    def __init__(self, reader: int, parent: int) -> None:
        self._reader, self._parent = reader, parent
        self._data = bytearray()
        self._failed: ChildFailed | None = None
        self._arrived = threading.Condition()
        threading.Thread(target=self._take_in, daemon=True).start()

    def __call__(self) -> Any:
        size = struct.unpack("<Q", self._take(8))[0]
        return marshal.loads(self._take(size))

    def _take(self, size: int) -> bytes:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self._data) >= size or self._failed is not None)
            if len(self._data) < size:
                assert self._failed is not None
                raise self._failed
            taken = bytes(self._data[:size])
            del self._data[:size]
        return taken

    def _take_in(self) -> None:
        failed = None
        while failed is None:
            chunk, failed = self._next_chunk()
            with self._arrived:
                self._data += chunk
                self._failed = failed
                self._arrived.notify()

    def _next_chunk(self) -> tuple[bytes, ChildFailed | None]:
        """What the parent sent next (nothing after a second without), or why no more will
        come. (The pipe failing must fail the child too: this thread's exception would end
        the thread alone, and the child would wait for ever.)"""
        try:
            if not select.select([self._reader], [], [], 1.0)[0]:
                if os.getppid() != self._parent:
                    return b"", ChildFailed("the build that started this child is gone")
                return b"", None
            chunk = os.read(self._reader, _PIPE_BYTES)
        except OSError as exc:
            return b"", ChildFailed(f"the pipe from the build failed ({exc})")
        return chunk, None if chunk else ChildFailed("the build sent no more")


class AnswerFirst(NamedTuple):
    """What a child's function returns to answer before it is done: `answer` is written
    (the parent, reading to the end of the pipe, goes on), then `then()` runs, and the
    child leaves; the parent's reap() waits for that."""

    answer: Any
    then: Callable[[], object]


def _answer(writer: int, function: Callable[..., Any], args: tuple) -> None:
    """In the child: write the result and leave at once, running no cleanup of the
    parent's (its open files, its atexit handlers, its temporary folders are not ours)."""
    code = 1
    try:
        result = function(*args)
        then = None
        if isinstance(result, AnswerFirst):
            result, then = result
        data = marshal.dumps(result)
        with os.fdopen(writer, "wb") as pipe:
            pipe.write(data)
        code = 0
        if then is not None:
            then()
    except BaseException:  # noqa: BLE001 (any failure is the parent's ChildFailed)
        pass
    finally:
        os._exit(code)


def _collect(pid: int, reader: int, reaped: bool = True) -> Any:
    """The child's answer, once it has closed the pipe; the child is waited for unless
    `reaped` is false and the answer is whole (the child writes it only when it has
    succeeded, as its last act: a child killed while writing leaves a cut one)."""
    try:
        with os.fdopen(reader, "rb") as pipe:
            data = pipe.read()
    except BaseException:
        os.waitpid(pid, 0)
        raise
    try:
        answer = marshal.loads(data)
    except (EOFError, ValueError, TypeError) as exc:
        _wait(pid)
        raise ChildFailed("an unreadable answer") from exc
    if reaped:
        _wait(pid)
    return answer


def _wait(pid: int) -> None:
    """Wait for the child to end; ChildFailed unless it ended well."""
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise ChildFailed(f"exit status {os.waitstatus_to_exitcode(status)}")

"""Parent side of code steps: the zygote manager and :func:`run_code`.

Everything here runs in the server's event loop and never blocks it: pipes and the control socket
are non-blocking and driven by ``add_reader``/``add_writer``; process start-up, large JSON encoding
or decoding and the removal of non-empty temporary directories go to a worker thread.

Every byte that comes back from a child is untrusted: frames are parsed defensively, sizes are
capped while reading, and the result items are re-validated here.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from wirework.sandbox import child as _child

Mode = Literal["once", "per_item"]
CodeErrorKind = Literal[
    "syntax", "exception", "timeout", "memory", "output", "invalid_result", "crashed"
]

CHILD_SCRIPT = str(Path(_child.__file__).resolve())
SANDBOX_UID = 65534  # nobody
SANDBOX_GID = 65534  # nogroup

_HEADER_MAX = 512 * 1024
_START_TIMEOUT_S = 20.0
_EXIT_GRACE_S = 5.0
_THREAD_THRESHOLD = 256 * 1024  # bytes of JSON above which (de)serialisation leaves the loop
_NAMESPACE_ARGS = ("--pid", "--fork", "--kill-child", "--mount-proc", "--net")


@dataclass(frozen=True, slots=True)
class CodeLimits:
    """Resource limits of one code step run (the whole step, all items together).

    * ``cpu_time_s`` — CPU seconds (fractions allowed).
    * ``wall_time_s`` — wall-clock seconds from the child's start; the child is killed after it.
    * ``memory_mb`` — memory the code may allocate on top of the interpreter and its input
      (enforced as an address-space limit, so it counts virtual memory).
    * ``output_bytes`` — maximum size of the returned items as JSON plus the captured stdout
      (stdout is truncated to fit; returned items over the limit are an ``output`` error).
    * ``file_size_mb`` — maximum size of one file written in the step's temporary directory.
    """

    cpu_time_s: float = 10.0
    wall_time_s: float = 30.0
    memory_mb: int = 256
    output_bytes: int = 16 * 1024 * 1024
    file_size_mb: int = 64

    def __post_init__(self) -> None:
        for name in ("cpu_time_s", "wall_time_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ValueError(f"CodeLimits.{name} must be a positive number, got {value!r}")
            if value > 24 * 3600:
                raise ValueError(f"CodeLimits.{name} must be at most one day, got {value!r}")
        for name, minimum in (("memory_mb", 8), ("output_bytes", 1024), ("file_size_mb", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(
                    f"CodeLimits.{name} must be an integer >= {minimum}, got {value!r}"
                )
        if self.memory_mb > 1024 * 1024:
            raise ValueError(f"CodeLimits.memory_mb is too large: {self.memory_mb!r}")


DEFAULT_LIMITS = CodeLimits()


@dataclass(frozen=True, slots=True)
class CodeResult:
    """A successful run: the output items, the captured ``print`` output and some accounting."""

    items: list[dict[str, Any]]
    stdout: str = ""
    stdout_truncated: bool = False
    duration_s: float = 0.0
    cpu_time_s: float = 0.0


class CodeError(Exception):
    """A code step failed. ``kind`` says how; ``message`` says what, in the user's terms.

    For ``exception``, ``memory`` and ``syntax`` errors ``traceback`` holds the user's traceback
    (frames of ``<code>`` with line numbers of the snippet; never a frame of the runner) and
    ``line`` the line of the snippet where it happened. ``item_index`` is set in ``per_item``
    mode when the error belongs to one item. ``stdout`` is what the code printed before failing,
    when it could be recovered.
    """

    def __init__(
        self,
        kind: CodeErrorKind,
        message: str,
        *,
        traceback: str | None = None,
        line: int | None = None,
        item_index: int | None = None,
        stdout: str = "",
    ) -> None:
        super().__init__(message)
        self.kind: CodeErrorKind = kind
        self.message = message
        self.traceback = traceback
        self.line = line
        self.item_index = item_index
        self.stdout = stdout

    def __str__(self) -> str:
        if self.traceback:
            return f"{self.message}\n{self.traceback}"
        return self.message

    def __repr__(self) -> str:
        return f"CodeError(kind={self.kind!r}, message={self.message!r})"


def check_code_syntax(code: str, *, mode: Mode = "once") -> str | None:
    """Return ``None`` if ``code`` compiles as a code step, else a message naming the line."""
    try:
        _child.compile_user_code(code, mode)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        message, formatted, _line = _child.describe_compile_error(exc)
        if formatted:
            source = [ln for ln in formatted.splitlines()[1:-1] if ln.strip()]
            if source:
                return f"{message}:\n" + "\n".join(source)
        return message
    return None


# ------------------------------------------------------------------------------ internal classes


class _ZygoteGone(Exception):
    pass


@dataclass(slots=True, eq=False)
class _Exit:
    status: int
    cpu_time_s: float


@dataclass(slots=True, eq=False)
class _Run:
    id: int
    exited: asyncio.Future[_Exit]
    pid: int | None = None
    host_pid: int | None = None
    pidfd: int | None = None
    killed: bool = False
    done: bool = False


def _host_pid(pidfd: int) -> int | None:
    """The pid of a pidfd's process as seen from this process (it may live in a pid namespace)."""
    try:
        with open(f"/proc/self/fdinfo/{pidfd}", encoding="ascii") as info:
            for line in info:
                if line.startswith("Pid:"):
                    pid = int(line.split()[1])
                    return pid if pid > 0 else None
    except (OSError, ValueError, IndexError):
        return None
    return None


def _probe_namespaces(python: str) -> list[str]:
    """The ``unshare`` prefix giving the zygote its own pid/net/mount namespaces, if it works."""
    unshare = shutil.which("unshare", path="/usr/bin:/bin:/usr/sbin:/sbin")
    if unshare is None:
        return []
    argv = [unshare, *_NAMESPACE_ARGS, "--", python, "-I", "-S", "-c", "pass"]
    try:
        probe = subprocess.run(  # noqa: S603 - fixed argv, no shell
            argv,
            env={},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return [unshare, *_NAMESPACE_ARGS, "--"] if probe.returncode == 0 else []


def _stop_zygote(proc: subprocess.Popen[bytes], sock: socket.socket) -> None:
    """Finalizer: close the control socket (the zygote then kills its children and exits)."""
    sock.close()
    try:
        proc.wait(2.0)
    except subprocess.TimeoutExpired:
        proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(2.0)


def _rmtree(path: str) -> None:
    def fix(func: Any, failed: str, _exc: Any) -> None:
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(failed), 0o700)
            func(failed)

    shutil.rmtree(path, onerror=fix)


async def _wait_fd(loop: asyncio.AbstractEventLoop, fd: int, *, write: bool) -> None:
    waiter: asyncio.Future[None] = loop.create_future()

    def ready() -> None:
        if not waiter.done():
            waiter.set_result(None)

    if write:
        loop.add_writer(fd, ready)
    else:
        loop.add_reader(fd, ready)
    try:
        await waiter
    finally:
        if write:
            loop.remove_writer(fd)
        else:
            loop.remove_reader(fd)


async def _write_all(loop: asyncio.AbstractEventLoop, fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            await _wait_fd(loop, fd, write=True)
            continue
        except BrokenPipeError:
            return  # the child stopped reading (it died or gave up); its exit tells the story
        view = view[written:]


def _frame_size(buffer: bytearray) -> int | None:
    """Total size of the frame starting ``buffer`` once its header has arrived, else ``None``."""
    newline = buffer.find(b"\n", 0, _HEADER_MAX)
    if newline < 0:
        return None
    try:
        header = json.loads(bytes(buffer[:newline]))
        lengths = int(header["result_len"]), int(header["stdout_len"])
    except (ValueError, TypeError, KeyError):
        return None
    if min(lengths) < 0:
        return None
    return newline + 1 + sum(lengths)


async def _read_frame(
    loop: asyncio.AbstractEventLoop, fd: int, cap: int
) -> tuple[bytes | None, bool]:
    """Read the child's frame: ``(data, complete)``; ``(None, False)`` past ``cap`` bytes.

    Returns as soon as a whole frame is in (the child may still be exiting), or at EOF.
    """
    buffer = bytearray()
    size: int | None = None
    while True:
        try:
            chunk = os.read(fd, 1 << 20)
        except BlockingIOError:
            await _wait_fd(loop, fd, write=False)
            continue
        if not chunk:
            return bytes(buffer), size is not None and len(buffer) >= size
        buffer += chunk
        if size is None:
            size = _frame_size(buffer)
        if size is not None and len(buffer) >= size:
            return bytes(buffer[:size]), True
        if len(buffer) > cap or (size is not None and size > cap):
            return None, False


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name} in result")


def _decode_items(data: bytes) -> list[dict[str, Any]]:
    items = json.loads(data, parse_constant=_reject_constant)
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ValueError("result is not a list of objects")
    return items


def _encode_request(code: str, mode: str, items: list[dict[str, Any]]) -> bytes:
    return json.dumps(
        {"code": code, "mode": mode, "items": items},
        ensure_ascii=False,
        allow_nan=False,
        separators=(",", ":"),
    ).encode("utf-8", "surrogatepass")


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


# ----------------------------------------------------------------------------------- the runner


class CodeRunner:
    """Runs code steps in forks of a lazily started, long-lived, clean zygote process.

    One runner serves one event loop (it re-creates its zygote if used from another one). It is
    safe to call :meth:`run` concurrently; each run gets its own child, pipes and temporary
    directory. ``uid``/``gid`` default to ``nobody``/``nogroup`` when the server runs as root and
    to no change otherwise.
    """

    def __init__(
        self,
        *,
        uid: int | None = None,
        gid: int | None = None,
        namespaces: bool = True,
        python: str | None = None,
    ) -> None:
        is_root = os.geteuid() == 0
        self._uid = uid if uid is not None else (SANDBOX_UID if is_root else None)
        self._gid = gid if gid is not None else (SANDBOX_GID if self._uid is not None else None)
        self._want_namespaces = namespaces and is_root
        self._python = python or sys.executable
        self._prefix: list[str] | None = None
        self._loop_ref: weakref.ref[asyncio.AbstractEventLoop] | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._ready: asyncio.Future[dict[str, Any]] | None = None
        self._is_ready = False
        self._starting: asyncio.Future[None] | None = None
        self._start_task: asyncio.Future[None] | None = None
        self._base_dir: str | None = None
        self._runs: dict[int, _Run] = {}
        self._ids = itertools.count(1)
        self._writable: asyncio.Future[None] | None = None
        self._background: set[asyncio.Future[Any]] = set()
        self._zygote_finalizer: weakref.finalize[Any, Any] | None = None
        self._base_finalizer: weakref.finalize[Any, Any] | None = None

    # -- introspection (tests, health checks) ------------------------------------------------

    @property
    def zygote_pid(self) -> int | None:
        """Host pid of the zygote's top process (``unshare`` when namespaces are used)."""
        proc = self._proc
        return proc.pid if proc is not None and proc.returncode is None else None

    @property
    def is_running(self) -> bool:
        """Whether the zygote is up (it is started lazily and restarted after it dies)."""
        return self._is_ready and self._sock is not None

    @property
    def uses_namespaces(self) -> bool:
        return bool(self._prefix)

    @property
    def drops_privileges(self) -> bool:
        return self._uid is not None

    def active_pids(self) -> frozenset[int]:
        """Host pids of the children currently running code."""
        return frozenset(
            run.host_pid for run in self._runs.values() if run.host_pid and not run.done
        )

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the zygote now (it is otherwise started by the first run)."""
        loop = asyncio.get_running_loop()
        if self._loop_ref is not None and self._loop_ref() is not loop:
            self._discard_zygote()  # used from another event loop: start afresh for this one
            self._starting = self._start_task = None
        if self._is_ready and self._sock is not None:
            return
        starting = self._starting
        if starting is None:
            starting = self._starting = loop.create_future()
            self._start_task = asyncio.ensure_future(self._start(loop))
            self._start_task.add_done_callback(self._start_done)
        await asyncio.shield(starting)

    def _start_done(self, task: asyncio.Future[None]) -> None:
        starting, self._starting, self._start_task = self._starting, None, None
        if starting is None or starting.done():
            return
        if task.cancelled():
            starting.set_exception(CodeError("crashed", "the code sandbox start was cancelled"))
        elif (exc := task.exception()) is not None:
            starting.set_exception(exc)
        else:
            starting.set_result(None)
            return
        starting.exception()  # retrieved here; every waiter still gets it

    async def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop_ref = weakref.ref(loop)
        if self._prefix is None:
            self._prefix = (
                await asyncio.to_thread(_probe_namespaces, self._python)
                if self._want_namespaces
                else []
            )
        self._ensure_base_dir()
        parent_sock, child_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        argv = [
            *self._prefix,
            self._python,
            "-I",
            "-S",
            "-B",
            "-X",
            "utf8",
            CHILD_SCRIPT,
            str(child_sock.fileno()),
        ]
        try:
            proc = await asyncio.to_thread(
                subprocess.Popen,
                argv,
                pass_fds=(child_sock.fileno(),),
                env={},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                cwd="/",
                start_new_session=True,
            )
        except OSError as exc:
            parent_sock.close()
            raise CodeError("crashed", f"could not start the code sandbox: {exc}") from exc
        finally:
            child_sock.close()
        parent_sock.setblocking(False)
        self._proc = proc
        self._sock = parent_sock
        # If the runner is dropped (its loop went away) or at interpreter exit: stop the zygote.
        self._zygote_finalizer = weakref.finalize(self, _stop_zygote, proc, parent_sock)
        self._ready = loop.create_future()
        loop.add_reader(parent_sock.fileno(), self._on_control)
        try:
            await asyncio.wait_for(asyncio.shield(self._ready), _START_TIMEOUT_S)
        except BaseException as exc:
            self._discard_zygote()
            if isinstance(exc, (TimeoutError, _ZygoteGone)):
                raise CodeError("crashed", "the code sandbox did not start") from exc
            raise
        self._ready = None
        self._is_ready = True

    async def shutdown(self) -> None:
        """Stop the zygote (killing any running child) and remove the temporary directories."""
        proc = self._proc
        self._close_sync(wait=False)
        if proc is not None:
            try:
                await asyncio.to_thread(proc.wait, _EXIT_GRACE_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                await asyncio.to_thread(proc.wait)
        while self._background:  # reaping and clean-up of finished runs
            await asyncio.gather(*list(self._background), return_exceptions=True)
        self._proc = None
        base, self._base_dir = self._base_dir, None
        if self._base_finalizer is not None:
            self._base_finalizer.detach()
            self._base_finalizer = None
        if base is not None:
            await asyncio.to_thread(_rmtree, base)

    def _close_sync(self, *, wait: bool = True) -> None:
        """Close the control socket (the zygote then kills its children and exits)."""
        loop = self._loop_ref() if self._loop_ref is not None else None
        sock, self._sock = self._sock, None
        if self._zygote_finalizer is not None:
            self._zygote_finalizer.detach()
            self._zygote_finalizer = None
        if sock is not None:
            if loop is not None and not loop.is_closed():
                with contextlib.suppress(Exception):
                    loop.remove_reader(sock.fileno())
                    loop.remove_writer(sock.fileno())
            sock.close()
        self._is_ready = False
        self._fail_runs()
        ready, self._ready = self._ready, None
        if ready is not None and not ready.done():
            with contextlib.suppress(RuntimeError):  # its loop may be closed already
                ready.set_exception(_ZygoteGone())
                ready.exception()
        proc = self._proc
        if proc is not None and wait:
            try:
                proc.wait(1.0)
            except subprocess.TimeoutExpired:
                proc.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(1.0)
        if proc is not None and proc.returncode is not None:
            self._proc = None

    def _fail_runs(self) -> None:
        for run in list(self._runs.values()):
            self._kill(run, via_zygote=False)
            if not run.exited.done():
                with contextlib.suppress(RuntimeError):  # its loop may be closed already
                    run.exited.set_exception(_ZygoteGone())
                    run.exited.exception()

    # -- control socket -------------------------------------------------------------------------

    def _on_control(self) -> None:
        sock = self._sock
        if sock is None:
            return
        while True:
            try:
                data, fds, _flags, _addr = socket.recv_fds(
                    sock, 65536, 4, getattr(socket, "MSG_CMSG_CLOEXEC", 0)
                )
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data, fds = b"", []
            if not data and not fds:
                self._on_zygote_gone()
                return
            try:
                message = json.loads(data)
                if not isinstance(message, dict):
                    raise ValueError("not an object")
            except ValueError:
                for fd in fds:
                    os.close(fd)
                continue
            self._dispatch(message, fds)

    def _dispatch(self, message: dict[str, Any], fds: list[int]) -> None:
        """Handle one zygote message; takes ownership of ``fds`` (closes what it keeps not)."""
        op = message.get("op")
        pidfd = fds[0] if op == "started" and fds else None
        for fd in fds:
            if fd != pidfd:
                os.close(fd)
        run_id = message.get("id")
        run = self._runs.get(run_id) if isinstance(run_id, int) else None
        if op == "ready":
            if self._ready is not None and not self._ready.done():
                self._ready.set_result(message)
            return
        if op == "started":
            pid = message.get("pid")
            if run is None or run.done or not isinstance(pid, int):
                if pidfd is not None:
                    os.close(pidfd)
                return
            run.pid = pid
            run.pidfd = pidfd
            run.host_pid = (_host_pid(pidfd) if pidfd is not None else None) or (
                None if self._prefix else run.pid
            )
            if run.killed:
                self._kill(run)
            return
        if run is None or run.exited.done():
            return
        if op == "exit":
            status, cpu = message.get("status"), message.get("cpu")
            run.exited.set_result(
                _Exit(
                    status if isinstance(status, int) else -1,
                    float(cpu) if isinstance(cpu, int | float) else 0.0,
                )
            )
        elif op == "failed":
            run.exited.set_exception(
                CodeError("crashed", f"could not start the code process: {message.get('error')}")
            )

    def _on_zygote_gone(self) -> None:
        self._discard_zygote()

    def _discard_zygote(self) -> None:
        """Forget the zygote without blocking: close its socket, kill it if it lingers."""
        self._close_sync(wait=False)
        proc = self._proc
        if proc is not None:
            proc.poll()
            if proc.returncode is not None:
                self._proc = None
            else:  # the socket died but the process did not: make sure it goes away
                proc.kill()
                self._proc = None
                # Without a running loop, subprocess' own bookkeeping reaps it later.
                with contextlib.suppress(RuntimeError):
                    self._spawn_background(asyncio.to_thread(proc.wait))

    def _spawn_background(self, awaitable: Any) -> None:
        future = asyncio.ensure_future(awaitable)
        self._background.add(future)
        future.add_done_callback(self._background_done)

    def _background_done(self, future: asyncio.Future[Any]) -> None:
        self._background.discard(future)
        if not future.cancelled():
            future.exception()

    async def _send(self, message: dict[str, Any], fds: list[int] | None = None) -> None:
        data = json.dumps(message, separators=(",", ":")).encode()
        loop = asyncio.get_running_loop()
        while True:
            sock = self._sock
            if sock is None:
                raise _ZygoteGone()
            try:
                if fds:
                    socket.send_fds(sock, [data], fds)
                else:
                    sock.send(data)
                return
            except BlockingIOError:
                if self._writable is None or self._writable.done():
                    self._writable = loop.create_future()
                    self._spawn_background(self._wait_writable(loop, sock, self._writable))
                await asyncio.shield(self._writable)
            except OSError as exc:
                raise _ZygoteGone() from exc

    @staticmethod
    async def _wait_writable(
        loop: asyncio.AbstractEventLoop, sock: socket.socket, done: asyncio.Future[None]
    ) -> None:
        try:
            await _wait_fd(loop, sock.fileno(), write=True)
        finally:
            if not done.done():
                done.set_result(None)

    def _kill(self, run: _Run, *, via_zygote: bool = True) -> None:
        """SIGKILL the run's child: by pidfd when we have one (race-free), else via the zygote
        (its parent, so never a recycled pid). A kill before "started" is replayed on it."""
        run.killed = True
        if run.pidfd is not None:
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(run.pidfd, signal.SIGKILL)
            return
        if run.pid is not None and not self._prefix and not via_zygote:
            # No pidfd, the zygote is gone: best effort by pid (its children were not reaped).
            with contextlib.suppress(OSError):
                os.kill(run.pid, signal.SIGKILL)
        if via_zygote and self._sock is not None:
            data = json.dumps({"op": "kill", "id": run.id}).encode()
            try:
                self._sock.send(data)
            except BlockingIOError:
                self._spawn_background(self._send({"op": "kill", "id": run.id}))
            except OSError:
                pass

    async def _await_exit(self, run: _Run, grace_s: float) -> _Exit | None:
        try:
            return await asyncio.wait_for(asyncio.shield(run.exited), grace_s)
        except (TimeoutError, _ZygoteGone, CodeError):
            return None

    # -- running code ---------------------------------------------------------------------------

    async def run(
        self,
        code: str,
        *,
        mode: Mode,
        items: list[dict[str, Any]],
        limits: CodeLimits | None = None,
    ) -> CodeResult:
        """Run ``code`` over ``items`` in a fresh sandboxed child; see :func:`run_code`."""
        if mode not in get_args(Mode):
            raise ValueError(f"mode must be 'once' or 'per_item', not {mode!r}")
        if not isinstance(code, str):
            raise TypeError("code must be a str")
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise TypeError("items must be a list of dicts")
        limits = limits or DEFAULT_LIMITS
        if len(items) > 64:
            payload = await asyncio.to_thread(_encode_request, code, mode, items)
        else:
            payload = _encode_request(code, mode, items)
        for attempt in range(2):
            await self.start()
            try:
                return await self._run_once(payload, limits)
            except _ZygoteGone:
                if attempt:
                    break
        raise CodeError("crashed", "the code sandbox is not available")

    async def _run_once(self, payload: bytes, limits: CodeLimits) -> CodeResult:
        loop = asyncio.get_running_loop()
        run = _Run(id=next(self._ids), exited=loop.create_future())
        tmp = self._make_tmp()
        req_r, req_w = os.pipe2(os.O_CLOEXEC)
        res_r, res_w = os.pipe2(os.O_CLOEXEC)
        os.set_blocking(req_w, False)
        os.set_blocking(res_r, False)
        owned = [req_w, res_r]
        self._runs[run.id] = run
        started = loop.time()
        spawned = False
        deadline = started + limits.wall_time_s
        try:
            try:
                await self._send(
                    {
                        "op": "spawn",
                        "id": run.id,
                        "tmp": tmp,
                        "uid": self._uid,
                        "gid": self._gid,
                        "limits": {
                            "cpu_time_s": limits.cpu_time_s,
                            "wall_time_s": limits.wall_time_s,
                            "memory_mb": limits.memory_mb,
                            "output_bytes": limits.output_bytes,
                            "file_size_mb": limits.file_size_mb,
                        },
                    },
                    [req_r, res_w],
                )
                spawned = True
            finally:
                os.close(req_r)
                os.close(res_w)
            frame, timed_out, exit_info = await self._exchange(run, payload, owned, limits)
            return self._interpret(frame, exit_info, timed_out, limits, loop.time() - started)
        except _ZygoteGone:
            if not spawned:
                raise
            raise CodeError(
                "crashed", "the code sandbox process died while the code was running"
            ) from None
        except BaseException as exc:
            if spawned and not run.exited.done() and not isinstance(exc, CodeError):
                self._kill(run)  # cancellation or an internal error: the child must not survive
                await self._await_exit(run, _EXIT_GRACE_S)
            raise
        finally:
            run.done = True
            for fd in owned:
                with contextlib.suppress(OSError):
                    os.close(fd)
            if spawned and not run.exited.done():
                # The frame is in and the child is on its way out (or was just killed): reap it
                # and clean up off the caller's path, but never leave it running.
                self._kill(run)
                self._spawn_background(self._finish(run, tmp, deadline))
            else:
                self._forget(run, tmp)

    async def _finish(self, run: _Run, tmp: str, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        try:
            if await self._await_exit(run, _EXIT_GRACE_S) is None:
                self._kill(run)
                await self._await_exit(run, max(deadline - loop.time(), 0) + _EXIT_GRACE_S)
        finally:
            self._forget(run, tmp)

    def _forget(self, run: _Run, tmp: str) -> None:
        self._runs.pop(run.id, None)
        if run.pidfd is not None:
            os.close(run.pidfd)
            run.pidfd = None
        self._remove_tmp(tmp)

    async def _exchange(
        self, run: _Run, payload: bytes, owned: list[int], limits: CodeLimits
    ) -> tuple[bytes | None, bool, _Exit | None]:
        """Send the request and read the frame; ``owned`` is ``[req_w, res_r]``.

        Returns ``(frame, timed_out, exit)``. A complete frame is returned without waiting for
        the child's exit (``exit`` is then ``None``); otherwise the exit status is awaited so
        the failure can be classified.
        """
        loop = asyncio.get_running_loop()
        req_w, res_r = owned
        deadline = loop.time() + limits.wall_time_s
        frame: bytes | None = None
        try:
            async with asyncio.timeout_at(deadline):
                await _write_all(loop, req_w, payload)
                owned.remove(req_w)
                os.close(req_w)  # EOF for the child
                frame, complete = await _read_frame(loop, res_r, limits.output_bytes + _HEADER_MAX)
                if frame is None:  # only a misbehaving child can get here
                    self._kill(run)
                    await self._await_exit(run, _EXIT_GRACE_S)
                    raise CodeError(
                        "output",
                        f"the code produced more than the output limit of {limits.output_bytes} "
                        "bytes",
                    )
                if complete:
                    return frame, False, None
                exit_info = await asyncio.shield(run.exited)
        except TimeoutError:
            self._kill(run)
            return frame, True, await self._await_exit(run, _EXIT_GRACE_S)
        return frame, False, exit_info

    def _ensure_base_dir(self) -> str:
        base = self._base_dir
        if base is None or not os.path.isdir(base):
            base = self._base_dir = tempfile.mkdtemp(prefix="wirework-sandbox-")
            if self._base_finalizer is not None:
                self._base_finalizer.detach()
            self._base_finalizer = weakref.finalize(self, shutil.rmtree, base, True)
            if self._uid is not None:
                # Children (another uid) may enter their own directory in it, never list it.
                os.chmod(base, 0o711)  # noqa: S103
        return base

    def _make_tmp(self) -> str:
        path = tempfile.mkdtemp(dir=self._ensure_base_dir())
        if self._uid is not None:
            os.chown(path, self._uid, self._gid if self._gid is not None else -1)
        return path

    def _remove_tmp(self, path: str) -> None:
        try:
            os.rmdir(path)
        except FileNotFoundError:
            pass
        except OSError:  # not empty: the code wrote files; remove them off the loop
            self._spawn_background(asyncio.to_thread(_rmtree, path))

    # -- interpreting the outcome ---------------------------------------------------------------

    def _interpret(
        self,
        frame: bytes | None,
        exit_info: _Exit | None,
        timed_out: bool,
        limits: CodeLimits,
        duration: float,
    ) -> CodeResult:
        cpu = exit_info.cpu_time_s if exit_info is not None else 0.0
        if timed_out:
            raise CodeError(
                "timeout",
                f"the code exceeded its wall-clock time limit of {limits.wall_time_s:g} s",
            )
        parsed = _parse_frame(frame) if frame else None
        if parsed is not None:
            header, result, stdout_bytes = parsed
            stdout = stdout_bytes.decode("utf-8", "replace")
            if header.get("ok") is True:
                try:
                    items = _decode_items(result)
                except (ValueError, RecursionError) as exc:
                    raise CodeError(
                        "crashed", f"the code process returned malformed data: {exc}"
                    ) from None
                reported_cpu = header.get("cpu")
                return CodeResult(
                    items=items,
                    stdout=stdout,
                    stdout_truncated=bool(header.get("stdout_truncated")),
                    duration_s=duration,
                    cpu_time_s=float(reported_cpu)
                    if isinstance(reported_cpu, int | float) and reported_cpu >= 0
                    else cpu,
                )
            kind = header.get("kind")
            if kind in _child.ERROR_KINDS and isinstance(header.get("message"), str):
                raise CodeError(
                    kind,
                    header["message"],
                    traceback=_opt_str(header.get("traceback")),
                    line=_opt_int(header.get("line")),
                    item_index=_opt_int(header.get("item_index")),
                    stdout=stdout,
                )
        if exit_info is None:
            raise CodeError("crashed", "the code process ended without a result")
        status = exit_info.status
        if os.WIFSIGNALED(status):
            signum = os.WTERMSIG(status)
            if signum in (signal.SIGPROF, signal.SIGXCPU) or (
                signum == signal.SIGKILL and cpu >= limits.cpu_time_s
            ):
                raise CodeError(
                    "timeout", f"the code exceeded its CPU time limit of {limits.cpu_time_s:g} s"
                )
            if signum == signal.SIGALRM:
                raise CodeError(
                    "timeout",
                    f"the code exceeded its wall-clock time limit of {limits.wall_time_s:g} s",
                )
            hint = " (out of memory or stack?)" if signum in (signal.SIGSEGV, signal.SIGBUS) else ""
            raise CodeError(
                "crashed", f"the code process was killed by {_signal_name(signum)}{hint}"
            )
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
        if code == _child.EXIT_MEMORY:
            raise CodeError("memory", f"the code ran out of memory (limit: {limits.memory_mb} MB)")
        raise CodeError(
            "crashed", f"the code process exited (status {code}) without returning a result"
        )


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _opt_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _parse_frame(frame: bytes) -> tuple[dict[str, Any], bytes, bytes] | None:
    newline = frame.find(b"\n", 0, _HEADER_MAX)
    if newline < 0:
        return None
    try:
        header = json.loads(frame[:newline])
    except ValueError:
        return None
    if not isinstance(header, dict):
        return None
    result_len, stdout_len = header.get("result_len"), header.get("stdout_len")
    if not isinstance(result_len, int) or not isinstance(stdout_len, int):
        return None
    body = frame[newline + 1 :]
    if result_len < 0 or stdout_len < 0 or result_len + stdout_len != len(body):
        return None
    return header, body[:result_len], body[result_len:]


# ------------------------------------------------------------------------ module-level defaults

_DEFAULT_RUNNERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CodeRunner] = (
    weakref.WeakKeyDictionary()
)


def default_runner() -> CodeRunner:
    """The runner :func:`run_code` uses for the running event loop (created on first use)."""
    loop = asyncio.get_running_loop()
    runner = _DEFAULT_RUNNERS.get(loop)
    if runner is None:
        runner = _DEFAULT_RUNNERS[loop] = CodeRunner()
    return runner


async def run_code(
    code: str,
    *,
    mode: Mode,
    items: list[dict[str, Any]],
    limits: CodeLimits | None = None,
) -> CodeResult:
    """Run user ``code`` (the body of a function) in a sandboxed child process.

    ``once``: the code sees ``items`` and returns a list of dicts or one dict. ``per_item``: it
    runs once per item (all in the same child) with ``item`` and ``index`` and returns a dict, or
    ``None`` to drop the item. Raises :class:`CodeError` on any failure of the code.
    """
    return await default_runner().run(code, mode=mode, items=items, limits=limits)


async def shutdown() -> None:
    """Stop the running loop's default sandbox (it restarts lazily if used again)."""
    runner = _DEFAULT_RUNNERS.pop(asyncio.get_running_loop(), None)
    if runner is not None:
        await runner.shutdown()

"""The sandbox side of code steps: the zygote (template process) and the child it forks per run.

This file is run as a script by the runner (``python -I -S -B -X utf8 child.py CONTROL_FD``) and
must therefore import nothing but the standard library. The runner also imports it as a module
(``wirework.sandbox.child``) for the shared pieces: :func:`compile_user_code`, the allow-list of
modules and the protocol constants. Importing it has no side effects.

Process model:

* The **zygote** starts once, pre-imports the modules user code may use, warms their lazy imports,
  freezes the GC and then waits on its control socket. It runs no user code, ever, so it stays
  clean. For each ``spawn`` message (carrying the child's two pipe ends by ``SCM_RIGHTS``) it
  forks a child, reports its pid (and a pidfd) and, when the child exits, its wait status and
  CPU time. It is the only process that reaps the children, so a ``kill`` it performs can never hit
  a recycled pid. On EOF of the control socket (the server went away) it kills its children and
  exits.
* The **child** detaches (new session), keeps only fds 0-2 (``/dev/null``), 3 (request pipe) and 4
  (result pipe), enters a fresh temporary directory, applies rlimits and timers, drops to the
  unprivileged uid/gid, reads the request, compiles the user code, installs the audit hook and the
  import guard, runs the code and writes one result frame on fd 4, then ``_exit``s.

Result frame: one line of JSON (the header), then ``result_len`` bytes of JSON (the items) and
``stdout_len`` bytes of UTF-8 (captured ``print`` output).
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import json
import linecache
import math
import os
import reprlib
import sys
import traceback
import types
from collections.abc import Callable
from typing import Any, NoReturn

CODE_FILENAME = "<code>"
_FUNC_NAME = "<code>"  # not an identifier: user code can never shadow or reach it by name
MAX_CODE_CHARS = 1_000_000

REQ_FD = 3
RES_FD = 4
FD_CEILING = 1024  # the zygote keeps its fds below this; children close everything from 5 up
_fd_ceiling = FD_CEILING  # lowered by the zygote if its hard RLIMIT_NOFILE is smaller
CHILD_NOFILE = 64

EXIT_OK = 0
EXIT_MEMORY = 3  # ran out of memory even while reporting it
EXIT_SETUP = 4  # sandbox setup failed (a frame explaining why was written if possible)
EXIT_INTERNAL = 5

MIB = 1024 * 1024
_RESERVE_BYTES = 2 * MIB  # released on MemoryError so the error can still be reported
_MAX_TRACEBACK_CHARS = 32_000
_MAX_MESSAGE_CHARS = 2_000
_MAX_NESTING = 400

ERROR_KINDS = frozenset(
    {"syntax", "exception", "timeout", "memory", "output", "invalid_result", "crashed"}
)

#: Modules user code may import (all pre-imported by the zygote; nothing else can be imported).
ALLOWED_MODULES: frozenset[str] = frozenset(
    {
        "base64",
        "binascii",
        "bisect",
        "calendar",
        "cmath",
        "collections",
        "collections.abc",
        "copy",
        "csv",
        "dataclasses",
        "datetime",
        "decimal",
        "difflib",
        "enum",
        "fractions",
        "functools",
        "hashlib",
        "heapq",
        "hmac",
        "html",
        "io",
        "ipaddress",
        "itertools",
        "json",
        "math",
        "numbers",
        "operator",
        "pprint",
        "random",
        "re",
        "secrets",
        "statistics",
        "string",
        "struct",
        "textwrap",
        "time",
        "typing",
        "unicodedata",
        "urllib",
        "urllib.parse",
        "uuid",
        "xml",
        "xml.etree",
        "xml.etree.ElementTree",
        "zlib",
        "zoneinfo",
    }
)

# Audit events refused in the child once it is locked down (exact names and prefixes).
_DENIED_EVENTS = frozenset(
    {
        "builtins.breakpoint",
        "builtins.input",
        "code.__new__",
        "gc.get_objects",
        "gc.get_referents",
        "gc.get_referrers",
        "os.add_dll_directory",
        "os.chdir",
        "os.chflags",
        "os.chown",
        "os.fork",
        "os.forkpty",
        "os.fwalk",
        "os.kill",
        "os.killpg",
        "os.lockf",
        "os.posix_spawn",
        "os.putenv",
        "os.startfile",
        "os.system",
        "os.unsetenv",
        "pickle.find_class",
        "signal.pthread_kill",
        "subprocess.Popen",
        "sys.addaudithook",
        "sys._current_exceptions",
        "sys._current_frames",
    }
)
_DENIED_PREFIXES = (
    "_winapi.",
    "cpython.",
    "ctypes.",
    "fcntl.",
    "ftplib.",
    "glob.",
    "http.",
    "imaplib.",
    "marshal.",
    "mmap.",
    "msvcrt.",
    "nntplib.",
    "os.exec",
    "os.spawn",
    "poplib.",
    "pty.",
    "resource.",
    "shutil.",
    "smtplib.",
    "socket.",
    "sqlite3.",
    "subprocess.",
    "syslog.",
    "telnetlib.",
    "tempfile.",
    "urllib.",
    "webbrowser.",
    "winreg.",
)
# Events whose path arguments must lie inside the run's temporary directory.
_PATH_EVENTS: dict[str, tuple[int, ...]] = {
    "os.chmod": (0,),
    "os.getxattr": (0,),
    "os.link": (0, 1),
    "os.listdir": (0,),
    "os.listxattr": (0,),
    "os.mkdir": (0,),
    "os.remove": (0,),
    "os.removexattr": (0,),
    "os.rename": (0, 1),
    "os.rmdir": (0,),
    "os.scandir": (0,),
    "os.setxattr": (0,),
    "os.symlink": (0, 1),
    "os.truncate": (0,),
    "os.utime": (0,),
}
# Positions of dir_fd-style arguments (paths relative to an fd defeat the path check).
_DIR_FD_ARGS: dict[str, tuple[int, ...]] = {
    "os.chmod": (2,),
    "os.link": (2, 3),
    "os.mkdir": (2,),
    "os.remove": (1,),
    "os.rename": (2, 3),
    "os.rmdir": (1,),
    "os.symlink": (2,),
    "os.utime": (3,),
}


# --------------------------------------------------------------------------- compiling user code


def compile_user_code(code: str, mode: str) -> types.CodeType:
    """Compile ``code`` as the body of a function (``items`` or ``item, index`` parameters).

    Line numbers and the filename (``<code>``) refer to the user's snippet exactly: the snippet is
    parsed as is and its statements are moved into a synthesised function node, never re-indented.
    Raises :class:`SyntaxError` (or :class:`ValueError` for a null byte) on invalid code.
    """
    if len(code) > MAX_CODE_CHARS:
        raise ValueError(
            f"the code is {len(code)} characters long, over the limit of {MAX_CODE_CHARS}"
        )
    params = ["items"] if mode == "once" else ["item", "index"]
    tree = ast.parse(code, filename=CODE_FILENAME, mode="exec")
    body: list[ast.stmt] = tree.body or [ast.Pass(lineno=1, col_offset=0)]
    func = ast.FunctionDef(
        name=_FUNC_NAME,
        args=ast.arguments(
            posonlyargs=[],
            args=[ast.arg(arg=name) for name in params],
            vararg=None,
            kwonlyargs=[],
            kw_defaults=[],
            kwarg=None,
            defaults=[],
        ),
        body=body,
        decorator_list=[],
        returns=None,
        type_comment=None,
        lineno=1,
        col_offset=0,
    )
    module = ast.Module(body=[func], type_ignores=[])
    ast.fix_missing_locations(module)
    return compile(module, CODE_FILENAME, "exec", dont_inherit=True)


def describe_compile_error(exc: BaseException) -> tuple[str, str | None, int | None]:
    """(message, formatted error, line) for an error raised by :func:`compile_user_code`."""
    if isinstance(exc, SyntaxError):
        line = exc.lineno
        where = f" (line {line})" if line else ""
        message = f"{type(exc).__name__}: {exc.msg}{where}"
        if exc.filename != CODE_FILENAME:  # raised for something else than the snippet itself
            return message, None, line
        formatted = "".join(traceback.format_exception_only(type(exc), exc)).rstrip("\n")
        return message, formatted, line
    if isinstance(exc, ValueError):
        text = str(exc)
        if "null" in text:
            text = "the code contains a null byte"
        return f"SyntaxError: {text}", None, None
    if isinstance(exc, (RecursionError, MemoryError)):
        return "SyntaxError: the code is too deeply nested or too large to compile", None, None
    return f"{type(exc).__name__}: {exc}", None, None


# --------------------------------------------------------------------------------- small helpers


_repr = reprlib.Repr()
_repr.maxstring = 60
_repr.maxother = 60
_repr.maxlist = 5
_repr.maxdict = 5


def _describe(value: object) -> str:
    kind = type(value)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    if value is None:
        return "None"
    try:
        shown = _repr.repr(value)
    except BaseException:  # a user-defined __repr__ may do anything
        shown = "<unprintable>"
    return f"a value of type {name} ({shown})"


def _fmt_bytes(n: int) -> str:
    if n >= MIB:
        return f"{n / MIB:.1f} MiB"
    if n >= 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n} bytes"


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n… [{len(text) - limit} characters omitted] …\n{text[-half:]}"


class _InvalidResult(Exception):
    pass


def _find_unserialisable(value: object, path: str) -> str | None:
    """Name the first part of ``value`` that JSON cannot represent (used only after a failure)."""
    seen: set[int] = set()

    def walk(node: object, where: str, depth: int) -> str | None:
        if node is None or isinstance(node, (str, bool, int)):
            return None
        if isinstance(node, float):
            return None if math.isfinite(node) else f"{where} is a non-finite float ({node!r})"
        if depth > _MAX_NESTING:
            return f"{where} is nested more than {_MAX_NESTING} levels deep"
        if isinstance(node, (dict, list, tuple)):
            if id(node) in seen:
                return f"{where} is a circular reference"
            seen.add(id(node))
            if isinstance(node, dict):
                for key, item in node.items():
                    if not (key is None or isinstance(key, (str, int, float, bool))):
                        return f"{where} has a key that is {_describe(key)}"
                    found = walk(item, f"{where}[{key!r}]", depth + 1)
                    if found:
                        return found
            else:
                for index, item in enumerate(node):
                    found = walk(item, f"{where}[{index}]", depth + 1)
                    if found:
                        return found
            seen.discard(id(node))
            return None
        return f"{where} is {_describe(node)}, which is not JSON-serialisable"

    return walk(value, path, 0)


def _dump_items(items: list[dict[str, Any]], origins: list[int], mode: str) -> bytes:
    try:
        return json.dumps(items, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode(
            "utf-8", "surrogatepass"
        )
    except MemoryError:
        raise
    except Exception as exc:
        for position, item in enumerate(items):
            problem = _find_unserialisable(item, "item")
            if problem:
                what = (
                    f"returned item {position}"
                    if mode == "once"
                    else f"the dict returned for item {origins[position]}"
                )
                raise _InvalidResult(f"{what} cannot be stored as JSON: {problem}") from None
        raise _InvalidResult(f"the returned data cannot be stored as JSON: {exc}") from None


def _check_once(result: object) -> list[dict[str, Any]]:
    expected = "in 'once' mode the code must return a list of dicts or a single dict"
    if isinstance(result, dict):
        return [result]
    if isinstance(result, (list, tuple)):
        for index, element in enumerate(result):
            if not isinstance(element, dict):
                raise _InvalidResult(
                    f"the code returned a list whose element {index} is {_describe(element)}; "
                    f"{expected}"
                )
        return list(result)
    if result is None:
        raise _InvalidResult(f"the code returned None (is a `return` missing?); {expected}")
    raise _InvalidResult(f"the code returned {_describe(result)}; {expected}")


class _Capture:
    """``sys.stdout``/``sys.stderr`` replacement keeping at most ``limit`` bytes of UTF-8."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, limit: int) -> None:
        self._parts: list[bytes] = []
        self._size = 0
        self._limit = limit
        self.truncated = False

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        room = self._limit - self._size
        if room <= 0:
            self.truncated = self.truncated or bool(text)
            return len(text)
        data = text.encode("utf-8", "replace")
        if len(data) > room:
            data = data[:room]
            self.truncated = True
        self._parts.append(data)
        self._size += len(data)
        return len(text)

    def flush(self) -> None:
        return None

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def value(self, budget: int) -> tuple[bytes, bool]:
        data = b"".join(self._parts)
        truncated = self.truncated
        if len(data) > budget:
            data = data[: max(budget, 0)]
            truncated = True
        # never cut a UTF-8 sequence in half
        data = data.decode("utf-8", "ignore").encode("utf-8") if truncated else data
        return data, truncated


# ------------------------------------------------------------------------------------ the frame


def _frame(header: dict[str, Any], result: bytes = b"", stdout: bytes = b"") -> bytes:
    header = {**header, "result_len": len(result), "stdout_len": len(stdout)}
    head = json.dumps(header, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    return head + b"\n" + result + stdout


def _error_frame(
    kind: str,
    message: str,
    capture: _Capture | None = None,
    *,
    budget: int = 0,
    tb: str | None = None,
    line: int | None = None,
    item_index: int | None = None,
) -> bytes:
    stdout, truncated = capture.value(budget) if capture is not None else (b"", False)
    header = {
        "ok": False,
        "kind": kind,
        "message": _clip(message, _MAX_MESSAGE_CHARS),
        "traceback": _clip(tb, _MAX_TRACEBACK_CHARS) if tb else None,
        "line": line,
        "item_index": item_index,
        "stdout_truncated": truncated,
    }
    return _frame(header, b"", stdout)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _read_all(fd: int) -> bytes:
    chunks: list[bytes] = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


# ----------------------------------------------------------------------- running the user's code


def _user_traceback(exc: BaseException) -> tuple[str, int | None]:
    """The traceback of ``exc`` without any frame of this runner, and the last user line."""
    this_file = os.path.abspath(__file__) if "__file__" in globals() else ""

    te = traceback.TracebackException(type(exc), exc, exc.__traceback__, compact=True)
    pending = [te]
    done: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in done:
            continue
        done.add(id(current))
        frames = [
            f for f in current.stack if not (this_file and os.path.abspath(f.filename) == this_file)
        ]
        current.stack = traceback.StackSummary.from_list(frames)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    user_lines = [f.lineno for f in te.stack if f.filename == CODE_FILENAME]
    if isinstance(exc, SyntaxError) and exc.filename == CODE_FILENAME:
        user_lines.append(exc.lineno or 0)
    text = "".join(te.format()).rstrip("\n")
    return text, (user_lines[-1] or None) if user_lines else None


def _where(item_index: int | None, line: int | None) -> str:
    parts = []
    if item_index is not None:
        parts.append(f"item {item_index}")
    if line is not None:
        parts.append(f"line {line}")
    return f" ({', '.join(parts)})" if parts else ""


def _exception_message(exc: BaseException, line: int | None, item_index: int | None) -> str:
    summary = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return f"{_clip(summary, 500)}{_where(item_index, line)}"


def _guarded_import_factory(
    real_import: Callable[..., types.ModuleType],
) -> Callable[..., types.ModuleType]:
    available = ", ".join(sorted(m for m in ALLOWED_MODULES if "." not in m))

    def guarded_import(
        name: str,
        globals: dict[str, Any] | None = None,
        locals: dict[str, Any] | None = None,
        fromlist: tuple[str, ...] | list[str] | None = (),
        level: int = 0,
    ) -> types.ModuleType:
        if level:
            raise ImportError("relative imports are not available in code steps")
        if name not in ALLOWED_MODULES:
            raise ModuleNotFoundError(
                f"module {name!r} is not available in code steps (available: {available})",
                name=name,
            )
        module = sys.modules.get(name)
        for entry in fromlist or ():
            if entry != "*" and module is not None and not hasattr(module, entry):
                submodule = f"{name}.{entry}"
                if submodule not in ALLOWED_MODULES:
                    raise ImportError(
                        f"cannot import {entry!r} from {name!r}: not available in code steps",
                        name=submodule,
                    )
        return real_import(name, globals, locals, fromlist, level)

    return guarded_import


_USER_BUILTINS: dict[str, Any] | None = None  # built once in the zygote; each child owns a copy
_RESERVE: bytearray | None = None  # allocated in the zygote; freed in a child on MemoryError


def _user_builtins() -> dict[str, Any]:
    namespace = dict(builtins.__dict__)
    namespace["__import__"] = _guarded_import_factory(builtins.__import__)
    for name in ("breakpoint", "copyright", "credits", "exit", "help", "input", "license", "quit"):
        namespace.pop(name, None)
    return namespace


def _install_audit_hook(tmp: str, read_only_dirs: tuple[str, ...]) -> None:
    """Refuse OS-level actions from here on (defence in depth; see the package README)."""
    tmp = os.path.realpath(tmp)
    tmp_prefix = tmp.rstrip("/") + "/"
    ro_prefixes = tuple(d.rstrip("/") + "/" for d in read_only_dirs)
    realpath = os.path.realpath
    fsdecode = os.fsdecode
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND

    def inside(path: object, prefixes: tuple[str, ...]) -> bool:
        if not isinstance(path, (str, bytes, os.PathLike)):
            return False
        resolved = realpath(fsdecode(path))
        return resolved == tmp or resolved.startswith(prefixes)

    def refuse(what: str) -> NoReturn:
        raise PermissionError(f"{what} is not allowed in code steps")

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            path, mode, flags = args
            if isinstance(path, int):
                refuse("opening a file descriptor")
            if inside(path, (tmp_prefix,)):
                return
            read_only = (
                not any(c in mode for c in "wax+")
                if isinstance(mode, str)
                else not (int(flags or 0) & write_flags)
            )
            if read_only and inside(path, ro_prefixes):
                return
            refuse(f"opening {fsdecode(path)!r} (only the step's temporary directory is usable)")
        elif event == "import":
            raise ModuleNotFoundError(
                f"module {args[0]!r} is not available in code steps", name=args[0]
            )
        elif event in _PATH_EVENTS:
            for position in _DIR_FD_ARGS.get(event, ()):
                if position < len(args) and args[position] is not None:
                    refuse(f"{event} with dir_fd")
            for position in _PATH_EVENTS[event]:
                value = args[position] if position < len(args) else None
                if value is None or isinstance(value, int):
                    continue  # the cwd (the temporary directory) or an fd the code opened there
                if not inside(value, (tmp_prefix,)):
                    refuse(f"{event} on {fsdecode(value)!r}")
        elif event in _DENIED_EVENTS or event.startswith(_DENIED_PREFIXES):
            refuse(event)

    sys.addaudithook(hook)


def execute(request: dict[str, Any], limits: dict[str, Any], tmp: str) -> bytes:
    """Run the request's code; return the result frame. Never raises (but may MemoryError)."""
    out_limit = int(limits["output_bytes"])
    code = request.get("code")
    mode = request.get("mode")
    items = request.get("items")
    if not isinstance(code, str) or mode not in ("once", "per_item") or not isinstance(items, list):
        return _error_frame("crashed", "malformed request reached the sandbox")
    try:
        codeobj = compile_user_code(code, mode)
    except MemoryError:
        return _error_frame("memory", "the code ran out of memory while being compiled")
    except (SyntaxError, ValueError, RecursionError) as exc:
        message, formatted, line = describe_compile_error(exc)
        return _error_frame("syntax", message, tb=formatted, line=line)

    linecache.cache[CODE_FILENAME] = (len(code), None, code.splitlines(True), CODE_FILENAME)
    namespace: dict[str, Any] = {
        "__builtins__": _USER_BUILTINS if _USER_BUILTINS is not None else _user_builtins(),
        "__name__": "__main__",
    }
    capture = _Capture(out_limit)
    read_only_dirs = tuple(os.path.realpath(d) for d in _tzpath())
    sys.stdout = sys.stderr = capture
    _install_audit_hook(tmp, read_only_dirs)

    global _RESERVE
    item_index: int | None = None
    try:
        exec(codeobj, namespace)  # noqa: S102 - running the user's code is the point
        func: Callable[..., object] = namespace.pop(_FUNC_NAME)
        origins: list[int] = []
        if mode == "once":
            results = _check_once(func(items))
        else:
            results = []
            for item_index, item in enumerate(items):
                value = func(item, item_index)
                if value is None:
                    continue
                if not isinstance(value, dict):
                    raise _InvalidResult(
                        f"for item {item_index} the code returned {_describe(value)}; in "
                        "'per_item' mode it must return a dict, or None to drop the item"
                    )
                results.append(value)
                origins.append(item_index)
            item_index = None
        payload = _dump_items(results, origins, mode)
    except _InvalidResult as exc:
        return _error_frame("invalid_result", str(exc), capture, budget=out_limit)
    except MemoryError as exc:
        _RESERVE = None
        formatted, line = _user_traceback(exc)
        limit = limits["memory_mb"]
        message = f"the code ran out of memory (limit: {limit} MB){_where(item_index, line)}"
        return _error_frame(
            "memory",
            message,
            capture,
            budget=out_limit,
            tb=formatted,
            line=line,
            item_index=item_index,
        )
    except BaseException as exc:  # the user's exception, including SystemExit and RecursionError
        formatted, line = _user_traceback(exc)
        return _error_frame(
            "exception",
            _exception_message(exc, line, item_index),
            capture,
            budget=out_limit,
            tb=formatted,
            line=line,
            item_index=item_index,
        )
    if len(payload) > out_limit:
        return _error_frame(
            "output",
            f"the returned items are {_fmt_bytes(len(payload))} of JSON, over the output limit "
            f"of {_fmt_bytes(out_limit)}",
            capture,
            budget=0,
        )
    stdout, truncated = capture.value(out_limit - len(payload))
    return _frame({"ok": True, "stdout_truncated": truncated, "cpu": _cpu_time()}, payload, stdout)


def _cpu_time() -> float:
    resource = sys.modules.get("resource")
    if resource is None:
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return float(usage.ru_utime + usage.ru_stime)


def _tzpath() -> tuple[str, ...]:
    zoneinfo = sys.modules.get("zoneinfo")
    return tuple(getattr(zoneinfo, "TZPATH", ())) if zoneinfo is not None else ()


# ---------------------------------------------------------------------------------- child setup


def _set_limit(resource: Any, which: int, soft: int, hard: int | None = None) -> None:
    hard = soft if hard is None else hard
    _, current_hard = resource.getrlimit(which)
    if current_hard != resource.RLIM_INFINITY:
        hard = min(hard, current_hard)
        soft = min(soft, hard)
    resource.setrlimit(which, (soft, hard))


def _vm_size() -> int:
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 64 * MIB


def child_main(spec: dict[str, Any], req_fd: int, res_fd: int, devnull: int) -> NoReturn:
    """Entry point of a freshly forked child. Never returns."""
    import resource
    import signal

    out_fd = res_fd
    status = EXIT_INTERNAL
    try:
        limits: dict[str, Any] = spec["limits"]
        tmp: str = spec["tmp"]
        try:
            os.setsid()
            signal.set_wakeup_fd(-1)
            for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                signal.signal(signum, signal.SIG_DFL)
            for signum in (signal.SIGALRM, signal.SIGPROF, signal.SIGXCPU):
                signal.signal(signum, signal.SIG_DFL)  # default action: terminate
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # oversized writes fail with EFBIG
            # Park the pipes above everything, then lay out 0-2 (/dev/null), 3 and 4.
            os.dup2(req_fd, _fd_ceiling - 1)
            os.dup2(res_fd, _fd_ceiling - 2)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            os.dup2(_fd_ceiling - 1, REQ_FD)
            os.dup2(_fd_ceiling - 2, RES_FD)
            out_fd = RES_FD
            os.closerange(RES_FD + 1, _fd_ceiling)
            os.chdir(tmp)
            os.umask(0o077)
            # Timers first (their default actions kill the process), then rlimits.
            cpu = float(limits["cpu_time_s"])
            signal.setitimer(signal.ITIMER_PROF, cpu)
            signal.setitimer(signal.ITIMER_REAL, float(limits["wall_time_s"]) + 1.0)
            cpu_rlimit = math.ceil(cpu) + 1
            _set_limit(resource, resource.RLIMIT_CPU, cpu_rlimit, cpu_rlimit + 1)
            _set_limit(resource, resource.RLIMIT_CORE, 0)
            _set_limit(resource, resource.RLIMIT_NPROC, 0)
            _set_limit(resource, resource.RLIMIT_NOFILE, CHILD_NOFILE)
            _set_limit(resource, resource.RLIMIT_FSIZE, int(limits["file_size_mb"]) * MIB)
            _set_limit(resource, resource.RLIMIT_MEMLOCK, 0)
            _set_limit(resource, resource.RLIMIT_MSGQUEUE, 0)
            uid, gid = spec.get("uid"), spec.get("gid")
            if uid is not None:
                gid = uid if gid is None else gid
                os.setgroups([])
                os.setresgid(gid, gid, gid)
                os.setresuid(uid, uid, uid)
                if os.getresuid() != (uid, uid, uid) or os.getresgid() != (gid, gid, gid):
                    raise OSError("privileges were not dropped")
            data = _read_all(REQ_FD)
            os.close(REQ_FD)
            request = json.loads(data)
            del data
            # Memory: what the code may allocate on top of the interpreter and its input.
            address_space = _vm_size() + int(limits["memory_mb"]) * MIB
            _set_limit(resource, resource.RLIMIT_AS, address_space)
            _set_limit(resource, resource.RLIMIT_DATA, address_space)
        except BaseException as exc:
            status = EXIT_SETUP
            _write_all(out_fd, _error_frame("crashed", f"the sandbox could not be set up: {exc!r}"))
            raise
        try:
            frame = execute(request, limits, tmp)
        except MemoryError:
            status = EXIT_MEMORY
            raise
        _write_all(RES_FD, frame)
        status = EXIT_OK
    finally:
        os._exit(status)


# ------------------------------------------------------------------------------------- the zygote


def _preload() -> None:
    """Import everything user code may use and warm the lazy imports of those modules."""
    for name in sorted(ALLOWED_MODULES):
        __import__(name)
    import encodings

    for filename in sorted(os.listdir(encodings.__path__[0])):
        if filename.endswith(".py") and filename != "__init__.py":
            try:
                __import__(f"encodings.{filename[:-3]}")
            except Exception:  # noqa: S112 - Windows-only codecs
                continue
    warmups: list[Callable[[], object]] = [
        lambda: __import__("_strptime"),
        lambda: __import__("time").strptime("2000-01-02", "%Y-%m-%d"),
        lambda: __import__("datetime").datetime.strptime("2000", "%Y").astimezone(),
        lambda: __import__("zoneinfo").ZoneInfo("UTC"),
        lambda: __import__("uuid").uuid4(),
        lambda: __import__("statistics").median([1, 2, 3]),
        lambda: (
            __import__("decimal").Decimal("1.25").quantize(__import__("decimal").Decimal("1.0"))
        ),
        lambda: [
            __import__("hashlib").new(a)
            for a in sorted(__import__("hashlib").algorithms_guaranteed)
        ],
        lambda: __import__("xml.etree.ElementTree").etree.ElementTree.fromstring("<a b='1'/>"),
        lambda: __import__("csv").reader(["a,b"]).__next__(),
        lambda: __import__("difflib").SequenceMatcher(None, "ab", "ac").ratio(),
        lambda: __import__("ipaddress").ip_network("10.0.0.0/8"),
        lambda: __import__("urllib.parse").parse.urlsplit("https://example.com/a?b=1"),
        lambda: f"{1234567:,}",
        lambda: __import__("calendar").monthrange(2024, 2),
        lambda: _user_traceback(_sample_exception()),
        lambda: compile_user_code("x = [i for i in items]\nreturn {'n': len(x)}", "once"),
        lambda: _dump_items([{"a": [1, 2.5, "x", None, True]}], [0], "once"),
    ]
    for warm in warmups:
        try:
            warm()
        except Exception:  # noqa: S112 - a failed warm-up only costs a lazy import later
            continue


def _sample_exception() -> BaseException:
    try:
        raise ValueError("warm-up")
    except ValueError as exc:
        return exc


def zygote_main(control_fd: int) -> None:
    import gc
    import resource
    import select
    import signal
    import socket

    global _fd_ceiling, _USER_BUILTINS, _RESERVE
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    _fd_ceiling = FD_CEILING if hard == resource.RLIM_INFINITY else min(hard, FD_CEILING)
    resource.setrlimit(resource.RLIMIT_NOFILE, (_fd_ceiling, hard))
    _preload()

    sock = socket.socket(fileno=control_fd)
    sock.setblocking(True)
    devnull = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server decides when we stop

    children: dict[int, int] = {}  # pid -> run id
    pids: dict[int, int] = {}  # run id -> pid
    stopping = False

    def on_term(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_term)

    def send(message: dict[str, Any], fds: list[int] | None = None) -> None:
        data = json.dumps(message, separators=(",", ":")).encode()
        try:
            if fds:
                socket.send_fds(sock, [data], fds)
            else:
                sock.send(data)
        except OSError:
            pass  # the server is gone; EOF on the next recv ends the loop

    def reap() -> None:
        while True:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            run_id = children.pop(pid, None)
            if run_id is None:
                continue
            pids.pop(run_id, None)
            send(
                {
                    "op": "exit",
                    "id": run_id,
                    "status": status,
                    "cpu": usage.ru_utime + usage.ru_stime,
                    "maxrss_kb": usage.ru_maxrss,
                }
            )

    def spawn(message: dict[str, Any], fds: list[int]) -> None:
        run_id = int(message["id"])
        if len(fds) != 2 or max(fds) >= _fd_ceiling - 2:
            for fd in fds:
                os.close(fd)
            send({"op": "failed", "id": run_id, "error": "bad file descriptors"})
            return
        req_fd, res_fd = fds
        try:
            pid = os.fork()
        except OSError as exc:
            os.close(req_fd)
            os.close(res_fd)
            send({"op": "failed", "id": run_id, "error": f"fork failed: {exc}"})
            return
        if pid == 0:  # pragma: no cover - runs in the child
            try:
                child_main(message, req_fd, res_fd, devnull)
            finally:
                os._exit(EXIT_INTERNAL)
        os.close(req_fd)
        os.close(res_fd)
        children[pid] = run_id
        pids[run_id] = pid
        pidfd: int | None = None
        try:
            pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            pidfd = None
        send({"op": "started", "id": run_id, "pid": pid}, [pidfd] if pidfd is not None else None)
        if pidfd is not None:
            os.close(pidfd)

    _USER_BUILTINS = _user_builtins()
    _RESERVE = bytearray(_RESERVE_BYTES)
    os.environ.clear()  # also drops what locale coercion may have set (LC_CTYPE)
    gc.collect()
    gc.freeze()
    send({"op": "ready", "pid": os.getpid(), "euid": os.geteuid()})
    while not stopping:
        try:
            readable, _, _ = select.select([control_fd, wake_r], [], [])
        except InterruptedError:
            continue
        if wake_r in readable:
            try:
                while os.read(wake_r, 512):
                    pass
            except BlockingIOError:
                pass
            reap()
        if control_fd not in readable:
            continue
        try:
            data, fds, _flags, _addr = socket.recv_fds(
                sock, 65536, 4, getattr(socket, "MSG_CMSG_CLOEXEC", 0)
            )
        except OSError:
            break
        if not data and not fds:
            break  # EOF: the server closed the control socket
        try:
            message = json.loads(data)
            op = message.get("op")
            if op == "spawn":
                spawn(message, fds)
                fds = []
            elif op == "kill":
                pid = pids.get(int(message["id"]))
                if pid is not None:
                    os.kill(pid, signal.SIGKILL)  # still our unreaped child: never a recycled pid
        except Exception as exc:
            sys.stderr.write(f"wirework sandbox zygote: bad message: {exc!r}\n")
        for fd in fds:
            os.close(fd)
    for pid in list(children):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    for pid in list(children):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


if __name__ == "__main__":
    zygote_main(int(sys.argv[1]))

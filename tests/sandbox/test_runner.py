"""The code-step sandbox: results, errors, limits and isolation (runs real child processes)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.engine.waiting import wait_for
from wirework.sandbox import (
    CodeError,
    CodeLimits,
    CodeRunner,
    check_code_syntax,
    default_runner,
    run_code,
    shutdown,
)

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the sandbox needs Linux")

FAST = CodeLimits(cpu_time_s=2, wall_time_s=10, memory_mb=128)
# Reaching the real `os` module from user code, the way an attacker would (the import guard is
# not a security boundary): used to check the OS-level layers underneath it.
ESCAPE = "import json\nos = json.__builtins__['__import__']('os')\n"


async def once(code: str, items: list[dict[str, Any]] | None = None, **kw: Any) -> Any:
    limits = kw.pop("limits", FAST)
    result = await run_code(
        code, mode="once", items=[{}] if items is None else items, limits=limits
    )
    return result


async def error_of(code: str, *, mode: str = "once", **kw: Any) -> CodeError:
    limits = kw.pop("limits", FAST)
    items = kw.pop("items", [{}])
    with pytest.raises(CodeError) as caught:
        await run_code(code, mode=mode, items=items, limits=limits)  # type: ignore[arg-type]
    return caught.value


def exists(path: str) -> bool:
    return os.path.exists(path)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module", autouse=True)
async def _stop_sandbox_at_end() -> Any:
    yield
    await shutdown()


# ----------------------------------------------------------------------------------- results


async def test_once_returns_a_list_of_items() -> None:
    result = await once("return [{'n': it['n'] * 2} for it in items]", [{"n": 1}, {"n": 2}])
    assert result.items == [{"n": 2}, {"n": 4}]
    assert result.stdout == ""


async def test_once_returning_one_dict_gives_one_item() -> None:
    result = await once(
        "total = sum(it['n'] for it in items)\nreturn {'total': total}", [{"n": 2}, {"n": 3}]
    )
    assert result.items == [{"total": 5}]


async def test_per_item_runs_every_item_in_one_process() -> None:
    code = (
        "global calls\n"
        "calls = globals().get('calls', 0) + 1\n"
        "return {**item, 'index': index, 'calls': calls}\n"
    )
    result = await run_code(
        code, mode="per_item", items=[{"a": 1}, {"a": 2}, {"a": 3}], limits=FAST
    )
    assert result.items == [
        {"a": 1, "index": 0, "calls": 1},
        {"a": 2, "index": 1, "calls": 2},
        {"a": 3, "index": 2, "calls": 3},
    ]


async def test_per_item_none_drops_the_item() -> None:
    code = "if item['keep']:\n    return item\nreturn None"
    items = [{"keep": True, "i": 0}, {"keep": False, "i": 1}, {"keep": True, "i": 2}]
    result = await run_code(code, mode="per_item", items=items, limits=FAST)
    assert result.items == [{"keep": True, "i": 0}, {"keep": True, "i": 2}]


async def test_print_output_is_captured() -> None:
    result = await once("print('hello', 42)\nprint('second line')\nreturn {}")
    assert result.stdout == "hello 42\nsecond line\n"
    assert result.stdout_truncated is False


async def test_stdout_is_truncated_to_the_output_limit() -> None:
    limits = CodeLimits(cpu_time_s=2, wall_time_s=10, output_bytes=2048)
    result = await once(
        "for i in range(10_000):\n    print('line', i)\nreturn {'ok': True}", limits=limits
    )
    assert result.items == [{"ok": True}]
    assert result.stdout_truncated is True
    assert result.stdout.startswith("line 0\nline 1\n")
    assert len(result.stdout.encode()) + len(b'[{"ok":true}]') <= 2048


async def test_standard_modules_work_including_their_lazy_parts() -> None:
    code = (
        "import datetime, zoneinfo, re, math, statistics, hashlib, base64, uuid, decimal\n"
        "paris = datetime.datetime(2024, 1, 1, tzinfo=zoneinfo.ZoneInfo('Europe/Paris'))\n"
        "return {\n"
        "    'offset': str(paris.utcoffset()),\n"
        "    'parsed': datetime.datetime.strptime('2024-03-01', '%Y-%m-%d').isoformat(),\n"
        "    'latin': 'é'.encode('cp1252').hex(),\n"
        "    'median': statistics.median([3, 1, 2]),\n"
        "    'sha': hashlib.sha256(b'x').hexdigest()[:8],\n"
        "    'uuid': len(str(uuid.uuid4())),\n"
        "    'dec': str(decimal.Decimal('1.10') + decimal.Decimal('2.20')),\n"
        "    'word': re.findall(r'\\w+', 'a b')[1],\n"
        "}\n"
    )
    result = await once(code)
    assert result.items == [
        {
            "offset": "1:00:00",
            "parsed": "2024-03-01T00:00:00",
            "latin": "e9",
            "median": 2,
            "sha": "2d711642",
            "uuid": 36,
            "dec": "3.30",
            "word": "b",
        }
    ]


# ------------------------------------------------------------------------------------ errors


async def test_user_exception_has_the_users_traceback_and_line() -> None:
    code = "def helper(x):\n    return 10 / x\n\nvalue = 1\nreturn {'r': helper(value - 1)}\n"
    error = await error_of(code)
    assert error.kind == "exception"
    assert error.line == 2
    assert error.message == "ZeroDivisionError: division by zero (line 2)"
    assert error.traceback is not None
    assert 'File "<code>", line 5, in <code>' in error.traceback
    assert 'File "<code>", line 2, in helper' in error.traceback
    assert "return 10 / x" in error.traceback
    assert "child.py" not in error.traceback and "runner.py" not in error.traceback
    assert error.traceback.count("File ") == 2
    assert "ZeroDivisionError: division by zero" in str(error)


async def test_exception_keeps_what_was_printed_before() -> None:
    error = await error_of("print('before')\nraise ValueError('bad value')")
    assert error.kind == "exception"
    assert error.message == "ValueError: bad value (line 2)"
    assert error.stdout == "before\n"


async def test_per_item_exception_names_the_item() -> None:
    error = await error_of(
        "return {'v': 100 // item['d']}", mode="per_item", items=[{"d": 1}, {"d": 0}]
    )
    assert error.kind == "exception"
    assert error.item_index == 1
    assert error.message == "ZeroDivisionError: integer division or modulo by zero (item 1, line 1)"


async def test_denied_import_is_reported_at_the_users_line() -> None:
    error = await error_of("import json\nimport os\nreturn {}")
    assert error.kind == "exception"
    assert error.line == 2
    assert "module 'os' is not available in code steps" in error.message
    assert error.traceback is not None and "child.py" not in error.traceback


async def test_syntax_error() -> None:
    error = await error_of("x = 1\nif x\n    return {}")
    assert error.kind == "syntax"
    assert error.line == 2
    assert error.message == "SyntaxError: expected ':' (line 2)"
    assert error.traceback is not None
    assert 'File "<code>", line 2' in error.traceback


def test_check_code_syntax() -> None:
    assert check_code_syntax("return {'a': 1}") is None
    assert check_code_syntax("return item", mode="per_item") is None
    message = check_code_syntax("x = 1\ny = = 2\n")
    assert message is not None
    assert message.startswith("SyntaxError: invalid syntax (line 2)")
    assert "y = = 2" in message
    assert check_code_syntax("x = '\\0'") is None  # an escaped NUL in a literal is fine
    null = check_code_syntax("x = 1\0")
    assert null is not None and "null byte" in null
    indent = check_code_syntax("if True:\nreturn 1")
    assert indent is not None and "(line 2)" in indent


async def test_cpu_time_limit() -> None:
    limits = CodeLimits(cpu_time_s=0.5, wall_time_s=10)
    error = await error_of("while True:\n    pass", limits=limits)
    assert error.kind == "timeout"
    assert "CPU time limit of 0.5 s" in error.message


async def test_wall_time_limit() -> None:
    limits = CodeLimits(cpu_time_s=5, wall_time_s=1)
    error = await error_of("import time\ntime.sleep(60)\nreturn {}", limits=limits)
    assert error.kind == "timeout"
    assert "wall-clock time limit of 1 s" in error.message


@pytest.mark.parametrize(
    "code",
    [
        "x = 'a' * 10**10\nreturn {}",
        "x = [0] * 10**9\nreturn {}",
        "x = []\nwhile True:\n    x.append('a' * 1000)",
    ],
    ids=["huge-string", "huge-list", "growing-list"],
)
async def test_memory_limit(code: str) -> None:
    limits = CodeLimits(cpu_time_s=5, wall_time_s=10, memory_mb=64)
    error = await error_of(code, limits=limits)
    assert error.kind == "memory"
    assert "ran out of memory (limit: 64 MB)" in error.message


async def test_output_limit() -> None:
    limits = CodeLimits(cpu_time_s=2, wall_time_s=10, output_bytes=4096)
    error = await error_of("return [{'blob': 'x' * 1000} for _ in range(10)]", limits=limits)
    assert error.kind == "output"
    assert "over the output limit of 4.0 KiB" in error.message


async def test_file_size_limit_applies_in_the_temporary_directory() -> None:
    limits = CodeLimits(cpu_time_s=2, wall_time_s=10, file_size_mb=1)
    code = "with open('big.bin', 'wb') as f:\n    f.write(b'x' * (2 * 1024 * 1024))\nreturn {}"
    error = await error_of(code, limits=limits)
    assert error.kind == "exception"
    assert "File too large" in error.message


@pytest.mark.parametrize(
    ("mode", "code", "expected"),
    [
        ("once", "return 42", "the code returned a value of type int (42)"),
        ("once", "return [{'a': 1}, 'b']", "element 1 is a value of type str ('b')"),
        ("once", "x = 1", "the code returned None (is a `return` missing?)"),
        ("once", "return {'s': {1, 2}}", "item['s'] is a value of type set ({1, 2})"),
        ("once", "import datetime\nreturn {'d': datetime.date(2024, 1, 2)}", "datetime.date"),
        ("once", "return {'x': float('nan')}", "item['x'] is a non-finite float (nan)"),
        ("once", "d = {}\nd['self'] = d\nreturn d", "item['self'] is a circular reference"),
        ("per_item", "return [item]", "for item 0 the code returned a value of type list"),
    ],
)
async def test_invalid_results_name_what_was_returned(mode: str, code: str, expected: str) -> None:
    error = await error_of(code, mode=mode)
    assert error.kind == "invalid_result"
    assert expected in error.message


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="cpu_time_s"):
        CodeLimits(cpu_time_s=0)
    with pytest.raises(ValueError, match="memory_mb"):
        CodeLimits(memory_mb=1)
    assert CodeLimits().wall_time_s == 30


# --------------------------------------------------------------------------------- isolation


async def test_environment_is_empty_and_the_work_dir_is_fresh_and_removed() -> None:
    code = ESCAPE + "return {'env': dict(os.environ), 'cwd': os.getcwd(), 'ls': os.listdir('.')}"
    result = await once(code)
    (info,) = result.items
    assert info["env"] == {}
    assert info["ls"] == []
    # Removal happens right after the child is reaped.
    await wait_for(lambda: not exists(info["cwd"]), "the work dir is removed")


async def test_limits_and_descriptors_in_the_child() -> None:
    code = ESCAPE + (
        "resource = json.__builtins__['__import__']('resource')\n"
        "open_fds = []\n"
        "for fd in range(64):\n"
        "    try:\n"
        "        os.fstat(fd)\n"
        "        open_fds.append(fd)\n"
        "    except OSError:\n"
        "        pass\n"
        "limit = lambda r: list(resource.getrlimit(r))\n"
        "return {'fds': open_fds, 'nproc': limit(resource.RLIMIT_NPROC),\n"
        "        'core': limit(resource.RLIMIT_CORE), 'nofile': limit(resource.RLIMIT_NOFILE),\n"
        "        'sid': os.getsid(0) == os.getpid()}"
    )
    (info,) = (await once(code)).items
    assert info["fds"] == [
        0,
        1,
        2,
        4,
    ]  # /dev/null x3 and the result pipe (request pipe: read, closed)
    assert info["nproc"] == [0, 0]
    assert info["core"] == [0, 0]
    assert info["nofile"] == [64, 64]
    assert info["sid"] is True


@pytest.mark.skipif(os.geteuid() != 0, reason="privileges are only dropped when run as root")
async def test_root_only_files_are_unreadable(tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    secret = private / "key"
    secret.write_text("top secret")
    secret.chmod(0o600)
    # Layer 1: the audit hook refuses to open anything outside the temporary directory.
    error = await error_of(f"return {{'k': open({str(secret)!r}).read()}}")
    assert error.kind == "exception"
    assert "PermissionError" in error.message
    # Layer 2: underneath it the kernel says no, because the child is not root any more.
    code = ESCAPE + (
        f"path = {str(secret)!r}\n"
        "try:\n"
        "    os.stat(path)\n"
        "    stat_error = None\n"
        "except OSError as exc:\n"
        "    stat_error = type(exc).__name__\n"
        "return {'ids': [os.getuid(), os.geteuid(), os.getgid(), os.getegid()],\n"
        "        'groups': os.getgroups(), 'readable': os.access(path, os.R_OK),\n"
        "        'stat': stat_error}"
    )
    (info,) = (await once(code)).items
    assert info == {
        "ids": [65534, 65534, 65534, 65534],
        "groups": [],
        "readable": False,
        "stat": "PermissionError",
    }
    setuid = await error_of(ESCAPE + "os.setuid(0)")
    assert "Operation not permitted" in setuid.message


async def test_files_outside_the_temporary_directory_are_refused() -> None:
    code = (
        "with open('notes.txt', 'w') as f:\n    f.write('hi')\n"
        "return {'r': open('notes.txt').read()}"
    )
    ok = await once(code)
    assert ok.items == [{"r": "hi"}]
    for code in (
        "open('/etc/passwd').read()",
        "open('/tmp/wirework-escape', 'w')",
        "open('../../etc/hostname')",
        ESCAPE + "os.listdir('/')",
        ESCAPE + "os.symlink('/etc/passwd', 'link')",
    ):
        error = await error_of(code)
        assert error.kind == "exception", code
        assert "PermissionError" in error.message, code
    assert not exists("/tmp/wirework-escape")


async def test_namespaces_hide_the_network_and_other_processes() -> None:
    runner = default_runner()
    await runner.start()
    if not runner.uses_namespaces:
        pytest.skip("namespaces need root and a working `unshare`")
    code = ESCAPE + (
        "socket = json.__builtins__['__import__']('socket')\n"
        "return {'interfaces': [name for _, name in socket.if_nameindex()],\n"
        "        'parent': os.getppid()}"
    )
    (info,) = (await once(code)).items
    assert info == {"interfaces": ["lo"], "parent": 1}  # the zygote is pid 1 of the namespace


async def test_cannot_open_a_socket() -> None:
    assert "not available" in (await error_of("import socket")).message
    error = await error_of(
        ESCAPE + "s = json.__builtins__['__import__']('socket')\ns.socket(s.AF_INET, s.SOCK_STREAM)"
    )
    assert error.kind == "exception"
    assert "socket.__new__ is not allowed" in error.message


@pytest.mark.parametrize(
    "code",
    [
        "import subprocess",
        ESCAPE + "json.__builtins__['__import__']('subprocess')",
        ESCAPE + "os.system('id')",
        ESCAPE + "os.fork()",
        ESCAPE + "os.posix_spawn('/bin/true', ['true'], {})",
        ESCAPE + "os.execv('/bin/true', ['true'])",
        ESCAPE + "os.kill(1, 9)",
    ],
    ids=["import", "escaped-import", "system", "fork", "posix_spawn", "exec", "kill"],
)
async def test_cannot_spawn_processes_or_signal_others(code: str) -> None:
    error = await error_of(code)
    assert error.kind == "exception"
    assert "not allowed in code steps" in error.message or "not available" in error.message


async def test_nothing_is_carried_between_runs() -> None:
    first = (
        "import json\n"
        "json.leak = 'from run 1'\n"
        "__builtins__['leak'] = 1\n"
        "open('left-behind.txt', 'w').write('x')\n"
        "return {'id': id(json)}"
    )
    await once(first)
    second = ESCAPE + (
        "return {'module': hasattr(json, 'leak'), 'builtin': 'leak' in __builtins__,\n"
        "        'files': os.listdir('.')}"
    )
    (info,) = (await once(second)).items
    assert info == {"module": False, "builtin": False, "files": []}


async def test_random_state_differs_between_runs() -> None:
    code = "import random\nreturn {'r': random.random()}"
    values = {(await once(code)).items[0]["r"] for _ in range(3)}
    assert len(values) == 3


# ------------------------------------------------------------------------- process management


async def test_concurrent_runs_are_all_correct() -> None:
    code = (
        "import time\ntime.sleep(0.05)\nprint(items[0]['n'])\nreturn {'square': items[0]['n'] ** 2}"
    )
    results = await asyncio.gather(*(once(code, [{"n": n}]) for n in range(8)))
    assert [r.items for r in results] == [[{"square": n * n}] for n in range(8)]
    assert [r.stdout for r in results] == [f"{n}\n" for n in range(8)]


async def wait_for_child(runner: CodeRunner) -> int:
    (pid,) = await wait_for(runner.active_pids, "the child started")
    return int(pid)


async def cancel_and_check(runner: CodeRunner) -> None:
    task = asyncio.create_task(
        runner.run("import time\ntime.sleep(30)\nreturn {}", mode="once", items=[{}], limits=FAST)
    )
    pid = await wait_for_child(runner)
    assert pid_alive(pid)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not pid_alive(pid)
    assert runner.active_pids() == frozenset()


async def test_cancellation_kills_the_child() -> None:
    await cancel_and_check(default_runner())
    assert (await once("return {'after': 'cancel'}")).items == [{"after": "cancel"}]


async def test_recovers_after_a_child_crash() -> None:
    error = await error_of(ESCAPE + "os._exit(7)")
    assert error.kind == "crashed"
    assert "status 7" in error.message
    error = await error_of("raise SystemExit(3)")
    assert error.kind == "exception" and error.message == "SystemExit: 3 (line 1)"
    assert (await once("return {'ok': 1}")).items == [{"ok": 1}]


async def test_zygote_is_restarted_if_it_dies() -> None:
    runner = default_runner()
    await runner.start()
    old = runner.zygote_pid
    assert old is not None
    os.kill(old, signal.SIGKILL)
    # Whether or not the runner notices before the next run, that run must get a new zygote.
    with contextlib.suppress(AssertionError):
        await wait_for(lambda: not runner.is_running, "the runner noticed", limit_s=2)
    assert (await once("return {'alive': True}")).items == [{"alive": True}]
    assert runner.zygote_pid not in (None, old)


async def test_runner_without_namespaces() -> None:
    runner = CodeRunner(namespaces=False)
    try:
        result = await runner.run(
            "return {'n': len(items)}", mode="once", items=[{}, {}], limits=FAST
        )
        assert result.items == [{"n": 2}]
        assert runner.uses_namespaces is False
        await cancel_and_check(runner)
    finally:
        await runner.shutdown()
    assert runner.zygote_pid is None


async def test_shutdown_stops_the_zygote_and_it_restarts_lazily() -> None:
    runner = default_runner()
    await runner.start()
    pid = runner.zygote_pid
    assert pid is not None
    await shutdown()
    assert not pid_alive(pid)
    assert (await once("return {'again': True}")).items == [{"again": True}]

"""`wirework` — the command line. Each command is thin: it opens a runtime and calls services."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table

from wirework import __version__
from wirework.cli.output import (
    UNBOUNDED,
    describe_settings,
    err,
    fail,
    is_terminal,
    out,
    print_problems,
    say,
)
from wirework.errors import InvalidInput, ServiceError
from wirework.services.admin import UnsupportedDatabase, VaultError
from wirework.services.runtime import (
    Runtime,
    SchemaOutOfDate,
    StorageConfigError,
    StorageError,
    open_runtime,
)
from wirework.settings import Settings

T = TypeVar("T")

# Usage errors in a rich box on a terminal; as click's plain one-line "Error: …" otherwise,
# and help neither wrapped nor cut short ("…") when it goes to a pipe or a file.
MARKUP: Literal["rich"] | None = "rich" if is_terminal(sys.stderr) else None
PLAIN_WIDTH = {} if MARKUP else {"terminal_width": UNBOUNDED, "max_content_width": UNBOUNDED}

app = typer.Typer(
    name="wirework",
    help="Wirework: self-hosted workflow automation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=MARKUP,
    context_settings=PLAIN_WIDTH,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True, rich_markup_mode=MARKUP)
user_app = typer.Typer(help="Users.", no_args_is_help=True, rich_markup_mode=MARKUP)
key_app = typer.Typer(help="API keys.", no_args_is_help=True, rich_markup_mode=MARKUP)
vault_app = typer.Typer(
    help="Credential vault keys.", no_args_is_help=True, rich_markup_mode=MARKUP
)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(key_app, name="api-key")
app.add_typer(vault_app, name="keys")


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = "WIREWORK_" + str(first["loc"][0]).upper() if first.get("loc") else "settings"
        raise fail(f"{field}: {first['msg']}") from None


def run_async(fn: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine, turning the errors a user can act on into one clear line."""
    try:
        return asyncio.run(fn())  # type: ignore[arg-type]
    except (
        VaultError,
        SchemaOutOfDate,
        UnsupportedDatabase,
        StorageConfigError,
        StorageError,
    ) as exc:
        raise fail(str(exc)) from None
    except ServiceError as exc:
        raise fail(exc.message) from None
    except OSError as exc:
        raise fail(f"cannot reach the database or data dir: {exc}") from None


async def with_runtime(
    settings: Settings, fn: Callable[[Runtime], Awaitable[T]], *, migrate_db: bool = True
) -> T:
    runtime = await open_runtime(settings, migrate_db=migrate_db)
    try:
        return await fn(runtime)
    finally:
        await runtime.close()


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        say(out, f"wirework {__version__}", markup=False)
        raise typer.Exit(0)


@app.command()
def server(
    host: Annotated[str | None, typer.Option(help="Listen address (WIREWORK_HOST)")] = None,
    port: Annotated[
        int | None,
        typer.Option(min=0, max=65535, help="Listen port (WIREWORK_PORT); 0 picks a free one"),
    ] = None,
) -> None:
    """Serve the API, webhooks and UI (embedded mode: also the scheduler and workers)."""
    from wirework.cli.server import CannotListen, serve
    from wirework.logging import configure

    settings = load_settings()
    configure(settings.log_level, settings.log_format)
    # Open once before serving so a wrong key or old schema is one clear line, not a traceback.
    run_async(lambda: with_runtime(settings, _noop))
    try:
        serve(
            settings,
            host=settings.host if host is None else host,
            port=settings.port if port is None else port,
        )
    except CannotListen as exc:
        raise fail(f"--host/--port: {exc}") from None


async def _noop(_: Runtime) -> None:
    return None


def _distributed_settings() -> Settings:
    settings = load_settings()
    if not settings.broker_url:
        raise fail(
            "WIREWORK_BROKER_URL is not set: distributed mode needs a broker (redis://, amqp://)"
        )
    return settings


@app.command()
def worker(
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-c", min=1, help="Executions this process runs at once")
    ] = 8,
    grace: Annotated[
        float,
        typer.Option(
            min=0,
            help="Seconds running executions may finish after SIGTERM before they are handed back",
        ),
    ] = 30.0,
    segment: Annotated[
        str,
        typer.Option(
            help="What one task runs: the execution until it finishes or parks (execution), "
            "or one ready set at a time (ready_set: measured slower, see dispatch/README.md)",
        ),
    ] = "execution",
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Liveness probe: exit 1 unless a worker of this host beat in the workers table "
            "recently (exit 0 when the database cannot be reached: restarting would not help)",
        ),
    ] = False,
    pid: Annotated[
        int | None, typer.Option(help="With --check: the worker process with this pid only")
    ] = None,
    stale_after: Annotated[
        float,
        typer.Option(min=0.1, help="With --check: seconds after which a heartbeat is stale"),
    ] = 30.0,
) -> None:
    """Distributed mode: run executions from the broker (a Celery worker; logs JSON lines)."""
    from wirework.logging import configure
    from wirework.services.distributed import run_worker

    settings = _distributed_settings()
    if check:
        _check_worker(settings, pid, stale_after)
        return
    configure(settings.log_level, "json")
    if segment not in ("execution", "ready_set"):
        raise fail("--segment: execution or ready_set")
    run_worker(settings, concurrency=concurrency, grace_s=grace, segment=segment)


def _check_worker(settings: Settings, pid: int | None, stale_after_s: float) -> None:
    import socket

    from wirework.schemas.system import WorkerKind
    from wirework.services.workers import local_liveness

    async def _go() -> tuple[bool, str]:
        runtime = await open_runtime(settings, migrate_db=False)
        try:
            async with runtime.sessionmaker() as session:
                return await local_liveness(
                    session,
                    kind=WorkerKind.WORKER,
                    hostname=socket.gethostname(),
                    pid=pid,
                    stale_after_s=stale_after_s,
                )
        finally:
            await runtime.close()

    try:
        alive, why = asyncio.run(_go())
    except Exception as exc:  # the database (not this worker) is down: no verdict
        say(out, f"unknown: the database cannot be reached ({type(exc).__name__})", markup=False)
        raise typer.Exit(0) from None
    say(out if alive else err, ("ok: " if alive else "stale: ") + why, markup=False)
    raise typer.Exit(0 if alive else 1)


@app.command()
def scheduler() -> None:
    """Distributed mode: fire schedules, timers of waiting executions and the sweep of lapsed
    leases (several may run: one leads, under a database lock)."""
    import signal

    from wirework.logging import configure
    from wirework.services.distributed import run_scheduler

    settings = _distributed_settings()
    configure(settings.log_level, "json")

    async def _go() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await run_scheduler(settings, stop)

    run_async(_go)


@app.command("run")
def run_command(
    file: Annotated[Path, typer.Argument(help="Workflow document (.yaml, .yml or .json)")],
    input_json: Annotated[
        str | None, typer.Option("--input", help="JSON the trigger emits (object or list)")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the execution record as JSON on stdout")
    ] = False,
) -> None:
    """Run a workflow document in-process, showing its steps.

    Exit status: 0 success, 1 failed execution, 2 invalid document or input."""
    from wirework.cli.run import Progress, parse_input, read_document, run_document
    from wirework.logging import configure

    try:
        input_value = parse_input(input_json)
    except InvalidInput as exc:
        raise fail(exc.message, 2) from None
    settings = load_settings()
    configure("warning", settings.log_format)
    try:
        document = read_document(file)
    except InvalidInput as exc:
        _print_invalid(exc, file)
        raise typer.Exit(2) from None
    progress = Progress(err, keep=not as_json)

    async def _go(runtime: Runtime) -> Any:
        with progress:
            return await run_document(runtime, document, input_value, progress)

    try:
        record = asyncio.run(with_runtime(settings, _go))
    except InvalidInput as exc:
        _print_invalid(exc, file)
        raise typer.Exit(2) from None
    except (
        VaultError,
        SchemaOutOfDate,
        UnsupportedDatabase,
        StorageConfigError,
        StorageError,
    ) as exc:
        raise fail(str(exc)) from None
    except ServiceError as exc:
        raise fail(exc.message) from None
    if as_json:
        print(record.model_dump_json(indent=2))
    else:
        style = "green" if record.status == "success" else "red"
        say(err, f"execution [{style}]{record.status}[/]  ({record.id})")
        if record.error:
            node = record.error.get("node_id")
            where = f"node {node!r}: " if node else ""
            say(err, f"[red]error:[/] {escape(where + str(record.error.get('message')))}")
        if record.result is not None:
            out.print_json(json.dumps(record.result, default=str))
    raise typer.Exit(0 if record.status == "success" else 1)


def _print_invalid(exc: InvalidInput, file: Path) -> None:
    """A file that cannot be read names FILE; a document that does not validate lists every
    problem under "invalid document <file>"."""
    if all(p.field == "FILE" for p in exc.errors):
        fail(f"FILE: {exc.errors[0].message}")
    else:
        print_problems(exc, f"invalid document {file}")


@app.command()
def config(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Print the effective settings, secrets masked."""
    settings = load_settings()
    values = describe_settings(settings)
    if as_json:
        out.print_json(json.dumps(values, default=str))
        return
    table = Table("setting", "value", "environment variable", box=None, pad_edge=False)
    table.columns[1].overflow = "fold"  # a long value is shown whole, never cut with "…"
    for name, value in values.items():
        env = f"WIREWORK_{name.upper()}" if name in type(settings).model_fields else ""
        table.add_row(name, str(value), env)
    out.print(table)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Upgrade the database schema to this version's."""
    from wirework.services.admin import upgrade_schema

    settings = load_settings()
    revision = run_async(lambda: upgrade_schema(settings))
    say(out, f"database schema at revision [bold]{revision}[/]")


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision of the database and the one this version needs."""
    from wirework.services.admin import required_revision, schema_revision

    settings = load_settings()
    current = run_async(lambda: schema_revision(settings))
    say(out, f"database: {current}  (this version needs {required_revision()})", markup=False)


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="E-mail address (login)")],
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="Password")
    ],
    role: Annotated[str, typer.Option(help="owner | admin | editor | viewer")] = "owner",
    name: Annotated[str, typer.Option(help="Display name")] = "",
) -> None:
    """Create a user (the first one is how a fresh install gets its owner)."""
    from wirework.schemas.users import UserCreate
    from wirework.services import users

    try:
        data = UserCreate(email=email, password=password, role=role, name=name)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise fail(f"--{first['loc'][0]}: {first['msg']}") from None
    settings = load_settings()

    async def _go(runtime: Runtime) -> Any:
        async with runtime.sessionmaker() as session:
            user = await users.create(session, data)
            await session.commit()
            return user

    user = run_async(lambda: with_runtime(settings, _go))
    say(out, f"created user {user.id} <{user.email}> with role {user.role}", markup=False)


@key_app.command("create")
def api_key_create(
    email: Annotated[str, typer.Option(help="The user the key acts as")],
    name: Annotated[str, typer.Option(help="What the key is for")],
    expires_in_days: Annotated[int | None, typer.Option(help="Expiry, in days")] = None,
) -> None:
    """Create an API key and print it (once: only its hash is stored)."""
    from wirework.schemas.users import ApiKeyCreate
    from wirework.services import users

    try:
        data = ApiKeyCreate(name=name, expires_in_days=expires_in_days)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise fail(f"--{str(first['loc'][0]).replace('_', '-')}: {first['msg']}") from None
    settings = load_settings()

    async def _go(runtime: Runtime) -> str:
        async with runtime.sessionmaker() as session:
            user = await users.get_by_email(session, email)
            if user is None:
                raise ServiceError(f"--email: no user with e-mail {email!r}")
            _, key = await users.create_api_key(session, user, data)
            await session.commit()
            return key

    key = run_async(lambda: with_runtime(settings, _go))
    say(err, "API key created; it is shown only now:")
    print(key)


@vault_app.command("generate")
def keys_generate() -> None:
    """Print a new random encryption key (for WIREWORK_ENCRYPTION_KEY)."""
    from wirework.services.admin import generate_key

    print(generate_key())


@vault_app.command("rotate")
def keys_rotate(
    new_key: Annotated[
        str | None, typer.Option(help="Use this key instead of generating one")
    ] = None,
) -> None:
    """Re-encrypt every stored secret under a new key (all or nothing)."""
    from wirework.services.admin import check_key
    from wirework.services.vault import RotationResult, rotate_keys

    if new_key is not None:
        try:
            check_key(new_key, source="--new-key")
        except VaultError as exc:
            raise fail(str(exc)) from None
    settings = load_settings()

    async def _go(runtime: Runtime) -> RotationResult:
        async with runtime.sessionmaker() as session:
            return await rotate_keys(session, settings, new_key)

    result = run_async(lambda: with_runtime(settings, _go))
    say(out, f"re-encrypted {result.secrets_rotated} secret(s) under the new key")
    if result.origin == "file":
        say(out, f"the new key is in {result.path}", markup=False)
    else:
        say(
            err,
            "The key came from WIREWORK_ENCRYPTION_KEY: set it to the new key below on every "
            "process now (the old key no longer opens this database):",
        )
        print(result.new_key)


def main() -> None:
    app()


if __name__ == "__main__":
    main()

"""Webhooks: ``/webhook/{path}`` (active workflows), ``/webhook-test/{path}`` (one call to a
workflow an editor armed, see services/webhook_tests.py) and ``/webhook-waiting/{execution_id}``
(resume the waiting execution the token is signed for).

An unknown path or method, an unarmed test URL and a bad resume token are the same plain 404
that reveals nothing. A webhook's ``rate_limit`` (production URL) is counted first: over it
is 429 ``webhook_rate_limited`` with Retry-After. Bodies are parsed strictly by content type
(JSON with :func:`~wirework.api.bodies.parse_json`, form, multipart, text; anything else is
kept as base64), capped in size (``WIREWORK_WEBHOOK_MAX_BODY_BYTES`` and the node's
``max_body_bytes``: the smaller wins); a bad body is 400 ``bad_webhook_body`` before anything
runs.

A webhook with ``auth`` (both URLs) answers a request that does not authenticate with 401
``{"detail": "authentication failed", "code": "webhook_unauthorized", "errors": []}`` (basic:
with ``WWW-Authenticate``), and 401 ``webhook_auth_unavailable`` when its integration is
missing, deactivated or lacks the credential field. With ``idempotency_header`` (production
URL only), a repeated delivery id is answered 200 ``{"execution_id": <the first execution>,
"status": "duplicate"}`` without starting another execution. Integration triggers may read
the delivery id and event from the body instead, and answer a verified handshake (Slack's
``url_verification``) with 200 and its JSON, starting nothing.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

from python_multipart.multipart import parse_options_header
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wirework.api.bodies import BadContentLength, BadJson, BodyTooLarge, parse_json, read_capped
from wirework.services.engine import (
    WAIT_PORT,
    EngineHost,
    NodeResponse,
    Started,
    StoreUnavailable,
    ensure_engine,
)
from wirework.services.webhook_deliveries import (
    BadDeliveryId,
    DeliveryKey,
    checked_delivery_id,
    delivery_id,
)
from wirework.services.webhook_targets import WebhookTarget, normalise_path
from wirework.services.webhooks import AuthUnavailable, check_resume_token, masked_headers

log = logging.getLogger(__name__)

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
NOT_FOUND = {"detail": "Not Found", "code": "not_found", "errors": []}
UNAUTHORIZED = {"detail": "authentication failed", "code": "webhook_unauthorized", "errors": []}
AUTH_UNAVAILABLE = {
    "detail": "this webhook cannot authenticate callers: the integration holding its "
    "credentials is missing, deactivated or incomplete",
    "code": "webhook_auth_unavailable",
    "errors": [],
}
BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="wirework", charset="UTF-8"'}


class AuthFailed(Exception):
    def __init__(self, target: WebhookTarget, *, unavailable: bool = False) -> None:
        super().__init__("webhook authentication failed")
        self.target = target
        self.unavailable = unavailable

    def response(self) -> JSONResponse:
        auth = self.target.auth
        headers = BASIC_CHALLENGE if auth is not None and auth.type == "basic" else None
        body = AUTH_UNAVAILABLE if self.unavailable else UNAUTHORIZED
        return JSONResponse(body, status_code=401, headers=headers)


class BadBody(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def response(self) -> JSONResponse:
        body = {
            "detail": self.message,
            "code": "bad_webhook_body",
            "errors": [{"field": "body", "message": self.message}],
        }
        return JSONResponse(body, status_code=self.status)


async def _read_body(request: Request, limit: int) -> bytes:
    try:
        return await read_capped(request, limit)
    except BodyTooLarge:
        raise BadBody(413, f"body larger than {limit} bytes") from None
    except BadContentLength:
        raise BadBody(400, "invalid Content-Length header") from None


async def parse_body(request: Request, limit: int) -> Any:
    return await _parse(request, await _read_body(request, limit))


async def _parse(request: Request, raw: bytes) -> Any:
    if not raw:
        return None
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/json" or ctype.endswith("+json"):
        try:
            return parse_json(raw)
        except BadJson as exc:
            raise BadBody(400, f"body: {exc}") from None
    if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if ctype == "multipart/form-data":
            _check_multipart(request.headers.get("content-type", ""), raw)
        # The body was consumed above; starlette re-parses from its cached copy.
        request._body = raw
        try:
            form = await request.form(max_files=100, max_fields=1000)
        except Exception as exc:
            raise BadBody(400, f"body: not valid {ctype}: {exc}") from None
        out: dict[str, Any] = {}
        for key, value in form.multi_items():
            field: Any = value
            if isinstance(value, UploadFile):
                content = await value.read()
                field = {
                    "filename": value.filename,
                    "content_type": value.content_type,
                    "size": len(content),
                    "data": base64.b64encode(content).decode("ascii"),
                }
            if key in out:
                existing = out[key]
                out[key] = [*existing, field] if isinstance(existing, list) else [existing, field]
            else:
                out[key] = field
        return out
    if ctype.startswith("text/") or ctype in ("application/xml", ""):
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadBody(400, "body: text is not valid UTF-8") from None
    return {"content_type": ctype, "data": base64.b64encode(raw).decode("ascii")}


def _check_multipart(content_type: str, raw: bytes) -> None:
    """A multipart body must name its boundary and end with it (the parser takes a cut-off
    or garbled body for an empty form)."""
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise BadBody(400, "body: multipart/form-data without a boundary parameter")
    if b"--" + boundary + b"--" not in raw:
        raise BadBody(400, "body: multipart/form-data is incomplete (no closing boundary)")


def to_http(response: NodeResponse) -> Response:
    body = response.body
    headers = dict(response.headers)
    if isinstance(body, dict | list | int | float | bool):
        return JSONResponse(body, status_code=response.status, headers=headers)
    if body is None:
        return Response(status_code=response.status, headers=headers)
    media = headers.pop("content-type", headers.pop("Content-Type", "text/plain; charset=utf-8"))
    return Response(str(body), status_code=response.status, headers=headers, media_type=media)


async def _authenticate(
    request: Request, engine: EngineHost, target: WebhookTarget, body: bytes | None
) -> None:
    """Raise AuthFailed unless the request proves who it is (see the module's docstring).
    Only the reason is logged: never a secret or what the caller presented."""
    auth = target.auth
    assert auth is not None
    try:
        reason = await engine.webhooks.authenticate(
            auth, engine.runtime.vault, request.headers, body
        )
    except AuthUnavailable as exc:
        log.warning("webhook %s cannot authenticate: %s", _where(request, target), exc)
        raise AuthFailed(target, unavailable=True) from None
    if reason is not None:
        log.info("webhook %s: authentication failed: %s", _where(request, target), reason)
        raise AuthFailed(target)


def _where(request: Request, target: WebhookTarget) -> str:
    return (
        f"{request.method} {request.url.path} "
        f"(workflow {target.workflow_id}, node {target.node_id!r})"
    )


class Refused(Exception):
    """A request answered without starting anything."""

    def __init__(self, response: Response) -> None:
        super().__init__("refused")
        self.response = response


async def _item(
    request: Request, engine: EngineHost, target: WebhookTarget, path: str, *, test: bool
) -> tuple[dict[str, Any], str | None]:
    """Authenticate, read and parse the request: the item the trigger emits and the delivery
    id (idempotency). Raises Refused with the answer for a request that cannot run."""
    limit = engine.runtime.settings.webhook_max_body_bytes
    if target.max_body_bytes is not None and target.max_body_bytes < limit:
        limit = target.max_body_bytes
    auth = target.auth
    delivery: str | None = None
    try:
        if auth is not None and not auth.signs_body:
            await _authenticate(request, engine, target, None)  # before reading the body
        raw = await _read_body(request, limit)
        if auth is not None and auth.signs_body:
            await _authenticate(request, engine, target, raw)
        event = _event_of(request, target)
        if target.idempotency_header is not None and not test:
            delivery = delivery_id(request.headers, target.idempotency_header)
        body = await _parse(request, raw)
        if target.handshake is not None:
            _handshake(target, body)
        if target.event_of is not None:
            event = _filtered(target, target.event_of(body))
        if target.delivery_of is not None and not test:
            delivery = checked_delivery_id(target.delivery_of(body))
    except (AuthFailed, BadBody) as exc:
        raise Refused(exc.response()) from None
    except BadDeliveryId as exc:
        error = {"detail": str(exc), "code": "bad_delivery_id", "errors": []}
        raise Refused(JSONResponse(error, status_code=400)) from None
    item = {
        "body": body,
        "headers": dict(request.headers) if auth is None else masked_headers(auth, request.headers),
        "query": dict(request.query_params) if request.scope["query_string"] else {},
        "method": request.method,
        "path": normalise_path(path),
    }
    if target.filters_events:
        item["event"] = event
    return item, delivery


def _handshake(target: WebhookTarget, body: Any) -> None:
    """A verified handshake (Slack's url_verification) is answered 200 with what the
    trigger says, and starts nothing."""
    assert target.handshake is not None
    answer = target.handshake(body)
    if answer is not None:
        raise Refused(JSONResponse(answer, status_code=200))


def _event_of(request: Request, target: WebhookTarget) -> str | None:
    """The delivery's event (integration webhook triggers naming it in a header)."""
    if target.event_header is None:
        return None
    return _filtered(target, request.headers.get(target.event_header, "").strip())


def _filtered(target: WebhookTarget, event: str | None) -> str | None:
    """Refused with a 200 that starts nothing when the trigger does not listen to the
    event (``ping`` unless asked for)."""
    wanted = target.events or None
    if (wanted is not None and event not in wanted) or (wanted is None and event == "ping"):
        answer = {"status": "ignored", "event": event, "detail": "this trigger does not run on it"}
        raise Refused(JSONResponse(answer, status_code=200))
    return event


def _too_many(retry_after: int) -> JSONResponse:
    return JSONResponse(
        {
            "detail": f"too many requests to this webhook; retry in {retry_after} s",
            "code": "webhook_rate_limited",
            "errors": [],
        },
        status_code=429,
        headers={"Retry-After": str(retry_after)},
    )


async def _handle(request: Request, engine: EngineHost, path: str) -> Response:
    """A production call (/webhook/…): active workflows only."""
    target = await engine.webhooks.lookup(request.method, path)
    if target is None:
        return JSONResponse(NOT_FOUND, status_code=404)
    if target.rate_limit is not None:
        retry_after = await engine.webhooks.rate_limits.retry_after(target)
        if retry_after is not None:
            return _too_many(retry_after)
    try:
        item, delivery = await _item(request, engine, target, path, test=False)
    except Refused as exc:
        return exc.response
    execution_id: str | None = None
    key: DeliveryKey | None = None
    if delivery is not None:
        key = DeliveryKey(target.workflow_id, target.node_id, delivery)
        execution_id, duplicate = await engine.webhooks.deliveries.claim(
            key,
            ttl_s=engine.runtime.settings.webhook_idempotency_ttl_s,
            execution_exists=lambda eid: _execution_exists(engine, eid),
        )
        if duplicate:
            return JSONResponse({"execution_id": execution_id, "status": "duplicate"})
    try:
        started = await _start(engine, target, item, mode="webhook", execution_id=execution_id)
    except BaseException:
        if key is not None and execution_id is not None:
            await engine.webhooks.deliveries.release(key, execution_id)
        raise
    try:
        return await _answer(engine, target, started)
    except StoreUnavailable:  # answered 503: a repeat of the delivery may run it again
        if key is not None and execution_id is not None:
            await engine.webhooks.deliveries.release(key, execution_id)
        raise


async def _handle_test(request: Request, engine: EngineHost, path: str) -> Response:
    """A test call (/webhook-test/…): only a workflow an editor armed, once; anything else is
    the same 404 as an unknown path."""
    tests = engine.webhooks.tests
    target = await tests.find(request.method, path)
    if target is None:
        return JSONResponse(NOT_FOUND, status_code=404)
    try:
        item, _ = await _item(request, engine, target, path, test=True)
    except Refused as exc:
        return exc.response
    execution_id = await tests.claim(target)
    if execution_id is None:  # another call took it meanwhile, or it expired
        return JSONResponse(NOT_FOUND, status_code=404)
    try:
        started = await _start(engine, target, item, mode="test", execution_id=execution_id)
    except BaseException:
        await tests.release(target, execution_id)
        raise
    return await _answer(engine, target, started)


async def _start(
    engine: EngineHost,
    target: WebhookTarget,
    item: dict[str, Any],
    *,
    mode: str,
    execution_id: str | None,
) -> Started:
    graph = await engine.load_graph(target.workflow_id, target.version)
    return await engine.runner.execute(
        graph,
        mode=mode,
        input_items=[item],
        start_node=target.node_id,
        respond=target.respond == "respond_node",
        execution_id=execution_id,
        # Answered at once: nobody here waits for the end (distributed mode: not followed).
        elsewhere=target.respond == "immediately",
    )


async def _answer(engine: EngineHost, target: WebhookTarget, started: Started) -> Response:
    """The webhook's answer once the execution is recorded (StoreUnavailable if not)."""
    respond = target.respond
    if respond == "immediately":
        await engine.runner.store.flush(started.id)  # accepted means recorded
        return JSONResponse({"execution_id": started.id, "status": "started"})
    if respond == "respond_node" and started.run.response is not None:
        answer = await started.run.response
        await engine.runner.store.flush(started.id)
        return to_http(answer)
    await started.wait()
    await engine.runner.store.flush(started.id)
    return to_http(started.run.default_response())


async def _execution_exists(engine: EngineHost, execution_id: str) -> bool:
    if execution_id in engine.runner.running:
        return True
    return await engine.runner.store.load_execution(execution_id) is not None


# Plain Starlette routes: the hot path skips FastAPI's dependency solving and validation.


async def _engine(request: Request) -> EngineHost:
    return await ensure_engine(request.app.state.runtime)


async def webhook(request: Request) -> Response:
    engine = await _engine(request)
    return await _handle(request, engine, request.path_params["path"])


async def webhook_test(request: Request) -> Response:
    engine = await _engine(request)
    return await _handle_test(request, engine, request.path_params["path"])


async def resume(request: Request) -> Response:
    engine = await _engine(request)
    execution_id = request.path_params["execution_id"]
    token = request.query_params.get("token", "")
    if not check_resume_token(engine.runtime.signing_key, execution_id, token):
        return JSONResponse(NOT_FOUND, status_code=404)
    record = await engine.runner.store.load_execution(execution_id)
    if record is None or record.status != "waiting":
        return JSONResponse(NOT_FOUND, status_code=404)
    try:
        body = await parse_body(request, engine.runtime.settings.webhook_max_body_bytes)
    except BadBody as exc:
        return exc.response()
    payload = {"body": body, "query": dict(request.query_params)}
    payload["query"].pop("token", None)
    steps = await engine.runner.store.load_steps(execution_id)
    waiting = [
        s.node_id
        for s in steps
        if s.status == "waiting"
        and ((s.output or {}).get(WAIT_PORT) or [{}])[0].get("resume") == "webhook"
    ]
    if not waiting:
        return JSONResponse(NOT_FOUND, status_code=404)
    started = await engine.resume(execution_id, waiting[0], payload)
    await engine.runner.store.flush(started.id)
    return JSONResponse({"execution_id": started.id, "status": "resumed"})


routes = [
    Route("/webhook/{path:path}", webhook, methods=METHODS),
    Route("/webhook-test/{path:path}", webhook_test, methods=METHODS),
    Route("/webhook-waiting/{execution_id}", resume, methods=["GET", "POST"]),
]

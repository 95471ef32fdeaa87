"""Webhooks: ``/webhook/{path}`` (active workflows), ``/webhook-test/{path}`` (editor test
runs of any workflow) and ``/webhook-waiting/{execution_id}`` (resume a waiting execution).

An unknown path or method is a plain 404 that reveals nothing. Bodies are parsed strictly by
content type (JSON, form, multipart, text; anything else is kept as base64), capped in size
(``WIREWORK_WEBHOOK_MAX_BODY_BYTES`` and the node's ``max_body_bytes``: the smaller wins).

A webhook with ``auth`` (both URLs) answers a request that does not authenticate with 401
``{"detail": "authentication failed", "code": "webhook_unauthorized", "errors": []}`` (basic:
with ``WWW-Authenticate``), and 401 ``webhook_auth_unavailable`` when its integration is
missing, deactivated or lacks the credential field. With ``idempotency_header`` (production
URL only), a repeated delivery id is answered 200 ``{"execution_id": <the first execution>,
"status": "duplicate"}`` without starting another execution.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wirework.api.bodies import BadContentLength, BodyTooLarge, read_capped
from wirework.engine.executor import WAIT_PORT
from wirework.engine.runner import Started
from wirework.engine.store import StoreUnavailable
from wirework.sdk.node import Response as NodeResponse
from wirework.services.engine import EngineHost, ensure_engine
from wirework.services.webhooks import (
    AuthUnavailable,
    BadDeliveryId,
    DeliveryKey,
    WebhookTarget,
    check_resume_token,
    delivery_id,
    masked_headers,
    normalise_path,
)

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
        body = {"detail": self.message, "code": "bad_webhook_body", "errors": []}
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
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadBody(400, f"body is not valid JSON: {exc}") from None
    if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        # The body was consumed above; starlette re-parses from its cached copy.
        request._body = raw
        try:
            form = await request.form(max_files=100, max_fields=1000)
        except Exception as exc:
            raise BadBody(400, f"body is not valid {ctype}: {exc}") from None
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
            raise BadBody(400, "text body is not valid UTF-8") from None
    return {"content_type": ctype, "data": base64.b64encode(raw).decode("ascii")}


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


async def _handle(request: Request, engine: EngineHost, path: str, *, test: bool) -> Response:
    target = await engine.webhooks.lookup(request.method, path, test=test)
    if target is None:
        return JSONResponse(NOT_FOUND, status_code=404)
    limit = engine.runtime.settings.webhook_max_body_bytes
    if target.max_body_bytes is not None and target.max_body_bytes < limit:
        limit = target.max_body_bytes
    auth = target.auth
    delivery: str | None = None
    try:
        if auth is not None and auth.type != "hmac":
            await _authenticate(request, engine, target, None)  # before reading the body
        raw = await _read_body(request, limit)
        if auth is not None and auth.type == "hmac":
            await _authenticate(request, engine, target, raw)
        if target.idempotency_header is not None and not test:
            delivery = delivery_id(request.headers, target.idempotency_header)
        body = await _parse(request, raw)
    except AuthFailed as exc:
        return exc.response()
    except BadBody as exc:
        return exc.response()
    except BadDeliveryId as exc:
        error = {"detail": str(exc), "code": "bad_delivery_id", "errors": []}
        return JSONResponse(error, status_code=400)
    item = {
        "body": body,
        "headers": dict(request.headers) if auth is None else masked_headers(auth, request.headers),
        "query": dict(request.query_params) if request.scope["query_string"] else {},
        "method": request.method,
        "path": normalise_path(path),
    }
    graph = await engine.load_graph(target.workflow_id, target.version)
    respond = target.respond
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
        started = await engine.runner.execute(
            graph,
            mode="test" if test else "webhook",
            input_items=[item],
            start_node=target.node_id,
            respond=respond == "respond_node",
            execution_id=execution_id,
        )
    except BaseException:
        if key is not None and execution_id is not None:
            await engine.webhooks.deliveries.release(key, execution_id)
        raise
    try:
        return await _answer(engine, started, respond)
    except StoreUnavailable:  # answered 503: a repeat of the delivery may run it again
        if key is not None and execution_id is not None:
            await engine.webhooks.deliveries.release(key, execution_id)
        raise


async def _answer(engine: EngineHost, started: Started, respond: str) -> Response:
    """The webhook's answer once the execution is recorded (StoreUnavailable if not)."""
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
    return await _handle(request, engine, request.path_params["path"], test=False)


async def webhook_test(request: Request) -> Response:
    engine = await _engine(request)
    return await _handle(request, engine, request.path_params["path"], test=True)


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

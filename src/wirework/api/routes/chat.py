"""Chats: ``GET /api/chat/{workflow_id}`` (the page's settings) and ``POST
/api/chat/{workflow_id}/messages`` (one message; the answer streams back as server-sent
events), for workflows with an ``ai.chat_trigger``; see services/chat.py.

Public chats need no login but are rate-limited per client address; login chats need the
session cookie (with its CSRF header) or a bearer token. An unknown workflow, one without a
chat trigger and an inactive one are the same 404. Browsers on the chat's
``allowed_origins`` may call these routes (CORS, without credentials: public chats only)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials

from wirework.api import session as browser_session
from wirework.api import ui
from wirework.api.deps import (
    ClientDep,
    DbId,
    EngineDep,
    GuardDep,
    RuntimeDep,
    SessionDep,
    bearer,
    current_user,
)
from wirework.errors import ServiceError
from wirework.schemas.chat import ChatInfo, ChatMessageIn
from wirework.services import chat as svc
from wirework.services.auth import User
from wirework.services.runtime import Runtime

router = APIRouter(prefix="/chat", tags=["chat"])

Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
MAX_DB_ID = 2**31 - 1
PUBLIC_FAILURE = "sorry, the chat could not answer this message"


class BodyTooLarge(ServiceError):
    status_code = 413
    code = "body_too_large"


async def _capped(request: Request, runtime: RuntimeDep) -> None:
    """Refuse a message body over WIREWORK_CHAT_MAX_BODY_BYTES before it is parsed."""
    limit = runtime.settings.chat_max_body_bytes
    declared = request.headers.get("content-length", "")
    if (declared.isdigit() and int(declared) > limit) or len(await request.body()) > limit:
        raise BodyTooLarge(f"request body larger than {limit} bytes")


async def _caller(
    chat: svc.Chat,
    request: Request,
    session: SessionDep,
    runtime: Runtime,
    guard: GuardDep,
    client: str,
    credentials: HTTPAuthorizationCredentials | None,
) -> User | None:
    """Who sends: required for a login chat (401 otherwise); for a public chat the signed-in
    user if the cookie says so without fuss (a stale cookie does not stop a public chat)."""
    if not chat.public or credentials is not None:
        return await current_user(request, session, runtime, guard, client, credentials)
    try:
        user = await browser_session.cookie_user(request, session, runtime)
    except ServiceError:
        return None
    await session.commit()
    return user


def _cors(chat: svc.Chat, request: Request, response: Response) -> None:
    origin = request.headers.get("origin")
    response.headers["Vary"] = "Origin"
    if origin and chat.public and origin.lower() in chat.params.allowed_origins:
        response.headers["Access-Control-Allow-Origin"] = origin


@router.get(
    "/{workflow_id}",
    response_model=ChatInfo,
    summary="A chat's title, welcome message and access (public, or login)",
    responses={404: {"description": "No active chat here"}, 401: {"description": "Login chat"}},
)
async def chat_info(
    workflow_id: DbId,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    guard: GuardDep,
    client: ClientDep,
    credentials: Credentials,
) -> JSONResponse:
    chat = await svc.find_chat(session, workflow_id)
    await _caller(chat, request, session, runtime, guard, client, credentials)
    info = ChatInfo(
        title=chat.params.title,
        welcome_message=chat.params.welcome_message,
        access=chat.params.access.value,
    )
    response = JSONResponse(info.model_dump(mode="json"))
    _cors(chat, request, response)
    return response


@router.options("/{workflow_id}/messages", include_in_schema=False)
async def preflight(workflow_id: DbId, request: Request, session: SessionDep) -> Response:
    response = Response(status_code=204)
    try:
        chat = await svc.find_chat(session, workflow_id)
    except ServiceError:
        return response  # no CORS headers: the browser refuses
    _cors(chat, request, response)
    if "Access-Control-Allow-Origin" in response.headers:
        response.headers["Access-Control-Allow-Methods"] = "POST"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
    return response


@router.post(
    "/{workflow_id}/messages",
    summary="Send a message; the answer streams back as server-sent events",
    description=(
        "Starts an execution of the workflow at its chat trigger with the item "
        "`{session_id, message, user?, history_hint?}`. The response is `text/event-stream`: "
        "`delta` events (`{node_id, text}`) as the reply's tokens arrive (a delta from "
        "another node than the previous one starts the text over; one from a sub-workflow "
        "the workflow awaits names the node running it, plus `child_execution_id` and "
        "`child_node_id`, the execution and node that wrote it), then one `message` "
        "(`{execution_id, text}`: the whole reply) or one `error` (`{execution_id, "
        "message}`). The reply is the `text` (else `output`, else `message`) of the first "
        "item of the workflow's result (its last node, or `settings.result_node`)."
    ),
    response_class=StreamingResponse,
    responses={
        404: {"description": "No active chat here"},
        413: {"description": "Body too large"},
        429: {"description": "Too many messages (Retry-After)"},
    },
    dependencies=[Depends(_capped)],
)
async def send_message(
    workflow_id: DbId,
    body: ChatMessageIn,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    guard: GuardDep,
    client: ClientDep,
    credentials: Credentials,
    engine: EngineDep,
) -> StreamingResponse:
    chat = await svc.find_chat(session, workflow_id)
    user = await _caller(chat, request, session, runtime, guard, client, credentials)
    await _limits(request, runtime, guard).count(chat, client)
    item = svc.trigger_item(
        body.session_id,
        body.message,
        {"id": user.id, "email": user.email, "name": user.name} if user is not None else None,
        [m.model_dump() for m in body.history_hint] if body.history_hint else None,
    )

    async def stream() -> AsyncIterator[str]:
        async for event in svc.converse(engine, chat, item):
            if isinstance(event, svc.KeepAlive):
                yield ": keep-alive\n\n"
            elif isinstance(event, svc.Delta):
                yield _sse("delta", event.data())
            elif isinstance(event, svc.Reply):
                yield _sse("message", {"execution_id": event.execution_id, "text": event.text})
            elif isinstance(event, svc.Failed):
                message = PUBLIC_FAILURE if chat.public else event.message
                yield _sse("error", {"execution_id": event.execution_id, "message": message})

    response = StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
    _cors(chat, request, response)
    return response


def _limits(request: Request, runtime: Runtime, guard: Any) -> svc.ChatLimits:
    limits: svc.ChatLimits | None = getattr(request.app.state, "chat_limits", None)
    if limits is None:
        limits = svc.ChatLimits(guard.limiter, runtime.settings.chat_rate_limit)
        request.app.state.chat_limits = limits
    return limits


def _sse(kind: str, data: Any) -> str:
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n"


# --------------------------------------------------------------------------- pages

WIDGET = Path(__file__).resolve().parent.parent / "static" / "chat-widget.js"
page_router = APIRouter(include_in_schema=False)


@page_router.get("/chat/widget.js")
async def widget() -> FileResponse:
    """The embeddable chat widget: ``<script src="https://wirework.example/chat/widget.js"
    data-workflow="ID"></script>`` adds a chat bubble that opens the hosted page in a frame."""
    return FileResponse(
        WIDGET,
        media_type="text/javascript",
        headers={
            "Cache-Control": "public, max-age=300",
            "X-Content-Type-Options": "nosniff",
            "Cross-Origin-Resource-Policy": "cross-origin",
        },
    )


@page_router.get("/chat/{workflow_id:int}")
async def chat_page(workflow_id: int, request: Request, session: SessionDep) -> Response:
    """The hosted chat page (the web UI's page), which the chat's ``allowed_origins`` may
    show in a frame; anything else about the chat is asked by the page itself."""
    origins: list[str] = []
    if 1 <= workflow_id <= MAX_DB_ID:
        with contextlib.suppress(ServiceError):
            origins = (await svc.find_chat(session, workflow_id)).params.allowed_origins
    return ui.framed_page(request.app.state.ui_dist, origins)

"""Approvals of agents' tool calls: the list of pending ones and a user's decision (API), and
the signed approve/reject links (no login: the link's signature is the authority; GET shows
a confirmation page, POST decides, so a mail scanner fetching the link decides nothing)."""

from __future__ import annotations

import html
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from wirework.api.deps import CanEdit, CurrentUser, EngineDep, RuntimeDep, SessionDep, current_user
from wirework.errors import NotFound
from wirework.schemas.approvals import ApprovalDecision, ApprovalResult, PendingApproval
from wirework.services import approvals as svc

router = APIRouter(tags=["approvals"], dependencies=[Depends(current_user)])
link_router = APIRouter(tags=["approvals"])


@router.get(
    "/approvals",
    response_model=list[PendingApproval],
    summary="Agents' tool calls waiting for a person's approval, oldest first",
)
async def list_approvals(
    session: SessionDep,
    execution_id: Annotated[str | None, Query(max_length=64)] = None,
) -> list[PendingApproval]:
    return await svc.pending(session, execution_id)


@router.post(
    "/approvals/{execution_id}/{node_id}/{call_id}",
    response_model=ApprovalResult,
    dependencies=[CanEdit],
    summary="Approve or reject a waiting tool call; the execution resumes",
)
async def decide(
    execution_id: str,
    node_id: str,
    call_id: str,
    body: ApprovalDecision,
    session: SessionDep,
    engine: EngineDep,
    user: CurrentUser,
) -> ApprovalResult:
    resumed = await svc.decide(
        session,
        engine,
        execution_id,
        node_id,
        call_id,
        approved=body.approved,
        by=user.name or user.email,
        reason=body.reason,
    )
    return ApprovalResult(execution_id=resumed, status="resumed")


LinkQ = Annotated[str, Query(max_length=300)]


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>",
        status_code=status,
    )


@link_router.api_route(
    "/approval/{execution_id}",
    methods=["GET", "POST"],
    response_class=HTMLResponse,
    include_in_schema=False,
)
async def signed_link(
    request: Request,
    execution_id: str,
    node: LinkQ,
    call: LinkQ,
    decision: LinkQ,
    expires: int,
    token: LinkQ,
    session: SessionDep,
    runtime: RuntimeDep,
    engine: EngineDep,
) -> HTMLResponse:
    problem = svc.check_link(
        runtime.signing_key, execution_id, node, call, decision, expires, token
    )
    if problem is not None:
        return _page("Approval link not valid", f"<p>{html.escape(problem)}</p>", 403)
    waiting = [
        p
        for p in await svc.pending(session, execution_id)
        if p.node_id == node and p.call_id == call
    ]
    if not waiting:
        return _page("Nothing to decide", "<p>This tool call is not waiting anymore.</p>", 404)
    verb = "Approve" if decision == svc.APPROVE else "Reject"
    if request.method == "GET":
        args = html.escape(str(waiting[0].arguments))
        form = (
            f"<p>Tool <b>{html.escape(waiting[0].tool)}</b> with arguments <code>{args}</code></p>"
            "<form method='post'><label>Reason <input name='reason'></label> "
            f"<button type='submit'>{verb}</button></form>"
        )
        return _page(f"{verb} this tool call?", form)
    form_data = await request.form()
    reason = str(form_data.get("reason") or "")[:2000] or None
    try:
        await svc.decide(
            session,
            engine,
            execution_id,
            node,
            call,
            approved=decision == svc.APPROVE,
            by="signed link",
            reason=reason,
        )
    except NotFound:
        return _page("Nothing to decide", "<p>This tool call is not waiting anymore.</p>", 404)
    return _page(f"{verb}d", "<p>The execution goes on.</p>")

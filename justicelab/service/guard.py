"""What every request passes before the application sees it: security headers on every answer; request
bodies declared (Content-Length), capped and read against a deadline; uploads refused before a byte of
the body is read unless their credentials are valid. A slow client (slow-loris) is cut off, a large or
anonymous upload never reaches the disk.
"""
from __future__ import annotations

import asyncio
from typing import Callable

from fastapi import HTTPException
from starlette.concurrency import run_in_threadpool
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADERS = [
    (b"content-security-policy", b"default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; form-action 'self'; "
                                 b"frame-ancestors 'none'; base-uri 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    # same-origin, not no-referrer: under no-referrer Chromium sends "Origin: null" with our own forms,
    # which the sign-in form's origin check must refuse; other sites still get no referrer
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
FORM_BYTES = 64_000  # a sign-in or review form; an upload may add its file's size to this


class Guard:
    """ASGI middleware. `authorised(headers)` says whether an upload's credentials are valid (it runs in a
    thread: it reads the store)."""

    def __init__(self, app, upload_paths: tuple[str, ...], max_upload_bytes: int, body_seconds: float,
                 authorised: Callable[[dict[str, str]], bool]):
        self.app, self.upload_paths, self.max_upload_bytes = app, upload_paths, max_upload_bytes
        self.body_seconds, self.authorised = body_seconds, authorised

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        cut = []  # set when the body was refused half-read: the connection cannot be reused

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + HEADERS + (
                    [(b"connection", b"close")] if cut else [])
            await send(message)

        if scope["method"] in ("POST", "PUT", "PATCH", "DELETE"):
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            upload = scope["path"] in self.upload_paths
            limit = FORM_BYTES + (self.max_upload_bytes if upload else 0)
            refusal = None
            if upload and not await run_in_threadpool(self.authorised, headers):
                refusal = (401, "sign in (or send a valid API token) before uploading")
            refusal = refusal or self._refusal(headers, limit)
            if refusal is not None:
                return await _answer(send_with_headers, *refusal, close=True)
            receive = _capped(receive, limit, asyncio.get_running_loop().time() + self.body_seconds, cut)
        await self.app(scope, receive, send_with_headers)

    def _refusal(self, headers: dict[str, str], limit: int) -> tuple[int, str] | None:
        length = headers.get("content-length")
        if length is None:
            if "transfer-encoding" in headers:
                return 411, "send the request with a Content-Length"
            return None  # no body at all
        if not length.isdigit():
            return 400, "the Content-Length is not a number"
        if int(length) > limit:
            return 413, f"the file is larger than the {self.max_upload_bytes // 1_000_000} MB limit"
        return None


def _capped(receive, limit: int, deadline: float, cut: list):
    """receive() that refuses more than `limit` bytes or a body still arriving at `deadline` (and notes
    it in `cut`)."""
    seen = 0

    async def capped():
        nonlocal seen
        loop = asyncio.get_running_loop()
        try:
            message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
        except asyncio.TimeoutError:
            cut.append(408)
            raise HTTPException(408, "the upload was too slow: try again on a faster connection") from None
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                cut.append(413)
                raise HTTPException(413, "the request is larger than it said")
        return message
    return capped


async def _answer(send, status: int, text: str, close: bool = False) -> None:
    body = text.encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class HeaderDeadline(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, closing a connection whose request line and headers have not arrived
    within HEADER_SECONDS (uvicorn alone waits for them for ever)."""
    HEADER_SECONDS = 10.0

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._deadline = self.loop.call_later(self.HEADER_SECONDS, self._too_slow)

    def data_received(self, data: bytes) -> None:
        if self._waiting() and self._deadline is None:
            self._deadline = self.loop.call_later(self.HEADER_SECONDS, self._too_slow)
        super().data_received(data)
        if not self._waiting() and self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def connection_lost(self, exc) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        super().connection_lost(exc)

    def _waiting(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _too_slow(self) -> None:
        self._deadline = None
        if self._waiting():
            self.transport.close()

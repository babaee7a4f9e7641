"""Every failure reading the client becomes a Glare error at the HTTP edge
(``glare_core/api/request_body.py``), with the status and envelope a client always got:
a dropped connection is ``ClientDisconnected``, a 400 ``BadRequest``; a body the server
refused as malformed a plain ``BadRequest``; Glare's own errors and bugs pass unchanged."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from gunicorn.http import errors as gunicorn_errors
from werkzeug.exceptions import ClientDisconnected as WerkzeugClientDisconnected

from glare_core.api.errors import error_response
from glare_core.api.request_body import read_client, request_body, send_continue
from glare_core.api.server_edge import ENVIRON_KEY, PLAIN_WSGI, server_edge
from glare_core.errors import (
    BadRequest,
    ClientDisconnected,
    RequestTimeout,
    ServiceUnavailable,
)
from glare_core.server.edge import GUNICORN_EDGE, WithGunicornEdge


class Failing(io.BytesIO):
    """A body that delivers ``data``, then fails the next read with ``error``."""

    def __init__(self, data: bytes, error: BaseException) -> None:
        super().__init__(data)
        self.error = error

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        if not chunk:
            raise self.error
        return chunk


DROPPED = [
    WerkzeugClientDisconnected(),
    ConnectionResetError(104, "Connection reset by peer"),
    BrokenPipeError(32, "Broken pipe"),
    OSError(5, "Input/output error"),
    gunicorn_errors.NoMoreData(b""),  # an OSError too: a body that ended early
]


@pytest.mark.parametrize("error", DROPPED, ids=lambda e: type(e).__name__)
def test_a_dropped_client_is_client_disconnected_a_400(error: BaseException) -> None:
    chunks = request_body(Failing(b"x" * 300, error), 1000, chunk_size=100,
                          refused=GUNICORN_EDGE.is_refused_request)
    with pytest.raises(ClientDisconnected) as caught:
        list(chunks)
    failure = caught.value
    assert isinstance(failure, BadRequest)
    assert (failure.status, failure.error_type) == (400, "BadRequest")
    assert failure.message == (
        f"The upload was interrupted after 300 bytes ({type(error).__name__})")
    assert failure.__cause__ is None and failure.__suppress_context__


def test_client_disconnected_answers_the_same_envelope_as_before() -> None:
    """Its JSON is a BadRequest's, word for word: clients match on the type."""
    with pytest.raises(ClientDisconnected) as caught:
        read_client(Failing(b"", ConnectionResetError()), 10, what="request body")
    app = Flask(__name__)
    with app.app_context():
        dropped = error_response(caught.value)
        plain = error_response(BadRequest(caught.value.message))
    assert dropped.status_code == plain.status_code == 400
    assert dropped.get_json() == plain.get_json()
    assert dropped.get_json()["error"] == {
        "message": "The request body was interrupted (ConnectionResetError)",
        "type": "BadRequest"}


@pytest.mark.parametrize("error", [
    gunicorn_errors.InvalidChunkSize(b"zz"),
    gunicorn_errors.ChunkMissingTerminator(b"xx"),
], ids=lambda e: type(e).__name__)
def test_a_body_the_server_refused_is_a_400_saying_why(error: BaseException) -> None:
    with pytest.raises(BadRequest) as caught:
        read_client(Failing(b"", error), 10, what="upload",
                    refused=GUNICORN_EDGE.is_refused_request)
    assert not isinstance(caught.value, ClientDisconnected)
    assert caught.value.message == f"The request body is malformed: {error}"


def test_without_the_servers_verdict_its_errors_are_not_guessed() -> None:
    """Under a plain WSGI server nothing is taken for a refused body; a bug stays a bug."""
    error = gunicorn_errors.InvalidChunkSize(b"zz")
    with pytest.raises(gunicorn_errors.InvalidChunkSize):
        read_client(Failing(b"", error), 10, what="upload",
                    refused=PLAIN_WSGI.is_refused_request)
    with pytest.raises(KeyError):
        read_client(Failing(b"", KeyError("bug")), 10, what="upload",
                    refused=GUNICORN_EDGE.is_refused_request)


@pytest.mark.parametrize("error", [ServiceUnavailable("stopping"), RequestTimeout("slow")],
                         ids=lambda e: type(e).__name__)
def test_glare_errors_of_the_servers_reader_pass_unchanged(error: BaseException) -> None:
    """The worker's paced socket ends a body with its own verdict (503, 408)."""
    with pytest.raises(type(error)) as caught:
        read_client(Failing(b"", error), 10, what="upload")
    assert caught.value is error


class BrokenContinue:
    """A server edge whose ``100 Continue`` finds the client gone."""

    def __init__(self, error: OSError) -> None:
        self.error = error

    def send_continue(self, environ: dict[str, Any]) -> None:
        raise self.error


def test_a_client_gone_before_100_continue_is_client_disconnected() -> None:
    environ = {ENVIRON_KEY: BrokenContinue(BrokenPipeError(32, "Broken pipe"))}
    with pytest.raises(ClientDisconnected, match="before the upload was read"):
        send_continue(environ, what="upload")
    environ = {ENVIRON_KEY: BrokenContinue(TimeoutError("timed out"))}
    with pytest.raises(RequestTimeout):
        send_continue(environ, what="upload")


def test_requests_served_by_gunicorn_carry_its_edge() -> None:
    """The middleware the worker (and glare_core.wsgi) wraps the app in: gunicorn's
    requests get ``GUNICORN_EDGE``; any other server's get nothing (plain WSGI)."""
    seen: list[Any] = []
    app = WithGunicornEdge(lambda environ, start_response: seen.append(server_edge(environ)))
    app({"gunicorn.socket": object()}, None)
    app({}, None)
    assert seen == [GUNICORN_EDGE, PLAIN_WSGI]

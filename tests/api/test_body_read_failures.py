"""A client whose body cannot be read gets the 400 it always got, through the whole app:
the upload's stream (and every hook wrapping it) fails with a Glare error, so the
engine rolls the upload back and reports the client's failure, never "refused data"."""

from __future__ import annotations

import io

from gunicorn.http import errors as gunicorn_errors

from glare_core.api.server_edge import ENVIRON_KEY
from glare_core.server.edge import GUNICORN_EDGE
from tests.api.helpers import assert_error, stored, url
from tests.conftest import SAMPLE, SAMPLE_URL


class Failing(io.BytesIO):
    """A body that delivers ``data``, then fails the next read with ``error`` (the test
    client takes the length of what it holds: the tests announce more)."""

    def __init__(self, data: bytes, error: BaseException) -> None:
        super().__init__(data)
        self.error = error

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        if not chunk:
            raise self.error
        return chunk


def test_an_upload_cut_by_the_client_is_a_400_and_stores_nothing(user1, glare_app):
    art = user1.create(SAMPLE, name="cut")
    body = Failing(b"a" * 1000, ConnectionResetError(104, "Connection reset by peer"))
    response = user1.put(url(art["id"], "blob"), input_stream=body,
                         content_type="application/octet-stream",
                         environ_overrides={"CONTENT_LENGTH": "5000"})
    envelope = assert_error(response, 400, "BadRequest")
    assert envelope["error"]["message"] == (
        "The upload was interrupted after 1000 bytes (ConnectionResetError)")
    assert user1.show(SAMPLE, art["id"])["blob"] is None
    assert stored(glare_app) == set()


def test_a_chunked_upload_the_server_refuses_is_a_400_saying_why(user1, glare_app):
    """gunicorn's verdict on a bad chunk, raised while the upload streams (here under the
    edge the worker installs), is reported as before: the body is malformed."""
    art = user1.create(SAMPLE, name="bad-chunk")
    error = gunicorn_errors.InvalidChunkSize(b"zz")
    response = user1.put(url(art["id"], "blob"), input_stream=Failing(b"b" * 100, error),
                         content_type="application/octet-stream",
                         headers={"Transfer-Encoding": "chunked"},
                         environ_overrides={"wsgi.input_terminated": True,
                                            ENVIRON_KEY: GUNICORN_EDGE})
    envelope = assert_error(response, 400, "BadRequest")
    assert envelope["error"]["message"] == f"The request body is malformed: {error}"
    assert user1.show(SAMPLE, art["id"])["blob"] is None
    assert stored(glare_app) == set()


def test_a_json_body_cut_by_the_client_is_a_400(user1):
    """werkzeug's stream turns the OSError into its ClientDisconnected, which becomes ours."""
    response = user1.post(SAMPLE_URL, input_stream=Failing(b"", OSError(5, "EIO")),
                          content_type="application/json",
                          environ_overrides={"CONTENT_LENGTH": "100"})
    envelope = assert_error(response, 400, "BadRequest")
    assert envelope["error"]["message"] == (
        "The request body was interrupted (ClientDisconnected)")

"""Uploads in flight, held in the middle of their body while other requests run.

- An upload of unknown size holds only what it has read (plus a step) of its folder's
  space and of the project's data quota, so parallel uploads are not refused for space
  nobody uses (engine/reservation.py); a re-upload holds at least the blob it replaces,
  which a failure puts back.
- The heartbeat runs on a timer (engine/heartbeat.py): a paused upload stays alive.
- An upload taken for dead (its server silent for ``stale_after``) is undone by the next
  blob write (upload, location, blob delete), update, status change or delete of its
  artifact; when it comes back it fails with 409 (404 if its artifact was deleted) and
  undoes nothing of what replaced it.
- Until then, reads show it as it will be undone: the blob it was replacing, or none.
"""

from __future__ import annotations

import hashlib
import io
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

from glare_core.engine.liveness import BlobSettings
from glare_core.testing import replace_op
from tests.api.helpers import assert_error, stored, url
from tests.api.test_blobs_upload import data_id, put_streamed
from tests.api.test_quotas import set_quotas
from tests.conftest import SAMPLE

pytestmark = pytest.mark.usefixtures("store_name")

FOLDER = "dict_of_blobs"  # the sample type's folder: 2000 bytes in all


class HeldBody(io.BytesIO):
    """A request body that gives its first part, then waits for ``release`` before the
    rest; ``waiting`` is set once the server asks for more than the first part."""

    def __init__(self, first: bytes, rest: bytes) -> None:
        super().__init__(first + rest)
        self._boundary = len(first)
        self.waiting = threading.Event()
        self.release = threading.Event()

    def read(self, size: int | None = -1) -> bytes:
        position = self.tell()
        if position >= self._boundary and not self.release.is_set():
            self.waiting.set()
            assert self.release.wait(30), "the test never released the body"
        elif position < self._boundary:
            left = self._boundary - position
            size = left if size is None or size < 0 else min(size, left)
        return super().read(size)


def put_held(client: Any, artifact_id: str, path: str, body: HeldBody) -> Any:
    return client.put(url(artifact_id, path), input_stream=body,
                      content_type="application/octet-stream",
                      headers={"Transfer-Encoding": "chunked"},
                      environ_overrides={"wsgi.input_terminated": True})


def hold_upload(pool: ThreadPoolExecutor, client: Any, artifact_id: str, path: str,
                body: HeldBody) -> Future:
    """Start a chunked upload and return once it has read its first part."""
    upload = pool.submit(put_held, client, artifact_id, path, body)
    if not body.waiting.wait(30):
        raise AssertionError(f"the upload ended early: {upload.result().get_data()!r}")
    return upload


def test_a_chunked_upload_leaves_the_rest_of_its_folder_to_others(user1, glare_app):
    art = user1.create(SAMPLE, name="share-folder")
    body = HeldBody(b"a" * 300, b"a" * 300)
    with ThreadPoolExecutor(1) as pool:
        first = hold_upload(pool, user1, art["id"], f"{FOLDER}/a", body)
        holding = user1.show(SAMPLE, art["id"])[FOLDER]["a"]
        assert (holding["status"], holding["size"]) == ("saving", 450)  # read + half
        # It used to reserve the whole folder: this upload got "0 bytes left" (413).
        second = put_streamed(user1, art["id"], f"{FOLDER}/b", b"b" * 1000)
        assert second.status_code == 200, second.get_data(as_text=True)
        body.release.set()
        response = first.result()
    assert response.status_code == 200, response.get_data(as_text=True)
    folder = user1.show(SAMPLE, art["id"])[FOLDER]
    assert {key: (blob["status"], blob["size"]) for key, blob in folder.items()} == {
        "a": ("active", 600), "b": ("active", 1000)}
    assert user1.get(url(art["id"], f"{FOLDER}/a")).data == b"a" * 600


def test_a_growing_upload_that_finds_no_room_is_413_and_leaves_nothing(user1, glare_app,
                                                                    store_name):
    art = user1.create(SAMPLE, name="no-room-left")
    body = HeldBody(b"a" * 300, b"a" * 600)
    with ThreadPoolExecutor(1) as pool:
        first = hold_upload(pool, user1, art["id"], f"{FOLDER}/a", body)
        second = put_streamed(user1, art["id"], f"{FOLDER}/b", b"b" * 1200)
        assert second.status_code == 200, second.get_data(as_text=True)
        body.release.set()  # 900 bytes in all, where 800 are left
        response = first.result()
    envelope = assert_error(response, 413, "RequestEntityTooLarge")
    assert "800 bytes left of 2000 (its other entries hold 1200)" in envelope["error"]["message"]
    folder = user1.show(SAMPLE, art["id"])[FOLDER]
    assert {key: (blob["status"], blob["size"]) for key, blob in folder.items()} == {
        "b": ("active", 1200)}
    # Only the second upload's data is stored: the first one's is gone.
    assert stored(glare_app) == {(store_name, data_id(glare_app, art["id"], FOLDER, "b"))}
    assert user1.get(url(art["id"], f"{FOLDER}/b")).data == b"b" * 1200


def test_a_chunked_upload_leaves_the_rest_of_the_quota_to_others(user1, admin, glare_app):
    set_quotas(admin, "p1", max_uploaded_data=1000)
    first_art = user1.create(SAMPLE, name="quota-first")
    second_art = user1.create(SAMPLE, name="quota-second")
    body = HeldBody(b"a" * 300, b"a" * 200)
    with ThreadPoolExecutor(1) as pool:
        first = hold_upload(pool, user1, first_art["id"], "blob", body)
        assert user1.show(SAMPLE, first_art["id"])["blob"]["size"] == 450
        # It used to reserve the whole quota: this upload got "0 left" (413).
        second = put_streamed(user1, second_art["id"], "blob", b"b" * 500)
        assert second.status_code == 200, second.get_data(as_text=True)
        # The quota is now held in full (500 stored, 450 reserved, 50 left).
        third = put_streamed(user1, user1.create(SAMPLE, name="quota-third")["id"], "blob",
                             b"c" * 51)
        assert_error(third, 413)
        body.release.set()
        response = first.result()
    assert response.status_code == 200, response.get_data(as_text=True)
    sizes = [user1.show(SAMPLE, art["id"])["blob"]["size"] for art in (first_art, second_art)]
    assert sizes == [500, 500]


def test_an_upload_of_known_size_reserves_exactly_that(user1, glare_app):
    """Content-Length uploads reserve their size at once and never grow."""
    art = user1.create(SAMPLE, name="known-size")
    body = HeldBody(b"a" * 300, b"a" * 300)
    with ThreadPoolExecutor(1) as pool:
        upload = pool.submit(
            user1.put, url(art["id"], f"{FOLDER}/a"), input_stream=body,
            content_type="application/octet-stream", headers={"Content-Length": "600"})
        assert body.waiting.wait(30)
        assert user1.show(SAMPLE, art["id"])[FOLDER]["a"]["size"] == 600
        over = put_streamed(user1, art["id"], f"{FOLDER}/b", b"b" * 1401)
        assert_error(over, 413)
        body.release.set()
        assert upload.result().status_code == 200
    assert user1.show(SAMPLE, art["id"])[FOLDER]["a"]["size"] == 600


# ---- a re-upload holds at least the blob it replaces ----------------------------------------


def test_a_reupload_holds_the_quota_of_the_blob_a_failure_restores(user1, admin, glare_app):
    """A failed re-upload puts the old blob back, so while it runs it holds at least the
    old blob's size: a parallel upload cannot take that room and push the project over
    its quota once the old blob is back."""
    set_quotas(admin, "p1", max_uploaded_data=1000)
    art = user1.create(SAMPLE, name="reupload-holds")
    other = user1.create(SAMPLE, name="beside")
    assert put_streamed(user1, art["id"], "blob", b"o" * 600).status_code == 200
    body = HeldBody(b"n" * 300, b"n" * 800)  # 1100 bytes in all: over the quota
    with ThreadPoolExecutor(1) as pool:
        upload = hold_upload(pool, user1, art["id"], "blob", body)
        assert user1.show(SAMPLE, art["id"])["blob"]["size"] == 600  # not 450
        assert_error(put_streamed(user1, other["id"], "blob", b"b" * 500), 413)
        fitting = put_streamed(user1, other["id"], "blob", b"b" * 400)
        assert fitting.status_code == 200, fitting.get_data(as_text=True)
        body.release.set()
        assert_error(upload.result(), 413)
    sizes = [user1.show(SAMPLE, a["id"])["blob"]["size"] for a in (art, other)]
    assert sizes == [600, 400]
    assert user1.get(url(art["id"], "blob")).data == b"o" * 600


def test_a_reupload_holds_the_folder_room_of_the_blob_a_failure_restores(user1, glare_app):
    art = user1.create(SAMPLE, name="reupload-folder")
    assert put_streamed(user1, art["id"], f"{FOLDER}/k", b"o" * 1500).status_code == 200
    body = HeldBody(b"n" * 100, b"n" * 2000)  # over the folder's 2000 bytes
    with ThreadPoolExecutor(1) as pool:
        upload = hold_upload(pool, user1, art["id"], f"{FOLDER}/k", body)
        assert_error(put_streamed(user1, art["id"], f"{FOLDER}/j", b"j" * 501), 413)
        assert put_streamed(user1, art["id"], f"{FOLDER}/j", b"j" * 500).status_code == 200
        body.release.set()
        envelope = assert_error(upload.result(), 413)
    # the room left for k counts its own old 1500 bytes, which the upload would replace
    assert "1500 bytes left of 2000 (its other entries hold 500)" in envelope["error"]["message"]
    folder = user1.show(SAMPLE, art["id"])[FOLDER]
    assert {key: blob["size"] for key, blob in folder.items()} == {"k": 1500, "j": 500}


# ---- the heartbeat, and an upload that was taken for dead -----------------------------------


def test_a_paused_upload_stays_alive_and_keeps_its_blob(user1, glare_app, monkeypatch):
    """The record is refreshed on a timer, not per chunk read: an upload whose client
    pauses longer than the stale time is not taken over by the next upload."""
    blobs = glare_app.extensions["glare"].engine
    monkeypatch.setattr(blobs.liveness, "settings", BlobSettings(stale_after=0.6))
    art = user1.create(SAMPLE, name="paused")
    body = HeldBody(b"p" * 300, b"p" * 300)
    with ThreadPoolExecutor(1) as pool:
        upload = hold_upload(pool, user1, art["id"], "blob", body)
        time.sleep(1.5)  # no data for more than twice the stale time
        assert_error(put_streamed(user1, art["id"], "blob", b"t" * 10), 409)
        # Readers see it in progress too: never the blob as if the upload had died.
        assert user1.show(SAMPLE, art["id"])["blob"]["status"] == "saving"
        assert_error(user1.get(url(art["id"], "blob")), 409)
        body.release.set()
        response = upload.result()
    assert response.status_code == 200, response.get_data(as_text=True)
    assert user1.get(url(art["id"], "blob")).data == b"p" * 600


def test_an_upload_taken_for_dead_does_not_undo_the_one_that_replaced_it(
        user1, glare_app, monkeypatch, store_name):
    """An upload that looked dead (its heartbeat stopped) was taken over by another one,
    which succeeded; when the first one comes back and fails (409), it must not put back
    the blob it had replaced over the newer one's, whose data it would then lose."""
    blobs = glare_app.extensions["glare"].engine
    data_api = glare_app.extensions["glare"].engine.context.data_apis[SAMPLE]
    art = user1.create(SAMPLE, name="taken-over")
    assert put_streamed(user1, art["id"], "blob", b"o" * 100).status_code == 200
    monkeypatch.setattr(blobs.liveness, "settings", BlobSettings(stale_after=0.3))
    silence_first_upload(monkeypatch, data_api, art["id"])  # a frozen server
    body = HeldBody(b"x" * 300, b"x" * 300)
    with ThreadPoolExecutor(1) as pool:
        upload = hold_upload(pool, user1, art["id"], "blob", body)
        time.sleep(0.6)
        newer = put_streamed(user1, art["id"], "blob", b"y" * 200)
        assert newer.status_code == 200, newer.get_data(as_text=True)
        body.release.set()
        assert_error(upload.result(), 409)
    blob = user1.show(SAMPLE, art["id"])["blob"]
    assert (blob["status"], blob["size"], blob["md5"]) == (
        "active", 200, hashlib.md5(b"y" * 200).hexdigest())
    assert user1.get(url(art["id"], "blob")).data == b"y" * 200
    # The replaced data and the failed upload's are gone; the newer upload's stays.
    assert stored(glare_app) == {(store_name, data_id(glare_app, art["id"], "blob"))}


def test_reads_show_what_uploads_that_died_were_replacing(user1, glare_app, monkeypatch,
                                                          store_name):
    """Once uploads look dead (no heartbeat for ``stale_after``), every read shows at once,
    without writing anything, the state their recovery will leave: a re-upload shows the
    blob it replaces (GET, list, download, HEAD), a first upload into a folder shows no
    entry (its download is the 404 of an entry never uploaded). The artifact's ETag
    changes with what it shows, and is the one the recovered artifact has. The uploads,
    when they come back, fail (409): a dead upload stays dead."""
    blobs = glare_app.extensions["glare"].engine
    data_api = glare_app.extensions["glare"].engine.context.data_apis[SAMPLE]
    art = user1.create(SAMPLE, name="dead-reads")
    assert put_streamed(user1, art["id"], "blob", b"o" * 100).status_code == 200
    before = user1.show(SAMPLE, art["id"])
    # No heartbeat; a long stale time while the uploads start, then a short one.
    monkeypatch.setattr(blobs.liveness, "settings", BlobSettings(stale_after=600))
    monkeypatch.setattr(data_api, "touch_blob", lambda *args: None)
    reupload, first = HeldBody(b"x" * 300, b"x" * 300), HeldBody(b"n" * 300, b"n" * 10)
    with ThreadPoolExecutor(2) as pool:
        reuploading = hold_upload(pool, user1, art["id"], "blob", reupload)
        uploading = hold_upload(pool, user1, art["id"], f"{FOLDER}/new", first)
        live = user1.get(url(art["id"]))
        assert live.get_json()["blob"]["status"] == "saving"
        assert live.get_json()[FOLDER]["new"]["status"] == "saving"
        assert_error(user1.get(url(art["id"], "blob")), 409)
        raw = data_api.get(art["id"])
        monkeypatch.setattr(blobs.liveness, "settings", BlobSettings(stale_after=0.3))
        time.sleep(0.6)

        shown = user1.get(url(art["id"]))
        assert shown.get_json() == before
        assert shown.headers["ETag"] != live.headers["ETag"]
        assert user1.get(url(art["id"]), headers={"If-None-Match": live.headers["ETag"]}
                         ).status_code == 200
        listed = user1.list(SAMPLE, "name=dead-reads")["artifacts"]
        assert listed == [before]
        download = user1.get(url(art["id"], "blob"))
        assert download.status_code == 200, download.get_data(as_text=True)
        assert download.data == b"o" * 100
        assert download.headers["ETag"] == f'"{before["blob"]["sha256"]}"'
        head = user1.request("HEAD", url(art["id"], "blob"))
        assert (head.status_code, head.headers["Content-Length"]) == (200, "100")
        never = assert_error(user1.get(url(art["id"], f"{FOLDER}/never")), 404)
        assert assert_error(user1.get(url(art["id"], f"{FOLDER}/new")), 404) == never
        # Nothing was written: the records are still the dead uploads'.
        assert data_api.get(art["id"]) == raw

        reupload.release.set()
        first.release.set()
        assert_error(reuploading.result(), 409)
        assert_error(uploading.result(), 409)
    after = user1.get(url(art["id"]))
    assert after.get_json() == before
    assert after.headers["ETag"] == shown.headers["ETag"]
    assert stored(glare_app) == {(store_name, data_id(glare_app, art["id"], "blob"))}


def test_the_etag_shown_for_an_upload_that_died_is_the_recovered_artifacts(
        user1, glare_app, monkeypatch):
    """A PATCH with If-Match of the ETag a reader got while an upload looked dead goes
    through: the write recovers first, and the recovered artifact has that ETag."""
    art = user1.create(SAMPLE, name="dead-if-match")
    assert put_streamed(user1, art["id"], "blob", b"o" * 100).status_code == 200
    with ThreadPoolExecutor(1) as pool:
        upload, body = hold_dead_upload(pool, user1, glare_app, monkeypatch, art["id"])
        etag = user1.get(url(art["id"])).headers["ETag"]
        response = user1.patch(url(art["id"]), [replace_op("/description", "d")],
                               headers={"If-Match": etag})
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["blob"]["size"] == 100
        body.release.set()
        assert_error(upload.result(), 409)


def silence_first_upload(monkeypatch: Any, data_api: Any, artifact_id: str,
                         path: str = "blob") -> None:
    """Stop the heartbeat of the first upload that beats for ``path`` (a frozen server),
    and of it only: later uploads, to this blob or others, keep theirs, so how long they
    take on a loaded machine never makes them look dead."""
    field, _, key = path.partition("/")
    target = (artifact_id, field, key or None)
    touch = data_api.touch_blob
    frozen: list[str | None] = []

    def touch_unless_frozen(beat_id: str, field_name: str, blob_key: str | None) -> None:
        if (beat_id, field_name, blob_key) == target:
            value = data_api.get(beat_id)[field_name]
            blob = (value or {}).get(blob_key) if blob_key is not None else value
            location = (blob or {}).get("location")
            frozen[:] = frozen or [location]
            if location == frozen[0]:
                return
        touch(beat_id, field_name, blob_key)

    monkeypatch.setattr(data_api, "touch_blob", touch_unless_frozen)


def hold_dead_upload(pool: ThreadPoolExecutor, user1: Any, glare_app: Any, monkeypatch: Any,
                     artifact_id: str, path: str = "blob",
                     body: HeldBody | None = None) -> tuple[Future, HeldBody]:
    """An upload to ``path`` whose server looks dead: no heartbeat, stale after 0.3 s."""
    blobs = glare_app.extensions["glare"].engine
    data_api = glare_app.extensions["glare"].engine.context.data_apis[SAMPLE]
    monkeypatch.setattr(blobs.liveness, "settings", BlobSettings(stale_after=600))
    silence_first_upload(monkeypatch, data_api, artifact_id, path)
    body = body or HeldBody(b"x" * 300, b"x" * 300)
    upload = hold_upload(pool, user1, artifact_id, path, body)
    assert user1.get(url(artifact_id, path)).status_code == 409  # saving
    monkeypatch.setattr(blobs.liveness, "settings", BlobSettings(stale_after=0.3))
    time.sleep(0.5)
    return upload, body


def delete_during_a_dead_upload(user1: Any, glare_app: Any, monkeypatch: Any,
                                name: str) -> dict[str, Any]:
    """An artifact with a 100-byte blob, deleted while a re-upload of it looks dead; the
    upload, let go afterwards, must answer 404 (its artifact is gone)."""
    art = user1.create(SAMPLE, name=name)
    assert put_streamed(user1, art["id"], "blob", b"o" * 100).status_code == 200
    with ThreadPoolExecutor(1) as pool:
        upload, body = hold_dead_upload(pool, user1, glare_app, monkeypatch, art["id"])
        response = user1.delete(url(art["id"]))
        assert response.status_code == 204, response.get_data(as_text=True)
        body.release.set()
        assert_error(upload.result(), 404)
    return art


def test_deleting_an_artifact_undoes_an_upload_that_died(user1, glare_app, monkeypatch,
                                                         store_name):
    """A dead upload no longer keeps its artifact from being deleted (409) until the
    scrubber runs: the delete undoes it, and nothing of either stays stored."""
    art = delete_during_a_dead_upload(user1, glare_app, monkeypatch, "delete-dead")
    assert_error(user1.get(url(art["id"])), 404)
    assert stored(glare_app) == set()


def test_an_upload_into_a_folder_undoes_its_uploads_that_died(user1, glare_app, monkeypatch,
                                                             store_name):
    """A dead upload to one key no longer holds its share of the folder until the scrubber
    runs: the next upload into the folder undoes it and may use the room; the dead one,
    when it comes back, fails (409) and leaves nothing stored."""
    art = user1.create(SAMPLE, name="folder-dead")
    with ThreadPoolExecutor(1) as pool:
        # 1200 bytes read, so it holds 1800 of the folder's 2000
        upload, body = hold_dead_upload(pool, user1, glare_app, monkeypatch, art["id"],
                                        f"{FOLDER}/a", HeldBody(b"a" * 1200, b"a" * 100))
        response = put_streamed(user1, art["id"], f"{FOLDER}/b", b"b" * 1500)
        assert response.status_code == 200, response.get_data(as_text=True)
        body.release.set()
        assert_error(upload.result(), 409)
    folder = user1.show(SAMPLE, art["id"])[FOLDER]
    assert {key: (blob["status"], blob["size"]) for key, blob in folder.items()} == {
        "b": ("active", 1500)}
    assert stored(glare_app) == {(store_name, data_id(glare_app, art["id"], FOLDER, "b"))}


@pytest.mark.parametrize("sized", [True, False], ids=["content-length", "chunked"])
def test_an_upload_past_the_quota_undoes_the_projects_uploads_that_died(
        user1, admin, glare_app, monkeypatch, store_name, sized):
    """A dead upload in another artifact of the project holds its share of the data quota
    only until an upload would be refused for it: that upload undoes it (and any other
    dead one of the project) and goes through; the dead one fails when it comes back."""
    set_quotas(admin, "p1", max_uploaded_data=1000)
    dead_art = user1.create(SAMPLE, name="quota-dead")
    live_art = user1.create(SAMPLE, name="quota-live")
    with ThreadPoolExecutor(1) as pool:
        # 600 bytes read, so it holds 900 of the project's 1000
        upload, body = hold_dead_upload(pool, user1, glare_app, monkeypatch, dead_art["id"],
                                        "blob", HeldBody(b"a" * 600, b"a" * 100))
        data_api = glare_app.extensions["glare"].engine.context.data_apis[SAMPLE]
        assert data_api.get(dead_art["id"])["blob"]["size"] == 900
        assert user1.show(SAMPLE, dead_art["id"])["blob"] is None  # as its recovery leaves it
        response = put_streamed(user1, live_art["id"], "blob", b"b" * 500,
                                content_length=500 if sized else None)
        assert response.status_code == 200, response.get_data(as_text=True)
        body.release.set()
        assert_error(upload.result(), 409)
    assert user1.show(SAMPLE, dead_art["id"])["blob"] is None
    assert stored(glare_app) == {(store_name, data_id(glare_app, live_art["id"], "blob"))}
    # the quota still holds: 500 stored, so 501 more are refused
    assert_error(put_streamed(user1, dead_art["id"], "blob", b"c" * 501), 413)


def test_activating_undoes_an_upload_that_died(user1, glare_app, monkeypatch, store_name):
    art = user1.create(SAMPLE, name="activate-dead")
    assert put_streamed(user1, art["id"], "blob", b"o" * 100).status_code == 200
    with ThreadPoolExecutor(1) as pool:
        upload, body = hold_dead_upload(pool, user1, glare_app, monkeypatch, art["id"])
        response = user1.patch(url(art["id"]), [
            {"op": "replace", "path": "/string_required", "value": "x"},
            {"op": "replace", "path": "/status", "value": "active"}])
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["blob"]["status"] == "active"
        body.release.set()
        assert_error(upload.result(), 409)
    shown = user1.show(SAMPLE, art["id"])
    assert (shown["status"], shown["blob"]["size"]) == ("active", 100)
    assert user1.get(url(art["id"], "blob")).data == b"o" * 100
    assert stored(glare_app) == {(store_name, data_id(glare_app, art["id"], "blob"))}


class TestDelayedDelete:
    @pytest.fixture
    def extra_settings(self) -> dict[str, Any]:
        return {"GLARE_DELAYED_DELETE": True}

    def test_an_upload_that_died_in_an_artifact_deleted_meanwhile_is_404(
            self, user1, glare_app, monkeypatch, store_name):
        """With delayed delete the deleted artifact's record stays until the scrubber runs;
        the upload coming back still answers 404 (its artifact is gone), not 409, and the
        scrubber leaves nothing of either blob stored."""
        from glare_core.engine.scrubber import scrub

        art = delete_during_a_dead_upload(user1, glare_app, monkeypatch, "delayed-dead")
        shown = user1.show(SAMPLE, art["id"])
        assert (shown["status"], shown["blob"]["status"], shown["blob"]["size"]) == (
            "deleted", "active", 100)
        extension = glare_app.extensions["glare"]
        with glare_app.app_context():
            assert scrub(extension.engine) == 1
        assert stored(glare_app) == set()

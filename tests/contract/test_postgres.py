"""PostgreSQL, for real (a server on 127.0.0.1 started by tools/pg-dev/start-postgres):
the migrations, the DataAPI contract on both table layouts, and the API paths where the
database matters most (version ordering, uniqueness and locks under concurrency)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import glare_images
import glare_sample_artifact
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from glare_core.blobs.database import DatabaseStore
from glare_core.data.sql.layout_ddl import schema_filter
from glare_core.data.sql.tables import metadata as core_metadata
from glare_core.errors import BadRequest
from glare_core.testing import DataAPIContract, GlareClient, assert_migrations_match
from tests.api.helpers import replace
from tests.conftest import run_parallel

pytestmark = pytest.mark.postgres


@pytest.fixture
def glare_plugins() -> list[Any]:
    return [glare_sample_artifact, glare_images]


def test_migrations_match_the_table_definitions(postgres_schema):
    from glare_images.tables import metadata as images_metadata

    def mentions_images(difference: Any) -> bool:
        return "glare_images" in repr(difference) or "alembic_version_images" in repr(
            difference)

    def of_the_database_store(difference: Any) -> bool:
        # The database blob store's own table, made once a test has used that store.
        return "glare_blob_data" in repr(difference)

    engine = sa.create_engine(postgres_schema)
    with engine.connect() as conn:
        # Each history is compared with its own tables; the other's show up as "extra".
        include = schema_filter("postgresql")
        core_context = MigrationContext.configure(conn, opts={"include_object": include})
        core_diff = [d for d in compare_metadata(core_context, core_metadata)
                     if not mentions_images(d) and not of_the_database_store(d)]
        images_context = MigrationContext.configure(
            conn, opts={"version_table": "alembic_version_images", "include_object": include})
        indexes = {index["name"] for table in ("glare_artifact_properties",
                                               "glare_images_properties")
                   for index in sa.inspect(conn).get_indexes(table)}
        images_diff = [d for d in compare_metadata(images_context, images_metadata)
                       if mentions_images(d)]
    engine.dispose()
    assert core_diff == []
    assert images_diff == []
    # pg_trgm is in PostgreSQL's contrib, which the test server has: infix like is indexed
    assert {"ix_glare_artifact_properties_string_trgm",
            "ix_glare_images_properties_string_trgm"} <= indexes


def test_core_migrations_create_exactly_the_core_tables(empty_database, tmp_path):
    assert_migrations_match(core_metadata, data_dir=tmp_path, database_url=empty_database)


def test_images_migrations_create_exactly_the_images_layout(empty_database, tmp_path):
    from glare_images.tables import layout

    assert_migrations_match(layout, plugins=[glare_images], data_dir=tmp_path,
                            database_url=empty_database)


def test_the_database_store_creates_its_table_on_postgres(empty_database):
    engine = sa.create_engine(empty_database)
    store = DatabaseStore(engine)
    store.write("sql://pg", iter([b"x" * 10, b"y"]))
    assert b"".join(store.read("sql://pg", offset=9)) == b"xy"
    assert sa.inspect(engine).has_table("glare_blob_data")
    engine.dispose()


class TestGenericTablesOnPostgres(DataAPIContract):
    int_field = "int1"

    @pytest.fixture
    def data_api(self, postgres_app):
        return postgres_app.extensions["glare"].data_apis["sample_artifact"]

    @pytest.fixture
    def contract_type(self, postgres_app):
        return postgres_app.extensions["glare"].registry["sample_artifact"]


class TestImagesTablesOnPostgres(DataAPIContract):
    int_field = "min_ram"

    @pytest.fixture
    def data_api(self, postgres_app):
        return postgres_app.extensions["glare"].data_apis["images"]

    @pytest.fixture
    def contract_type(self, postgres_app):
        return postgres_app.extensions["glare"].registry["images"]


@pytest.fixture
def client(postgres_app) -> GlareClient:
    return GlareClient(postgres_app.test_client())


def test_version_order_and_latest(client):
    """Version keys sort byte-wise (collation "C"), whatever the database's collation."""
    versions = ["1.0", "1.10.0", "1.9.0", "2.0.0-rc.10", "2.0.0-rc.2", "2.0.0-RC.1",
                "2.0.0", "10.0"]
    for version in versions:
        client.create("sample_artifact", name="v", version=version)
    listed = client.list("sample_artifact", "sort=version:asc&limit=100")
    assert [a["version"] for a in listed["artifacts"]] == [
        "1.0.0", "1.9.0", "1.10.0", "2.0.0-RC.1", "2.0.0-rc.2", "2.0.0-rc.10", "2.0.0",
        "10.0.0"]
    latest = client.list("sample_artifact", "version=latest")
    assert [a["version"] for a in latest["artifacts"]] == ["10.0.0"]


def test_filters_and_like(client):
    for n, name in enumerate(["alpha", "Alpha", "beta"]):
        client.create("images", name=name, min_ram=n * 512, os_distro=f"d{n}")
    assert [a["name"] for a in client.list("images", "name=like:%lpha&sort=name:asc")[
        "artifacts"]] == ["Alpha", "alpha"]
    assert client.list("images", "min_ram=gte:512")["total_count"] == 2
    assert client.list("images", "os_distro=in:d0,d2")["total_count"] == 2




def test_values_postgres_refuses_are_bad_requests(postgres_app, client):
    """What only PostgreSQL enforces (a column's length, no NUL in text) reaches the data
    layer as a 400, not a 500, if a caller gets past the API's own checks."""
    artifact = client.create("sample_artifact", name="refused")
    data_api = postgres_app.extensions["glare"].data_apis["sample_artifact"]
    for blob in ({"md5": "a" * 33}, {"content_type": "t" * 256}, {"url": "http://x/\x00"}):
        with pytest.raises(BadRequest):
            data_api.set_blob(artifact["id"], "blob", None, {
                "status": "active", "external": True, "url": "http://x/", **blob})
    with pytest.raises(BadRequest):
        data_api.scope_taken("sample_artifact", "a\x00", "1.0.0", owner="p",
                             visibility="private")
    assert client.show("sample_artifact", artifact["id"])["blob"] is None


def test_parallel_creates_of_one_name_version(postgres_app):
    def create(n: int) -> int:
        client = GlareClient(postgres_app.test_client())
        return client.post("/artifacts/sample_artifact", {"name": "race"}).status_code

    assert run_parallel(8, create) == Counter({201: 1, 409: 7})


def test_parallel_patches_lose_no_update(postgres_app, client):
    artifact = client.create("sample_artifact", name="busy")

    def add_tag(n: int) -> int:
        caller = GlareClient(postgres_app.test_client())
        for _ in range(50):
            response = caller.patch(f"/artifacts/sample_artifact/{artifact['id']}",
                                    [{"op": "add", "path": "/tags/-", "value": f"t{n}"}])
            if response.status_code != 409:
                return response.status_code
        return response.status_code

    assert run_parallel(8, add_tag) == Counter({200: 8})
    assert sorted(client.show("sample_artifact", artifact["id"])["tags"]) == sorted(
        f"t{n}" for n in range(8))


def test_blob_roundtrip_with_the_database_store(postgres_schema, tmp_path, glare_plugins):
    from glare_core.app import create_app

    app = create_app({"GLARE_DATA_DIR": str(tmp_path / "d"), "GLARE_DATABASE_URL":
                      postgres_schema, "GLARE_AUTO_MIGRATE": False,
                      "GLARE_DEFAULT_STORE": "database"}, plugins=glare_plugins, autoload=False)
    client = GlareClient(app.test_client())
    artifact = client.create("sample_artifact", name="bytes")
    data = bytes(range(256)) * 8192  # 2 MiB: several rows
    response = client.put(f"/artifacts/sample_artifact/{artifact['id']}/blob", data=data,
                          content_type="application/octet-stream")
    assert response.status_code == 200
    assert client.get(f"/artifacts/sample_artifact/{artifact['id']}/blob").data == data
    ranged = client.get(f"/artifacts/sample_artifact/{artifact['id']}/blob",
                        headers={"Range": "bytes=1048570-1048580"})
    assert ranged.data == data[1048570:1048581]
    client.update("sample_artifact", artifact["id"], replace("/description", "x"))
    app.extensions["glare"].database.dispose()


class CommitBetweenStatements:
    """Runs ``write`` on other connections right after the first statement of the next
    read that selects from ``table``: a commit landing in the middle of that read."""

    def __init__(self, engine: sa.Engine, table: str, write) -> None:
        self.engine, self.table, self.write = engine, table, write
        self.fired = False
        sa.event.listen(engine, "after_cursor_execute", self)

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if not self.fired and statement.lstrip().upper().startswith("SELECT") and (
                f"FROM {self.table}" in statement):
            self.fired = True
            self.write()

    def remove(self) -> None:
        sa.event.remove(self.engine, "after_cursor_execute", self)


def test_a_get_sees_one_snapshot(postgres_app, client):
    """An artifact is read with several queries (its row, then its properties and blobs).
    A PATCH committed between them must not show half-applied: the base field from
    before it with the type field from after it."""
    artifact = client.create("sample_artifact", name="snap", description="v1", int1=1)
    url = f"/artifacts/sample_artifact/{artifact['id']}"
    state = postgres_app.extensions["glare"]

    def patch() -> None:
        response = GlareClient(postgres_app.test_client()).patch(url, [
            replace("/description", "v2"), replace("/int1", 2)])
        assert response.status_code == 200

    interloper = CommitBetweenStatements(state.database.engine, "glare_artifacts", patch)
    try:
        seen = state.data_apis["sample_artifact"].get(artifact["id"])
    finally:
        interloper.remove()
    assert interloper.fired
    assert (seen["description"], seen["int1"]) == ("v1", 1)
    now = client.show("sample_artifact", artifact["id"])
    assert (now["description"], now["int1"]) == ("v2", 2)


def test_a_listing_counts_what_it_returns(postgres_app, client):
    """A page and its total_count come from one snapshot, even when a PATCH that moves
    an artifact out of the filter commits between the two queries."""
    first = client.create("sample_artifact", name="hot-1", tags=["hot"])
    client.create("sample_artifact", name="hot-2", tags=["hot"])
    state = postgres_app.extensions["glare"]

    def untag() -> None:
        response = GlareClient(postgres_app.test_client()).patch(
            f"/artifacts/sample_artifact/{first['id']}", [replace("/tags", [])])
        assert response.status_code == 200

    interloper = CommitBetweenStatements(state.database.engine, "glare_artifacts", untag)
    try:
        listed = client.get("/artifacts/sample_artifact?tags=hot&sort=name:asc").get_json()
    finally:
        interloper.remove()
    assert interloper.fired
    names = [a["name"] for a in listed["artifacts"]]
    assert (names, listed["total_count"]) == (["hot-1", "hot-2"], 2)
    assert all("hot" in a["tags"] for a in listed["artifacts"])
    after = client.get("/artifacts/sample_artifact?tags=hot").get_json()
    assert [a["name"] for a in after["artifacts"]] == ["hot-2"]


# ---- artifact locks: PostgreSQL advisory locks (data/sql/advisory_locks.py) ------------------


def lock_waiters(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        )).scalar()


def wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.01)


def test_lock_waiters_are_served_in_arrival_order(postgres_app):
    """A busy lock goes to the request that has waited longest, not to whichever polls
    first."""
    state = postgres_app.extensions["glare"]
    store = state.engine.context.locker.store
    held = store.acquire("sample_artifact:fifo", 0)
    served: list[str] = []

    def wait_in_line(name: str) -> None:
        token = store.acquire("sample_artifact:fifo", 60)
        served.append(name)
        store.release("sample_artifact:fifo", token)

    threads = []
    for name in ("first", "second", "third"):
        threads.append(threading.Thread(target=wait_in_line, args=(name,)))
        threads[-1].start()
        wait_for(lambda n=len(threads): lock_waiters(state.database.engine) == n,
                 f"{name} to wait")
    store.release("sample_artifact:fifo", held)
    for thread in threads:
        thread.join()
    assert served == ["first", "second", "third"]


def test_a_lock_whose_connection_broke_is_free(postgres_app, caplog):
    """PostgreSQL ends a lock with its connection; the holder's release then only logs."""
    state = postgres_app.extensions["glare"]
    store = state.engine.context.locker.store
    token = store.acquire("sample_artifact:cut", 0)
    pid = token.execute(sa.select(sa.func.pg_backend_pid())).scalar()
    with state.database.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.pg_terminate_backend(pid))).scalar()
    again = store.acquire("sample_artifact:cut", 30)
    assert again is not None
    store.release("sample_artifact:cut", token)
    assert "lost the connection holding lock sample_artifact:cut" in caplog.text
    store.release("sample_artifact:cut", again)
    last = store.acquire("sample_artifact:cut", 0)
    assert last is not None
    store.release("sample_artifact:cut", last)


def test_lock_connections_notice_a_vanished_holder_within_stale_after(postgres_app):
    """The server probes an idle lock connection (a holder busy elsewhere) so that the
    lock of a machine that vanished ends within GLARE_LOCK_STALE_AFTER, and no server
    default cuts a lock wait or a holder's idle connection short."""
    state = postgres_app.extensions["glare"]
    token = state.engine.context.locker.store.acquire("sample_artifact:probe", 0)
    try:
        shown = {name: token.execute(sa.text(f"SHOW {name}")).scalar() for name in (
            "tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count",
            "statement_timeout", "idle_session_timeout")}
    finally:
        state.engine.context.locker.store.release("sample_artifact:probe", token)
    assert postgres_app.config["GLARE_LOCK_STALE_AFTER"] == 5.0
    # 2 s idle, then 3 probes 1 s apart: 5 s
    assert shown == {"tcp_keepalives_idle": "2", "tcp_keepalives_interval": "1",
                     "tcp_keepalives_count": "3", "statement_timeout": "0",
                     "idle_session_timeout": "0"}


def test_an_endless_lock_wait_is_the_longest_postgres_takes(postgres_app):
    """GLARE_LOCK_WAIT = inf (or more than lock_timeout holds, about 24 days) waits as
    long as PostgreSQL can, rather than failing every write."""
    store = postgres_app.extensions["glare"].engine.context.locker.store
    for wait in (float("inf"), 1e12):
        token = store.acquire("sample_artifact:endless", wait)
        assert token is not None
        store.release("sample_artifact:endless", token)

"""Access matrix: 3 projects x roles (admin, member, reader, anonymous) x every endpoint.

Contract §3.3 (anonymous), §7 (endpoints), §11 (lifecycle), §12 (visibility, publishing),
§20 (policy and its default matrix), §21 (quotas) and §30 Q3/Q10/Q28, plus our policy
addition ``reader_only`` (a caller whose only role is ``reader`` reads but never writes).

Every cell's status comes from ONE function, :func:`expected_status`, which encodes those
rules as a small rule table; nothing here is copied from observed responses. Each cell also
proves that nothing crosses tenants: a refused read leaks none of the target's secrets, a
refused write leaves the target exactly as it was, and a listing holds exactly the
artifacts the caller may see.

Two apps per module (anonymous access on, §3.3):

* the *read* app holds the fixture data (below) and only serves read cells, so listings can
  be asserted exactly;
* the *write* app holds the same fixture data (link targets) and every write cell creates
  its own fresh target there (same owner, status and visibility; of the blobs only the
  external ``small_blob`` that location deletion needs, so ``blob`` is free for uploads
  and new locations), so cells never depend on each other.

Fixture data, in each of p1, p2, p3 (created by a member of the project, public/deactivated
made so by an admin): a private drafted, a private active, a public (active, published) and
a (private) deactivated artifact, each with uploaded ``blob`` data, an uploaded folder key
``dict_of_blobs/k`` and an external location on ``small_blob``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import glare_sample_artifact
import pytest

from glare_core.app import create_app
from glare_core.testing import GlareClient

SAMPLE = "sample_artifact"
LOCATION = "application/vnd+openstack.glare-custom-location+json"
OCTETS = "application/octet-stream"
SETTINGS = {"GLARE_ALLOW_ANONYMOUS": True}  # anonymous callers get a read-only context

PROJECTS = ("p1", "p2", "p3")
ROLES = ("admin", "member", "reader")
KINDS = ("private-drafted", "private-active", "public", "deactivated")
STATUS_OF_KIND = {"private-drafted": "drafted", "private-active": "active",
                  "public": "active", "deactivated": "deactivated"}


# ---- callers and targets -----------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    role: str | None  # None: anonymous
    project: str | None

    @property
    def label(self) -> str:
        return "anonymous" if self.project is None else f"{self.role}-{self.project}"

    def client(self, base: GlareClient) -> GlareClient:
        if self.project is None:
            return base.as_user(None, roles=())
        return base.as_user(self.project, roles=(self.role,), user=self.label)


@dataclass(frozen=True)
class Target:
    owner: str
    kind: str

    @property
    def label(self) -> str:
        return f"{self.owner}-{self.kind}"

    @property
    def status(self) -> str:
        return STATUS_OF_KIND[self.kind]

    @property
    def public(self) -> bool:
        return self.kind == "public"

    @property
    def name(self) -> str:
        return self.kind.removeprefix("private-")

    @property
    def version(self) -> str:
        # Public artifacts share the name "public": distinct versions keep the public
        # scope unique (§12.2).
        return f"{PROJECTS.index(self.owner) + 1}.0.0" if self.public else "1.0.0"

    # What only this artifact holds: must never show up in a response to anybody who
    # may not read it.
    @property
    def secret(self) -> str:
        return f"secret-{self.label}"

    @property
    def data(self) -> bytes:
        return f"blob-data-{self.label}".encode()

    @property
    def folder_data(self) -> bytes:
        return f"folder-data-{self.label}".encode()

    @property
    def external_url(self) -> str:
        return f"https://downloads.example.com/{self.label}"

    @property
    def private_marks(self) -> tuple[str, ...]:
        return (self.secret, self.data.decode(), self.folder_data.decode(), self.external_url)


CALLERS = [Caller(role, project) for project in PROJECTS for role in ROLES]
CALLERS.append(Caller(None, None))
TARGETS = [Target(owner, kind) for owner in PROJECTS for kind in KINDS]


# ---- the expected outcome of every cell ---------------------------------------------------

EDITABLE = frozenset({"drafted", "active"})
EVERY_STATUS = frozenset({"drafted", "active", "deactivated"})


@dataclass(frozen=True)
class WriteRule:
    statuses: frozenset[str]  # target statuses in which the write is possible at all
    admin_only: bool  # default policy: admin only (even for the owner)
    success: int
    deactivated_admin_only: bool = False


# The writes on an artifact, for a caller who may write it (admin, or a non-reader member of
# the owning project). Public artifacts are written by admins only (§20 update_public /
# delete_public, and Q28 for blob uploads and locations).
WRITE_RULES: dict[str, WriteRule] = {
    # op                    possible in statuses                   admin only  success
    "update": WriteRule(EDITABLE, False, 200),  # §7.5: a mutable field (string_mutable)
    "activate": WriteRule(EDITABLE, False, 200),  # §11.2 drafted→active, active→active
    "reactivate": WriteRule(frozenset({"deactivated"}), True, 200),  # deactivated→active
    "deactivate": WriteRule(frozenset({"active", "deactivated"}), True, 200),  # §11.2
    "publish": WriteRule(frozenset({"active"}), True, 200),  # §12.3
    "delete": WriteRule(EVERY_STATUS, False, 204, deactivated_admin_only=True),  # §7.6
    "upload": WriteRule(EDITABLE, False, 200),  # §7.7 into the mutable `blob`
    "upload-folder": WriteRule(frozenset({"drafted"}), False, 200),  # immutable folder
    "location": WriteRule(EDITABLE, False, 200),  # §7.8 external, on the mutable `blob`
    "location-internal": WriteRule(EDITABLE, True, 200),  # §7.8 internal: admin only
    "delete-location": WriteRule(EDITABLE, False, 200),  # §7.10 with Q10's change rules
}

# Downloads (§7.9) and what they answer when allowed: uploaded data 200, external 301.
DOWNLOADS = {"download": 200, "head": 200, "download-folder": 200, "download-external": 301}
LOOKUPS = ("show", "show-all", "marker")  # §7.4, §18, §7.2 marker: visible or 404


def expected_status(
    caller: Caller, op: str, target: Target | None = None, project: str | None = None
) -> int:
    """The contract's status for ``caller`` doing ``op`` (on ``target`` / for ``project``)."""
    admin = caller.role == "admin"
    anonymous = caller.project is None
    reader = caller.role == "reader"  # reader_only: reads, never writes
    # -- endpoints without an artifact
    if op in ("schemas", "schema", "list"):
        return 200  # §7.1, §7.2: everybody (listing is scoped, see test_listing)
    if op in ("quotas-get", "quotas-put"):
        return 200 if admin else 403  # §7.11: artifact:list_all_quotas / set_quotas
    if op == "project-quotas":  # own project; the anonymous caller has none
        return 403 if anonymous else 200
    if op == "project-quotas-of":
        return 200 if admin or caller.project == project else 403  # list_project_quotas
    if op == "create":
        return 403 if anonymous or reader else 201  # §7.3, §3.3, reader_only
    # -- endpoints on an artifact
    assert target is not None
    owner = not anonymous and caller.project == target.owner
    visible = admin or owner or target.public  # §12.1
    if op in LOOKUPS:
        return 200 if visible else 404  # invisible ⇒ 404, never 403
    if op == "link":  # create an artifact of one's own whose link1 names the target
        if anonymous or reader:
            return 403
        return 201 if visible else 400  # §9.5: the target must be visible to the caller
    if op in DOWNLOADS:
        if not visible:
            return 404
        if target.status == "deactivated" and not admin:
            return 403  # §7.9: deactivated artifacts: admin only
        return DOWNLOADS[op]  # admin, owner, or anybody who sees a public artifact (Q3)
    rule = WRITE_RULES[op]
    if not visible:
        return 404
    if anonymous or reader or not (admin or owner):
        return 403  # §3.3, reader_only, §20: writes need the owner or an admin
    if target.status not in rule.statuses:
        return 403  # §11 lifecycle / change rules, for admins too
    admin_needed = (rule.admin_only or target.public
                    or (rule.deactivated_admin_only and target.status == "deactivated"))
    if admin_needed and not admin:
        return 403
    return rule.success


def status_op(target: Target) -> str:
    """PATCH status→active is 'reactivate' on a deactivated artifact (§11.2)."""
    return "reactivate" if target.status == "deactivated" else "activate"


# ---- apps and data -------------------------------------------------------------------------


def artifact_url(artifact_id: str, path: str = "", type_name: str = SAMPLE) -> str:
    return f"/artifacts/{type_name}/{artifact_id}" + (f"/{path}" if path else "")


def replace(path: str, value: Any) -> dict[str, Any]:
    return {"op": "replace", "path": path, "value": value}


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


@dataclass
class World:
    app: Any
    base: GlareClient
    admin: GlareClient  # the admin who publishes and deactivates, and checks the results
    artifacts: dict[Target, dict[str, Any]] = field(default_factory=dict)

    def member(self, project: str) -> GlareClient:
        return self.base.as_user(project, roles=("member",), user=f"setup-{project}")

    def make(self, target: Target, *, name: str | None = None, blobs: bool = True,
             location: bool = False) -> dict[str, Any]:
        """A new artifact of ``target``'s owner and kind; ``blobs``: uploaded ``blob``,
        ``dict_of_blobs/k`` and an external ``small_blob``; ``location``: only the latter."""
        owner = self.member(target.owner)
        art = owner.create(SAMPLE, name=name or target.name, version=target.version,
                           string_required="x", description=target.secret)
        url = artifact_url(art["id"])
        if blobs:
            ok(owner.put(f"{url}/blob", data=target.data, content_type=OCTETS))
            ok(owner.put(f"{url}/dict_of_blobs/k", data=target.folder_data,
                         content_type=OCTETS))
        if blobs or location:
            art = ok(owner.put(f"{url}/small_blob", content_type=LOCATION,
                               json_body={"url": target.external_url, "md5": md5(b"x")}))
        if target.status != "drafted":
            art = owner.update(SAMPLE, art["id"], replace("/status", "active"))
        if target.public:
            art = self.admin.update(SAMPLE, art["id"], replace("/visibility", "public"))
        if target.status == "deactivated":
            art = self.admin.update(SAMPLE, art["id"], replace("/status", "deactivated"))
        return art

    def current(self, artifact_id: str) -> Any:
        return self.admin.get(artifact_url(artifact_id))


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def build_world(template_db: Any, data_dir: Any) -> World:
    shutil.copy(template_db, data_dir / "glare.db")
    app = create_app({"GLARE_DATA_DIR": str(data_dir), "GLARE_AUTO_MIGRATE": False, **SETTINGS},
                     plugins=[glare_sample_artifact], autoload=False)
    base = GlareClient(app.test_client())
    world = World(app, base, base.as_admin("setup-admin"))
    for target in TARGETS:
        world.artifacts[target] = world.make(target)
    return world


@pytest.fixture(scope="module")
def read_world(glare_template_db: Any, tmp_path_factory: Any) -> Iterator[World]:
    """The fixture data, only ever read (listings are asserted exactly)."""
    world = build_world(glare_template_db, tmp_path_factory.mktemp("matrix-read"))
    yield world
    world.app.extensions["glare"].database.dispose()


@pytest.fixture(scope="module")
def write_world(glare_template_db: Any, tmp_path_factory: Any) -> Iterator[World]:
    """The same fixture data (link targets); write cells make fresh targets here."""
    world = build_world(glare_template_db, tmp_path_factory.mktemp("matrix-write"))
    yield world
    world.app.extensions["glare"].database.dispose()


@pytest.fixture
def glare_settings() -> dict[str, Any]:
    """For the function-scoped app of test_anonymous_context_is_read_only."""
    return dict(SETTINGS)


def assert_no_leak(response: Any, *targets: Target) -> None:
    """None of ``targets``' private content is in the response (headers or body)."""
    text = response.get_data(as_text=True) + json.dumps(dict(response.headers))
    for target in targets:
        for mark in target.private_marks:
            assert mark not in text, f"{target.label} leaked: {mark}"


def cell_id(caller: Caller, target: Target | None, op: str) -> str:
    return f"{caller.label}-on-{target.label}-{op}" if target else f"{caller.label}-{op}"


def cells(ops: Any, targets: list[Target | None]) -> list[Any]:
    out = []
    for caller in CALLERS:
        for target in targets:
            for op in ops(target) if callable(ops) else ops:
                out.append(pytest.param(caller, target, op, id=cell_id(caller, target, op)))
    return out


# ---- the function-scoped app: anonymous access on -----------------------------------------


def test_anonymous_context_is_read_only(glare_client: GlareClient) -> None:
    """§3.3: with anonymous access on, a request without identity reads but cannot write."""
    anonymous = glare_client.as_user(None, roles=())
    assert ok(anonymous.get(f"/artifacts/{SAMPLE}"))["total_count"] == 0
    assert anonymous.post(f"/artifacts/{SAMPLE}", {"name": "x"}).status_code == 403


# ---- endpoints without an artifact ---------------------------------------------------------


@pytest.mark.parametrize(("caller", "target", "op"), cells(["schemas", "schema"], [None]))
def test_schemas(read_world: World, caller: Caller, target: None, op: str) -> None:
    path = "/schemas" if op == "schemas" else f"/schemas/{SAMPLE}"
    response = caller.client(read_world.base).get(path)
    assert response.status_code == expected_status(caller, op)
    schemas = response.get_json()["schemas"]
    assert SAMPLE in schemas
    assert ("all" in schemas) == (op == "schemas")


# id → (type in the URL, query, which fixture artifacts the filter selects)
LISTINGS: dict[str, tuple[str, str, Callable[[Target], bool]]] = {
    "list": (SAMPLE, "", lambda t: True),
    "list-name-drafted": (SAMPLE, "name=drafted", lambda t: t.kind == "private-drafted"),
    "list-name-active": (SAMPLE, "name=active", lambda t: t.kind == "private-active"),
    "list-name-public": (SAMPLE, "name=public", lambda t: t.public),
    "list-name-deactivated": (SAMPLE, "name=deactivated", lambda t: t.kind == "deactivated"),
    "list-owner-p1": (SAMPLE, "owner=p1", lambda t: t.owner == "p1"),
    "list-owner-p2": (SAMPLE, "owner=p2", lambda t: t.owner == "p2"),
    "list-owner-in-p2-p3": (SAMPLE, "owner=in:p2,p3", lambda t: t.owner in ("p2", "p3")),
    "list-visibility-private": (SAMPLE, "visibility=private", lambda t: not t.public),
    "list-status-deactivated": (SAMPLE, "status=deactivated",
                                lambda t: t.status == "deactivated"),
    "list-all": ("all", "", lambda t: True),
    "list-all-name-active": ("all", "name=active", lambda t: t.kind == "private-active"),
    "list-all-owner-p3": ("all", "owner=p3", lambda t: t.owner == "p3"),
}


@pytest.mark.parametrize(("caller", "target", "op"), cells(list(LISTINGS), [None]))
def test_listing(read_world: World, caller: Caller, target: None, op: str) -> None:
    """§7.2/§18 with §12.1 scoping: exactly the visible matching artifacts, nothing else."""
    type_name, query, selects = LISTINGS[op]
    response = caller.client(read_world.base).get(
        f"/artifacts/{type_name}" + (f"?{query}" if query else ""))
    assert response.status_code == expected_status(caller, "list"), response.get_data()
    expected = {read_world.artifacts[t]["id"] for t in TARGETS
                if selects(t) and expected_status(caller, "show", t) == 200}
    body = response.get_json()
    assert {a["id"] for a in body["artifacts"]} == expected
    assert body["total_count"] == len(expected)
    assert {a.get("type_name", SAMPLE) for a in body["artifacts"]} <= {SAMPLE}
    assert_no_leak(response, *(t for t in TARGETS
                               if expected_status(caller, "show", t) != 200))


def quota_cells(ops: list[str], projects: tuple[str, ...] = PROJECTS) -> list[Any]:
    return [pytest.param(caller, project, op, id=f"{caller.label}-{op}-{project}")
            for caller in CALLERS for project in projects for op in ops]


@pytest.mark.parametrize(("caller", "target", "op"),
                         cells(["quotas-get", "project-quotas"], [None]))
def test_quota_reads(read_world: World, caller: Caller, target: None, op: str) -> None:
    path = "/quotas" if op == "quotas-get" else "/project-quotas"
    response = caller.client(read_world.base).get(path)
    assert response.status_code == expected_status(caller, op), response.get_data()
    if response.status_code == 200 and op == "project-quotas":
        assert [q["project_id"] for q in response.get_json()] == [caller.project]


# "None": what an absent project id reads as in text, which must not be the anonymous
# caller's own project
@pytest.mark.parametrize(("caller", "project", "op"),
                         quota_cells(["project-quotas-of"], (*PROJECTS, "None")))
def test_project_quotas_of(read_world: World, caller: Caller, project: str, op: str) -> None:
    response = caller.client(read_world.base).get(f"/project-quotas/{project}")
    assert response.status_code == expected_status(caller, op, project=project)
    if response.status_code == 200:
        assert [q["project_id"] for q in response.get_json()] == [project]


@pytest.mark.parametrize(("caller", "project", "op"), quota_cells(["quotas-put"]))
def test_set_quotas(write_world: World, caller: Caller, project: str, op: str) -> None:
    value = 10**6 + CALLERS.index(caller)  # high: never limits the other cells
    before = ok(write_world.admin.get("/quotas"))
    response = caller.client(write_world.base).put("/quotas", json_body=[
        {"project_id": project,
         "project_quotas": [{"quota_name": "max_artifact_number", "quota_value": value}]}])
    status = expected_status(caller, op, project=project)
    assert response.status_code == status, response.get_data(as_text=True)
    if status == 200:
        stored = ok(write_world.admin.get(f"/project-quotas/{project}"))[0]["project_quotas"]
        assert {"quota_name": "max_artifact_number", "quota_value": value} in stored
    else:
        assert ok(write_world.admin.get("/quotas")) == before


@pytest.mark.parametrize(("caller", "target", "op"), cells(["create"], [None]))
def test_create(write_world: World, caller: Caller, target: None, op: str) -> None:
    name = f"create-{uuid.uuid4().hex}"
    response = caller.client(write_world.base).post(f"/artifacts/{SAMPLE}", {"name": name})
    status = expected_status(caller, op)
    assert response.status_code == status, response.get_data(as_text=True)
    listed = ok(write_world.admin.get(f"/artifacts/{SAMPLE}?name={name}"))["artifacts"]
    assert [a["owner"] for a in listed] == ([caller.project] if status == 201 else [])


# ---- reads of an artifact ------------------------------------------------------------------

READS = {
    "show": lambda art: ("GET", artifact_url(art["id"])),
    "show-all": lambda art: ("GET", artifact_url(art["id"], type_name="all")),
    "download": lambda art: ("GET", artifact_url(art["id"], "blob")),
    "head": lambda art: ("HEAD", artifact_url(art["id"], "blob")),
    "download-folder": lambda art: ("GET", artifact_url(art["id"], "dict_of_blobs/k")),
    "download-external": lambda art: ("GET", artifact_url(art["id"], "small_blob")),
    "marker": lambda art: ("GET", f"/artifacts/{SAMPLE}?marker={art['id']}"),
}


@pytest.mark.parametrize(("caller", "target", "op"), cells(list(READS), TARGETS))
def test_read(read_world: World, caller: Caller, target: Target, op: str) -> None:
    art = read_world.artifacts[target]
    method, path = READS[op](art)
    response = caller.client(read_world.base).request(method, path)
    status = expected_status(caller, op, target)
    assert response.status_code == status, response.get_data(as_text=True)
    if status >= 400:
        assert_no_leak(response, target)
        return
    body = response.get_json(silent=True)
    if op in ("show", "show-all"):
        assert (body["id"], body["owner"], body["description"]) == (
            art["id"], target.owner, target.secret)
        assert op == "show" or body["type_name"] == SAMPLE
    elif op in ("download", "head"):
        assert response.headers["Content-Length"] == str(len(target.data))
        assert response.get_data() == (target.data if op == "download" else b"")
        assert response.headers["Content-MD5"] == md5(target.data)
    elif op == "download-folder":
        assert response.get_data() == target.folder_data
    elif op == "download-external":
        assert response.headers["Location"] == target.external_url
    else:  # marker: a page after a visible artifact, still scoped
        visible = {read_world.artifacts[t]["id"] for t in TARGETS
                   if expected_status(caller, "show", t) == 200}
        listed = {a["id"] for a in body["artifacts"]}
        assert listed <= visible - {art["id"]}
        assert body["total_count"] == len(visible)
        assert_no_leak(response, *(t for t in TARGETS
                                   if expected_status(caller, "show", t) != 200))
        return
    assert_no_leak(response, *(t for t in TARGETS if t != target))  # this artifact only


@pytest.mark.parametrize(("caller", "target", "op"), cells(["link"], TARGETS))
def test_link(write_world: World, caller: Caller, target: Target, op: str) -> None:
    """§9.5: an internal link (link1) may only name an artifact the caller can see."""
    art = write_world.artifacts[target]
    name = f"link-{uuid.uuid4().hex}"
    link = artifact_url(art["id"])
    response = caller.client(write_world.base).post(
        f"/artifacts/{SAMPLE}", {"name": name, "link1": link})
    status = expected_status(caller, op, target)
    assert response.status_code == status, response.get_data(as_text=True)
    listed = ok(write_world.admin.get(f"/artifacts/{SAMPLE}?name={name}"))["artifacts"]
    if status == 201:
        assert [(a["owner"], a["link1"]) for a in listed] == [(caller.project, link)]
    else:
        assert listed == []
        assert_no_leak(response, target)
    assert ok(write_world.current(art["id"])) == art  # the target is untouched


# ---- writes on an artifact (each on a fresh target) ---------------------------------------

UPLOAD = b"new-data"
EXTERNAL = {"url": "https://mirror.example.com/new", "md5": md5(b"new")}
INTERNAL = {"url": "https://store.example.com/objects/1", "location_type": "internal",
            "md5": md5(b"internal")}


def send_write(client: GlareClient, op: str, art: dict[str, Any]) -> Any:
    url = artifact_url(art["id"])
    patches = {
        "update": [replace("/string_mutable", "changed")],
        "activate": [replace("/status", "active")],
        "reactivate": [replace("/status", "active")],
        "deactivate": [replace("/status", "deactivated")],
        "publish": [replace("/visibility", "public")],
    }
    if op in patches:
        return client.patch(url, patches[op])
    if op == "delete":
        return client.delete(url)
    if op == "upload":
        return client.put(f"{url}/blob", data=UPLOAD, content_type=OCTETS)
    if op == "upload-folder":
        return client.put(f"{url}/dict_of_blobs/new", data=UPLOAD, content_type=OCTETS)
    if op == "location":
        return client.put(f"{url}/blob", json_body=EXTERNAL, content_type=LOCATION)
    if op == "location-internal":
        return client.put(f"{url}/blob", json_body=INTERNAL, content_type=LOCATION)
    assert op == "delete-location"
    return client.delete(f"{url}/small_blob")


def check_written(op: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    """The effect a successful write must have had."""
    if op == "update":
        assert after["string_mutable"] == "changed"
    elif op in ("activate", "reactivate"):
        assert after["status"] == "active"
    elif op == "deactivate":
        assert after["status"] == "deactivated"
    elif op == "publish":
        assert after["visibility"] == "public"
    elif op == "upload":
        assert (after["blob"]["size"], after["blob"]["sha256"]) == (
            len(UPLOAD), hashlib.sha256(UPLOAD).hexdigest())
    elif op == "upload-folder":
        assert after["dict_of_blobs"]["new"]["size"] == len(UPLOAD)
    elif op == "location":
        assert (after["blob"]["url"], after["blob"]["external"]) == (EXTERNAL["url"], True)
    elif op == "location-internal":
        assert after["blob"]["external"] is False
    else:
        assert before["small_blob"] is not None and after["small_blob"] is None
    assert after["owner"] == before["owner"]


WRITE_OPS = ("update", "status", "deactivate", "publish", "delete", "upload", "upload-folder",
             "location", "location-internal", "delete-location")


def write_ops(target: Target) -> list[str]:
    return [status_op(target) if op == "status" else op for op in WRITE_OPS]


@pytest.mark.parametrize(("caller", "target", "op"), cells(write_ops, TARGETS))
def test_write(write_world: World, caller: Caller, target: Target, op: str) -> None:
    art = write_world.make(target, name=f"{target.name}-{uuid.uuid4().hex}", blobs=False,
                           location=op == "delete-location")
    response = send_write(caller.client(write_world.base), op, art)
    status = expected_status(caller, op, target)
    assert response.status_code == status, response.get_data(as_text=True)
    after = write_world.current(art["id"])
    if status == 204:
        assert response.get_data() == b""
        assert after.status_code == 404
    elif status == 200:
        assert response.get_json() == ok(after)
        check_written(op, art, ok(after))
    else:
        assert ok(after) == art  # refused: nothing changed
        assert_no_leak(response, target)

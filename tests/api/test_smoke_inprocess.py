from tests.conftest import SAMPLE, SAMPLE_URL


def test_create_show_list_delete(user1):
    created = user1.create(SAMPLE, name="cirros-mini", version="1.2", tags=["x86", "x86", "tiny"],
                           int1=7)
    assert created["version"] == "1.2.0"
    assert created["tags"] == ["tiny", "x86"]
    assert created["status"] == "drafted"
    assert user1.show(SAMPLE, created["id"]) == created
    listing = user1.list(SAMPLE)
    assert listing["total_count"] == 1
    assert user1.delete(f"{SAMPLE_URL}/{created['id']}").status_code == 204
    assert user1.get(f"{SAMPLE_URL}/{created['id']}").status_code == 404

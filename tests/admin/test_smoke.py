import pytest


@pytest.mark.parametrize("persona", ["staff", "ana", "marcos", "alice", "gabriel"])
def test_every_persona_reaches_the_dashboard(cast, login, persona):
    response = login(cast.users[persona]).get("/admin/")
    assert response.status_code == 200

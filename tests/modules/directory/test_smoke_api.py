import pytest


@pytest.mark.django_db
def test_member_sees_people_and_outsider_does_not(client_for, member, outsider, admin_person):
    response = client_for(member).get("/api/v1/directory/people")
    assert response.status_code == 200, response.content
    usernames = {p["username"] for p in response.json()["items"]}
    assert usernames == {"member", "admin", "outsider"}
    assert client_for(outsider).get("/api/v1/directory/people").json() == {"items": [], "count": 0}
    assert client_for(None).get("/api/v1/directory/people").status_code == 401

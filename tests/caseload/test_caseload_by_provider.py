"""Caseload lists per staff member: the client list filters by assigned provider, within what the viewer may see."""

from tests.factories import assign, make_client, make_staff, make_team, seal


def test_clients_list_filters_by_provider(client, db, login_as):
    team = make_team()
    supervisor = login_as("supervisor", teams=[team], program=team.program)
    worker = make_staff("peer", teams=[team], program=team.program, supervisor=supervisor, name="Wendy Worker")
    other = make_staff("peer", teams=[team], program=team.program, name="Oscar Other")
    mine = make_client("Alma Assigned", program=team.program)
    theirs = make_client("Bert Elsewhere", program=team.program)
    hidden = make_client("Cora Sealed", program=team.program)
    assign(mine, worker)
    assign(theirs, other)
    assign(hidden, worker)
    seal(hidden, other)
    db.session.commit()
    page = client.get(f"/caseload/clients?provider={worker.id}").get_data(as_text=True)
    assert "Alma Assigned" in page
    assert "Bert Elsewhere" not in page
    assert "Cora Sealed" not in page  # the supervisor shares a team with the staff member who is this client
    assert client.get("/caseload/clients?provider=abc").status_code == 200
    # Only one's own caseload and one's reports' can be chosen.
    page = client.get("/caseload/clients").get_data(as_text=True)
    assert f'value="{worker.id}">Wendy Worker' in page
    assert ">Oscar Other</option>" not in page

"""An edit, a revoke and reactions (one taken back with an empty emoji) as the recipient's
webhook hears of them: `message.edited`, `message.revoked`, `message.reaction`, each the
message as the API shows it with `change` beside it."""

import json
from collections.abc import Iterator

import pytest

from tests.messages.parties import Party, inbox, linked_party, message, send, unique_phone
from tests.support import Api, Deployment, WapizProcess, wait_until
from tests.webhooks.receiver import Receiver, running_receiver


@pytest.fixture(scope="module")
def server(shared_deployment: Deployment) -> WapizProcess:
    return shared_deployment.serve(webhook_allow_private="true", webhook_timeout_seconds="1",
                                   webhook_retry_schedule=json.dumps([0.3]))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def test_edits_revokes_and_reactions_are_told(api: Api, receiver: Receiver) -> None:
    alice, bob = linked_party(api, unique_phone()), linked_party(api, unique_phone())
    hooked = api.http.patch(f"/api/devices/{bob.device['id']}/webhook",
                            headers=api.auth(bob.token),
                            json={"webhookUrl": receiver.url, "events": [
                                "message.edited", "message.revoked", "message.reaction"]})
    assert hooked.status_code == 200, hooked.text
    original = send(api, alice, to=bob.phone, text="Rapat jam 9")
    [received] = wait_until(lambda: inbox(api, bob), timeout=15)
    wait_until(lambda: message(api, alice, original["id"])["status"] == "delivered", timeout=15)

    send(api, alice, to=bob.phone, type="reaction",
         reaction={"messageId": original["id"], "emoji": "👍"})
    send(api, alice, to=bob.phone, type="reaction",
         reaction={"messageId": original["id"], "emoji": ""})
    reactions = wait_until(lambda: len(e := receiver.events("message.reaction")) == 2 and e,
                           timeout=20)
    added, removed = (event["data"] for event in reactions)
    assert added["type"] == "reaction" and added["deviceId"] == bob.device["deviceId"]
    assert added["from"] == alice.phone and added["reaction"]["emoji"] == "👍"
    assert added["change"]["emoji"] == "👍" and added["change"]["removed"] is False
    assert added["change"]["targetId"] == received["id"]
    assert added["change"]["targetWaMessageId"] == received["waMessageId"]
    assert added["change"]["actionId"] == added["id"] and added["change"]["by"] == alice.phone
    assert removed["change"]["emoji"] == "" and removed["change"]["removed"] is True
    assert removed["change"]["targetId"] == received["id"]

    edit = api.http.patch(f"/api/messages/{original['id']}", json={"text": "Rapat jam 10"},
                          headers=api.auth(alice.token))
    assert edit.status_code == 202, edit.text
    [edited] = wait_until(lambda: receiver.events("message.edited"), timeout=20)
    data = edited["data"]
    assert data["id"] == received["id"] and data["text"] == "Rapat jam 10" and data["editedAt"]
    assert data["change"]["previousText"] == "Rapat jam 9"
    assert data["change"]["by"] == alice.phone and data["change"]["fromMe"] is False
    assert data["change"]["actionId"] != received["id"]
    action = message(api, bob, data["change"]["actionId"])
    assert action["type"] == "edit" and action["targetId"] == received["id"]

    revoke = api.http.delete(f"/api/messages/{original['id']}", headers=api.auth(alice.token))
    assert revoke.status_code == 202, revoke.text
    [revoked] = wait_until(lambda: receiver.events("message.revoked"), timeout=20)
    assert revoked["data"]["id"] == received["id"] and revoked["data"]["revokedAt"]
    assert set(revoked["data"]["change"]) == {"actionId", "by", "fromMe", "at"}
    # The filter held: none of the other types came.
    assert {e["type"] for e in receiver.events()} <= {
        "message.edited", "message.revoked", "message.reaction", "device.status"}


def test_a_reaction_to_a_message_never_stored_names_no_target(
        api: Api, receiver: Receiver) -> None:
    bob = linked_party(api, unique_phone())
    api.http.patch(f"/api/devices/{bob.device['id']}/webhook", headers=api.auth(bob.token),
                   json={"webhookUrl": receiver.url, "events": ["message.reaction"]})
    alice: Party = linked_party(api, unique_phone())
    mine = send(api, alice, to=unique_phone(), text="ke orang lain")
    wait_until(lambda: message(api, alice, mine["id"])["status"] in ("sent", "delivered"),
               timeout=15)
    send(api, alice, to=bob.phone, type="reaction",
         reaction={"messageId": mine["id"], "emoji": "🙏"})
    [reaction] = wait_until(lambda: receiver.events("message.reaction"), timeout=20)
    assert reaction["data"]["change"]["targetId"] is None
    assert reaction["data"]["change"]["targetWaMessageId"]

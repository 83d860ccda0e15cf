"""Labels (WhatsApp Business) end to end on the sandbox over HTTP: the account's labels,
setting exactly the labels on a chat, refusals; whatsmeow lacks the calls (501)."""

import asyncio

import pytest

from tests.messages.parties import linked_party, unique_phone
from tests.support import Api
from wapiz.engines.base import EngineSession, NotSupported
from wapiz.engines.whatsmeow.engine import WhatsmeowSession


def labels_of(api: Api, token: str, device_id: str) -> dict[str, dict]:
    answer = api.http.get(f"/api/devices/{device_id}/labels", headers=api.auth(token))
    assert answer.status_code == 200, answer.text
    return {label["id"]: label for label in answer.json()["labels"]}


def put(api: Api, token: str, device_id: str, chat: str, body: object):  # type: ignore[no-untyped-def]
    return api.http.put(f"/api/devices/{device_id}/chats/{chat}/labels", json=body,
                        headers=api.auth(token))


def test_labels_are_kept_per_account_and_chat(api: Api) -> None:
    alice = linked_party(api, unique_phone())
    device = alice.device["id"]
    start = labels_of(api, alice.token, device)
    assert start["1"]["name"] == "New customer" and len(start) == 5
    assert all(label["chats"] == [] for label in start.values())

    customer = unique_phone()
    answer = put(api, alice.token, device, "0" + customer[2:], {"labels": ["2", "1", "2"]})
    assert answer.status_code == 200, answer.text
    chat = f"{customer}@s.whatsapp.net"
    assert answer.json() == {"ok": True, "chat": chat, "labels": ["1", "2"]}
    group = "120363025246125888@g.us"
    assert put(api, alice.token, device, group, {"labels": ["4"]}).status_code == 200
    now = labels_of(api, alice.token, device)
    assert now["1"]["chats"] == [chat] and now["2"]["chats"] == [chat]
    assert now["4"]["chats"] == [group] and now["3"]["chats"] == []
    # Exactly these: the chat's other labels come off.
    assert put(api, alice.token, device, chat, {"labels": ["3"]}).status_code == 200
    now = labels_of(api, alice.token, device)
    assert now["1"]["chats"] == [] and now["3"]["chats"] == [chat]
    assert put(api, alice.token, device, chat, {"labels": []}).json()["labels"] == []
    assert labels_of(api, alice.token, device)["3"]["chats"] == []
    # Another device's account keeps its own.
    bob = linked_party(api, unique_phone())
    assert all(label["chats"] == [] for label in
               labels_of(api, bob.token, bob.device["id"]).values())


def test_refusals(api: Api) -> None:
    alice = linked_party(api, unique_phone())
    device = alice.device["id"]
    unknown = put(api, alice.token, device, unique_phone(), {"labels": ["99"]})
    assert unknown.status_code == 404 and unknown.json()["code"] == "whatsapp_not_found"
    for body in ({}, {"labels": "1"}, {"labels": [""]}, {"labels": ["1"] * 21},
                 {"labels": [1]}):
        assert put(api, alice.token, device, unique_phone(), body).status_code == 422, body
    bad_chat = put(api, alice.token, device, "bukan-nomor", {"labels": ["1"]})
    assert bad_chat.status_code == 422 and bad_chat.json()["code"] == "invalid_chat"
    other, _ = api.register()
    assert api.http.get(f"/api/devices/{device}/labels",
                        headers=api.auth(other)).status_code == 404
    assert put(api, other, device, unique_phone(), {"labels": []}).status_code == 404
    assert api.http.get(f"/api/devices/{device}/labels").status_code == 401
    unlinked = api.create_device(other)
    waiting = api.http.get(f"/api/devices/{unlinked['id']}/labels", headers=api.auth(other))
    assert waiting.status_code == 409 and waiting.json()["code"] == "device_not_logged_in"


def test_whatsmeow_has_no_label_calls() -> None:
    """neonize 0.5.2 exposes no label app-state calls: the session keeps the interface's
    refusal, which the API answers with 501 not_supported_by_engine."""
    assert WhatsmeowSession.labels is EngineSession.labels
    assert WhatsmeowSession.set_chat_labels is EngineSession.set_chat_labels
    with pytest.raises(NotSupported):
        asyncio.run(EngineSession.labels(object.__new__(WhatsmeowSession)))

"""Users with linked sandbox devices, and the message calls tests make with them."""

from dataclasses import dataclass

from tests.support import Api
from tests.support import unique_phone as unique_phone  # where the message tests take it

NO_PACING = {"minDelayMs": 0, "maxDelayMs": 0, "typing": False}


@dataclass
class Party:
    token: str
    device: dict
    phone: str


def linked_party(api: Api, phone: str) -> Party:
    token, _ = api.register()
    device = api.linked_device(token, phone)
    answer = api.http.patch(f"/api/devices/{device['id']}/settings", json=NO_PACING,
                            headers=api.auth(token))
    assert answer.status_code == 200
    return Party(token, device, phone)


def send(api: Api, sender: Party, **body: object) -> dict:
    answer = api.http.post("/api/messages", json={"deviceId": sender.device["deviceId"], **body},
                           headers=api.auth(sender.token))
    assert answer.status_code == 202, answer.text
    return answer.json()


def message(api: Api, party: Party, message_id: str) -> dict:
    return api.http.get(f"/api/messages/{message_id}", headers=api.auth(party.token)).json()


def inbox(api: Api, party: Party) -> list[dict]:
    return api.http.get("/api/messages", params={"direction": "inbound"},
                        headers=api.auth(party.token)).json()["items"]


def inbox_all(api: Api, party: Party) -> list[dict]:
    """Every inbound message, through all pages."""
    items: list[dict] = []
    cursor = None
    while True:
        params = {"direction": "inbound", "limit": 200, **({"cursor": cursor} if cursor else {})}
        page = api.http.get("/api/messages", params=params,
                            headers=api.auth(party.token)).json()
        items += page["items"]
        cursor = page["nextCursor"]
        if cursor is None:
            return items


def send_many(api: Api, sender: Party, to: str, count: int) -> list[str]:
    return [send(api, sender, to=to, text=f"pesan {n}")["id"] for n in range(count)]

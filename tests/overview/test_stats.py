"""A device's overview figures: what went out and came in per day, the webhook's success,
the queue, the last event — the user's own devices only, within bounds."""

import datetime as dt

from tests.support import Api, unique_phone, wait_until
from tests.webhooks.receiver import running_receiver


def stats(api: Api, token: str, device_id: str, **query: str) -> dict:
    answer = api.http.get(f"/api/devices/{device_id}/stats", params=query,
                          headers=api.auth(token))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_new_device_has_empty_days(api: Api) -> None:
    token, _ = api.register()
    device = api.create_device(token)
    figures = stats(api, token, device["id"], days="3")
    today = dt.datetime.now(dt.UTC).date()
    assert figures["days"] == [str(today - dt.timedelta(days=n)) for n in (2, 1, 0)]
    assert figures["sent"] == figures["received"] == [0, 0, 0]
    assert figures["webhookSuccessRate"] == [None, None, None]
    assert figures["queueDepth"] == 0 and figures["lastEventAt"] is None
    assert len(stats(api, token, device["id"])["days"]) == 14  # the default


def test_sends_receipts_and_webhook_deliveries_are_counted_today(api: Api) -> None:
    token, _ = api.register()
    device = api.linked_device(token)
    with running_receiver() as receiver:
        hook = api.http.patch(f"/api/devices/{device['id']}/webhook",
                              json={"webhookUrl": receiver.url}, headers=api.auth(token))
        assert hook.status_code == 200, hook.text
        sent = api.http.post("/api/messages", headers=api.auth(token), json={
            "deviceId": device["deviceId"], "to": unique_phone(), "text": "Halo"})
        assert sent.status_code == 202, sent.text
        inbound = api.http.post(f"/api/sandbox/devices/{device['id']}/inbound",
                                headers=api.auth(token),
                                json={"from": unique_phone(), "text": "Balas"})
        assert inbound.status_code == 202, inbound.text

        def counted() -> dict | None:
            figures = stats(api, token, device["id"], days="2")
            done = (figures["sent"][-1] == 1 and figures["received"][-1] == 1
                    and figures["webhookSucceeded"][-1] >= 2)
            return figures if done else None

        figures = wait_until(counted, timeout=20)
    assert figures["sent"] == [0, 1] and figures["received"] == [0, 1]
    assert figures["webhookFailed"] == [0, 0] and figures["webhookSuccessRate"][-1] == 1.0
    assert figures["queueDepth"] == 0 and figures["lastEventAt"] is not None


def test_another_users_device_and_bad_days_are_refused(api: Api) -> None:
    owner, _ = api.register()
    device = api.create_device(owner)
    stranger, _ = api.register()
    refused = api.http.get(f"/api/devices/{device['id']}/stats", headers=api.auth(stranger))
    assert refused.status_code == 404 and refused.json()["code"] == "device_not_found"
    for days in ("0", "32", "x"):
        bad = api.http.get(f"/api/devices/{device['id']}/stats", params={"days": days},
                           headers=api.auth(owner))
        assert bad.status_code == 422, days
    assert api.http.get(f"/api/devices/{device['id']}/stats").status_code == 401

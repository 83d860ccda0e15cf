"""The OpenAPI description is complete and true: every route, body, response and error."""

import httpx

from tests.support import Api

# Every route that changes something and takes the cookie may answer 403 (a cross-site
# request), and so may register and login.
EXPECTED = {
    ("post", "/api/auth/register"): {"201", "400", "403", "409", "413", "422", "429", "503"},
    ("post", "/api/auth/login"): {"200", "400", "401", "403", "413", "422", "429", "503"},
    ("post", "/api/auth/logout"): {"200", "401", "403"},
    ("get", "/api/auth/me"): {"200", "401"},
    ("get", "/api/auth/signup"): {"200"},
    ("get", "/api/devices"): {"200", "401"},
    ("post", "/api/devices"): {"201", "400", "401", "403", "413", "422"},
    ("delete", "/api/devices/{id}"): {"200", "401", "403", "404"},
    ("patch", "/api/devices/{id}"): {"200", "400", "401", "403", "404", "413", "422"},
    ("get", "/api/devices/{id}/qr"): {"200", "304", "401", "404", "503"},
    ("get", "/api/devices/{id}/status"): {"200", "304", "401", "404"},
    ("get", "/api/devices/{id}/stats"): {"200", "401", "404", "422"},
    ("get", "/api/devices/{id}/chats"): {"200", "401", "404", "422"},
    ("get", "/api/devices/{id}/chats/{chat}/messages"): {"200", "401", "404", "422"},
    ("post", "/api/devices/{id}/chats/{chat}/read"): {
        "200", "401", "403", "404", "409", "422", "501", "502", "503"},
    ("patch", "/api/devices/{id}/chats/{chat}"): {
        "200", "400", "401", "403", "404", "409", "413", "422", "501", "502", "503"},
    ("delete", "/api/devices/{id}/chats/{chat}"): {
        "204", "401", "403", "404", "409", "422", "501", "502", "503"},
    ("patch", "/api/devices/{id}/webhook"): {"200", "400", "401", "403", "404", "413", "422"},
    ("get", "/api/devices/{id}/webhook"): {"200", "401", "404"},
    ("post", "/api/devices/{id}/webhook/secret"): {"200", "401", "403", "404"},
    ("post", "/api/devices/{id}/webhook/test"): {"202", "401", "403", "404", "409"},
    ("get", "/api/devices/{id}/webhook/deliveries"): {"200", "304", "401", "404", "422"},
    ("get", "/api/devices/{id}/webhook/deliveries/{delivery_id}"): {"200", "401", "404"},
    ("post", "/api/devices/{id}/webhook/deliveries/{delivery_id}/redeliver"): {
        "202", "401", "403", "404", "409"},
    ("post", "/api/devices/{id}/webhook/recover"): {
        "202", "400", "401", "403", "404", "409", "413", "422"},
    ("patch", "/api/webhook"): {"200", "400", "401", "403", "413", "422"},
    ("get", "/api/webhook"): {"200", "401", "403"},
    ("post", "/api/webhook/secret"): {"200", "401", "403"},
    ("post", "/api/webhook/test"): {"202", "401", "403", "409"},
    ("get", "/api/webhook/deliveries"): {"200", "304", "401", "403", "422"},
    ("get", "/api/webhook/deliveries/{delivery_id}"): {"200", "401", "403", "404"},
    ("post", "/api/webhook/deliveries/{delivery_id}/redeliver"): {
        "202", "401", "403", "404", "409"},
    ("post", "/api/webhook/recover"): {"202", "400", "401", "403", "409", "413", "422"},
    ("post", "/api/devices/{id}/stories"): {"202", "400", "401", "403", "404", "413", "422"},
    ("get", "/api/devices/{id}/labels"): {"200", "401", "404", "409", "501", "502", "503"},
    ("put", "/api/devices/{id}/chats/{chat}/labels"): {
        "200", "400", "401", "403", "404", "409", "413", "422", "501", "502", "503"},
    ("post", "/api/devices/{id}/pair"): {
        "200", "400", "401", "403", "404", "409", "413", "422", "503"},
    ("get", "/api/devices/{id}/settings"): {"200", "401", "404"},
    ("patch", "/api/devices/{id}/settings"): {"200", "400", "401", "403", "404", "413", "422"},
    ("post", "/api/sandbox/devices/{id}/link"): {
        "200", "202", "400", "401", "403", "404", "409", "413", "422", "503"},
    ("post", "/api/sandbox/devices/{id}/unlink"): {"200", "401", "403", "404", "409"},
    ("post", "/api/devices/{id}/check"): {
        "200", "400", "401", "403", "404", "409", "413", "422", "503"},
    ("post", "/api/sandbox/devices/{id}/inbound"): {
        "202", "400", "401", "403", "404", "409", "413", "422"},
    ("post", "/api/messages"): {"202", "400", "401", "403", "404", "409", "413", "422",
                                 "503"},
    ("post", "/api/messages/upload"): {
        "202", "400", "401", "403", "404", "409", "413", "422", "503"},
    ("post", "/api/messages/bulk"): {"202", "400", "401", "403", "404", "413", "422", "503"},
    ("get", "/api/messages/bulk/{batch_id}"): {"200", "401", "404"},
    ("get", "/api/messages"): {"200", "304", "401", "422"},
    ("get", "/api/messages/{id}"): {"200", "401", "404"},
    ("patch", "/api/messages/{id}"): {"202", "400", "401", "403", "404", "409", "413", "422"},
    ("delete", "/api/messages/{id}"): {"200", "202", "401", "403", "404", "409"},
    ("post", "/api/messages/{id}/forward"): {
        "202", "400", "401", "403", "404", "409", "413", "422"},
    ("post", "/api/messages/{id}/read"): {"200", "401", "403", "404", "409", "502", "503"},
    ("get", "/api/messages/{id}/media"): {
        "200", "401", "404", "409", "410", "413", "502", "503"},
    ("get", "/api/health"): {"200"},
    ("get", "/metrics"): {"200", "401", "404"},
    ("get", "/api/events"): {"200", "401", "404", "410", "422"},
    ("get", "/api/keys"): {"200", "401", "403"},
    ("post", "/api/keys"): {"201", "400", "401", "403", "404", "409", "413", "422"},
    ("delete", "/api/keys/{id}"): {"204", "401", "403", "404"},
    ("get", "/api/admin/users"): {"200", "401", "403", "422"},
    ("patch", "/api/admin/users/{id}"): {
        "200", "400", "401", "403", "404", "409", "413", "422"},
    ("get", "/api/admin/devices"): {"200", "401", "403", "422"},
    ("get", "/api/admin/health"): {"200", "401", "403"},
    ("get", "/api/admin/outputs"): {"200", "401", "403"},
    ("get", "/api/admin/cluster"): {"200", "401", "403"},
    ("get", "/api/admin/settings"): {"200", "401", "403"},
    ("patch", "/api/admin/settings"): {"200", "400", "401", "403", "413", "422"},
    ("post", "/api/admin/invites"): {"201", "400", "401", "403", "409", "413", "422"},
    ("get", "/api/admin/invites"): {"200", "401", "403", "422"},
    ("delete", "/api/admin/invites/{id}"): {"204", "401", "403", "404"},
    # Groups: every route asks the device's live session (409 not logged in; 403, 404, 501,
    # 502, 503 its refusals).
    ("get", "/api/devices/{id}/groups"): {"200", "401", "403", "404", "409", "501", "502", "503"},
    ("post", "/api/devices/{id}/groups"): {
        "201", "400", "401", "403", "404", "409", "413", "422", "501", "502", "503"},
    ("post", "/api/devices/{id}/groups/join"): {
        "200", "202", "400", "401", "403", "404", "409", "413", "422", "501", "502", "503"},
    ("get", "/api/devices/{id}/groups/{group}"): {
        "200", "401", "403", "404", "409", "501", "502", "503"},
    ("patch", "/api/devices/{id}/groups/{group}"): {
        "200", "400", "401", "403", "404", "409", "413", "422", "501", "502", "503"},
    ("put", "/api/devices/{id}/groups/{group}/picture"): {
        "200", "400", "401", "403", "404", "409", "413", "422", "501", "502", "503"},
    ("post", "/api/devices/{id}/groups/{group}/participants"): {
        "200", "400", "401", "403", "404", "409", "413", "422", "501", "502", "503"},
    ("get", "/api/devices/{id}/groups/{group}/invite"): {
        "200", "401", "403", "404", "409", "501", "502", "503"},
    ("delete", "/api/devices/{id}/groups/{group}/invite"): {
        "200", "401", "403", "404", "409", "501", "502", "503"},
    ("post", "/api/devices/{id}/groups/{group}/leave"): {
        "200", "401", "403", "404", "409", "501", "502", "503"},
    ("get", "/api/devices/{id}/groups/{group}/requests"): {
        "200", "401", "403", "404", "409", "501", "502", "503"},
    ("post", "/api/devices/{id}/groups/{group}/requests"): {
        "200", "400", "401", "403", "404", "409", "413", "422", "501", "502", "503"},
    ("post", "/api/devices/{id}/logout"): {"200", "401", "403", "404", "409", "503"},
    ("post", "/api/devices/{id}/restart"): {"202", "401", "403", "404", "503"},
    ("get", "/api/devices/{id}/profile"): {"200", "401", "404", "409", "501", "502", "503"},
    ("patch", "/api/devices/{id}/profile"): {
        "200", "400", "401", "403", "404", "409", "413", "422", "501", "502", "503"},
    ("put", "/api/devices/{id}/profile/picture"): {
        "200", "400", "401", "403", "404", "409", "413", "422", "501", "502", "503"},
    ("get", "/api/devices/{id}/contacts"): {
        "200", "401", "404", "409", "422", "501", "502", "503"},
    ("get", "/api/devices/{id}/contacts/{phone}"): {
        "200", "401", "404", "409", "422", "501", "502", "503"},
    ("post", "/api/devices/{id}/contacts/{phone}/block"): {
        "200", "401", "403", "404", "409", "422", "501", "502", "503"},
    ("post", "/api/devices/{id}/contacts/{phone}/unblock"): {
        "200", "401", "403", "404", "409", "422", "501", "502", "503"},
    ("get", "/api/devices/{id}/lids/{lid}"): {
        "200", "401", "404", "409", "422", "501", "502", "503"},
    ("get", "/api/devices/{id}/lids"): {"200", "401", "404", "409", "422", "501", "502", "503"},
    ("post", "/api/devices/{id}/presence"): {
        "200", "400", "401", "403", "404", "409", "413", "422", "501", "502", "503"},
    ("post", "/api/devices/{id}/presence/subscribe"): {
        "200", "400", "401", "403", "404", "409", "413", "422", "501", "502", "503"},
    ("post", "/api/devices/{id}/chats/{chat}/presence"): {
        "200", "400", "401", "403", "404", "409", "413", "422", "501", "502", "503"},
    ("post", "/api/devices/{id}/calls/{call_id}/reject"): {
        "200", "401", "403", "404", "409", "422", "501", "502", "503"},
    ("post", "/api/sandbox/devices/{id}/call"): {
        "202", "400", "401", "403", "404", "409", "413", "422"},
    ("get", "/api/sandbox/pictures/{picture_id}"): {"200", "404", "422"},
}


def test_every_route_is_described_with_its_responses(api: Api) -> None:
    spec = api.http.get("/api/openapi.json").json()
    described = {
        (method, path): set(operation["responses"])
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
    }
    assert described == EXPECTED


def test_bodies_and_errors_are_our_shapes(api: Api) -> None:
    spec = api.http.get("/api/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert set(schemas["DeviceOut"]["properties"]) == {
        "id", "userId", "deviceId", "label", "webhookUrl", "createdAt"
    }
    assert set(schemas["HTTPValidationError"]["properties"]) == {"error", "code", "details"}
    assert set(schemas["ErrorBody"]["properties"]) == {"error", "code"}
    # 422: `details` where the request was malformed; a rule of ours may answer without.
    assert schemas["HTTPValidationError"]["required"] == ["error"]
    for (method, path), statuses in EXPECTED.items():
        operation = spec["paths"][path][method]
        # Every body that cannot be read is a 400 in our shape (invalid_json, invalid_form).
        assert ("400" in statuses) == ("requestBody" in operation), (method, path)
    # Every text that reaches the database says it holds no NUL.
    assert schemas["DeviceCreate"]["properties"]["label"]["anyOf"][0]["pattern"] == (
        "^[^\\x00]*$")
    qr = spec["paths"]["/api/devices/{id}/qr"]["get"]["responses"]["200"]["content"]
    assert {"image/png", "application/json"} <= set(qr)
    assert qr["image/png"]["schema"] == {"type": "string", "format": "binary"}
    create = spec["paths"]["/api/devices"]["post"]["requestBody"]["content"]
    assert "DeviceCreate" in str(create)
    assert set(schemas["DeviceCreate"]["properties"]) == {"label"}
    assert set(schemas["WebhookIn"]["properties"]) == {"webhookUrl", "events", "enabled"}
    security = spec["components"]["securitySchemes"]
    assert {s["type"] for s in security.values()} >= {"apiKey", "http"}
    assert security["apiKeyAuth"] == {"type": "apiKey", "in": "header", "name": "X-Api-Key"}
    assert set(schemas["KeyCreated"]["properties"]) == {
        "id", "name", "deviceId", "key", "prefix", "createdAt", "lastUsedAt"}
    assert "isAdmin" in schemas["UserOut"]["properties"]
    events = spec["paths"]["/api/events"]["get"]
    assert set(events["responses"]["200"]["content"]) == {"text/event-stream"}
    assert {p["name"] for p in events["parameters"]} == {
        "deviceId", "type", "after", "last-event-id"}
    assert schemas["SignupOut"]["properties"]["signup"]["enum"] == ["open", "closed", "invite"]
    assert {"signup", "signupSource", "signupDefault", "signupChangedAt"} <= set(
        schemas["SettingsOut"]["properties"])
    # Exactly the routes that take the token say so.
    open_routes = {("post", "/api/auth/register"), ("post", "/api/auth/login"),
                   ("get", "/api/auth/signup"), ("get", "/api/health"),
                   ("get", "/api/sandbox/pictures/{picture_id}"),
                   ("get", "/metrics")}  # its own token (WAPIZ_METRICS_TOKEN), no user's
    for (method, path) in EXPECTED:
        operation = spec["paths"][path][method]
        assert ("security" in operation) == ((method, path) not in open_routes), (method, path)


def test_swagger_ui_is_served(api: Api) -> None:
    page = httpx.get(api.url + "/api/docs")
    assert page.status_code == 200 and "/api/openapi.json" in page.text

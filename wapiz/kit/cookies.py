"""The login cookie's name: the API sets and reads it (accounts), the web pages only look
for its presence (web), and neither may import the other."""

TOKEN_COOKIE = "wa_token"

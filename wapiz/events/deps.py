"""The streams' service, built from the connection (an HTTP request or a WebSocket)."""

from starlette.requests import HTTPConnection

from wapiz.accounts.principal import Principal
from wapiz.events.service import EventStreams


def streams_for(connection: HTTPConnection, caller: Principal) -> EventStreams:
    state = connection.app.state
    return EventStreams(state.database, state.feed, caller,
                        state.settings.stream_buffer_events)

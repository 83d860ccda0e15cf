"""The chat list's rules without a server: how stored messages move their chats, and how a
history sync is bounded and what of it counts as read."""

import uuid
from datetime import UTC, datetime, timedelta

from wapiz.chats.rows import Touch, _merged, counts_as_unread
from wapiz.engines.events import HistoryChat, InboundMessage, Party
from wapiz.workers.runner.notices.chats import bounded, read_on_phone

USER, DEVICE = uuid.uuid4(), uuid.uuid4()
NOW = datetime.now(UTC)


def touch(chat: str, minutes_ago: int, unread: bool = False, name: str | None = None) -> Touch:
    return Touch(USER, DEVICE, chat, uuid.uuid4(), NOW - timedelta(minutes=minutes_ago),
                 unread, name)


def test_a_group_of_messages_moves_each_chat_once_to_its_newest() -> None:
    older, newer = touch("b@s.whatsapp.net", 5, True, "Budi"), touch("b@s.whatsapp.net", 1, True)
    other = touch("a@s.whatsapp.net", 3)
    rows = _merged([older, other, newer])
    assert [row["chat"] for row in rows] == ["a@s.whatsapp.net", "b@s.whatsapp.net"]  # sorted
    budi = rows[1]
    assert budi["last_message_id"] == newer.message_id and budi["last_message_at"] == newer.at
    assert budi["unread_count"] == 2 and budi["name"] == "Budi"
    assert rows[0]["unread_count"] == 0 and rows[0]["name"] is None


def test_what_counts_as_unread() -> None:
    assert counts_as_unread("text", from_me=False) and counts_as_unread("image", False)
    assert not counts_as_unread("text", from_me=True)
    assert not any(counts_as_unread(kind, False)
                   for kind in ("reaction", "edit", "revoke", "poll_vote"))


def message(message_id: str, hours_ago: float, from_me: bool = False,
            kind: str = "text") -> InboundMessage:
    party = Party("6281@s.whatsapp.net", "6281")
    return InboundMessage(message_id, party, party, from_me, NOW - timedelta(hours=hours_ago),
                          kind)


def test_a_history_sync_is_bounded_by_days_then_by_count() -> None:
    first = HistoryChat("a", messages=(message("a-old", 24 * 10), message("a1", 3),
                                       message("a2", 1)))
    second = HistoryChat("b", messages=(message("b1", 2),))
    empty = HistoryChat("c", messages=(message("c-old", 24 * 9),))
    kept = bounded((first, second, empty), days=7, limit=2)
    assert [(chat.chat, [m.id for m in messages]) for chat, messages in kept] == [
        ("a", ["a2"]), ("b", ["b1"])]  # the newest two within a week; c had none
    kept = bounded((first, second, empty), days=30, limit=100)
    assert [[m.id for m in messages] for _, messages in kept] == [
        ["a-old", "a1", "a2"], ["b1"], ["c-old"]]


def test_the_phone_had_read_all_but_its_unread_count() -> None:
    messages = [message("1", 5), message("2", 4, from_me=True), message("3", 3),
                message("r", 2, kind="reaction"), message("4", 1)]
    chat = HistoryChat("a", unread_count=2, messages=tuple(messages))
    assert read_on_phone(chat, messages) == ["1"]
    assert read_on_phone(HistoryChat("a", unread_count=0), messages) == ["1", "3", "4"]
    assert read_on_phone(HistoryChat("a", unread_count=9), messages) == []

"""Group notices: the device's number joined a group (`group.joined`); a group it is in
changed its settings (`group.updated`) or its participants (`group.participants`, one event
per kind of change)."""

from wapiz.engines.groups import GroupChanged, GroupJoined
from wapiz.webhooks.events import (
    GROUP_JOINED,
    GROUP_PARTICIPANTS,
    GROUP_UPDATED,
    GroupJoinedData,
    GroupParticipantsData,
    GroupUpdatedData,
)
from wapiz.workers.runner.notices.base import NoticeRows, NoticeWriter


async def joined(rows: NoticeRows, notice: GroupJoined) -> None:
    await rows.record(GROUP_JOINED, GroupJoinedData(rows.device_public_id, notice.group,
                                                    notice.reason, notice.by))


async def changed(rows: NoticeRows, notice: GroupChanged) -> None:
    if not notice.settings.empty:
        await rows.record(GROUP_UPDATED, GroupUpdatedData(
            rows.device_public_id, notice.group_id, notice.settings, notice.by, notice.at))
    for change in notice.members:
        await rows.record(GROUP_PARTICIPANTS, GroupParticipantsData(
            rows.device_public_id, notice.group_id, change.action, change.people, notice.by,
            notice.at))


NOTICES: dict[type, NoticeWriter] = {
    GroupJoined: joined,
    GroupChanged: changed,
}

"""The queries of the cluster's view: the nodes' rows and the devices each runner holds."""

from collections.abc import Sequence

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.cluster.models import Node
from wapiz.db.clock import database_now
from wapiz.devices.models import Device, DeviceSession


class ClusterRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def nodes(self) -> Sequence[Node]:
        return (await self.session.scalars(
            select(Node).order_by(Node.role, Node.runner_role, Node.name))).all()

    async def held_by_runner(self) -> dict[str, int]:
        """Devices under a live lease, by the runner holding them."""
        alive = and_(DeviceSession.runner.is_not(None),
                     DeviceSession.lease_expires_at > database_now(self.session))
        rows = await self.session.execute(
            select(DeviceSession.runner, func.count()).where(alive)
            .group_by(DeviceSession.runner))
        return {runner: count for runner, count in rows if runner is not None}

    async def device_count(self) -> int:
        return await self.session.scalar(
            select(func.count()).select_from(Device).where(Device.deleted_at.is_(None))) or 0

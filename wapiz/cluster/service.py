"""The cluster's view: which processes run, what each holds and whether it is alive (the
admin's `GET /api/admin/cluster` and `wapiz cluster status`). Reads only."""

from sqlalchemy.ext.asyncio import AsyncSession

from wapiz.cluster.models import NodeRole
from wapiz.cluster.repository import ClusterRepository
from wapiz.cluster.schemas import ClusterOut, NodeOut
from wapiz.config import Settings
from wapiz.db.clock import read_database_now


class ClusterService:
    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.rows = ClusterRepository(session)
        self.session = session
        self.alive_for_s = settings.lease_ttl_seconds

    async def status(self) -> ClusterOut:
        now = await read_database_now(self.session)
        held = await self.rows.held_by_runner()
        nodes = []
        for node in await self.rows.nodes():
            age = max(0.0, (now - node.heartbeat_at).total_seconds())
            runner = node.role == NodeRole.RUNNER
            nodes.append(NodeOut(
                name=node.name, role=node.role, runner_role=node.runner_role, host=node.host,
                pid=node.pid, version=node.version, capacity=node.capacity,
                devices_held=held.get(node.name, 0) if runner else None,
                started_at=node.started_at, heartbeat_at=node.heartbeat_at,
                heartbeat_age_seconds=round(age, 3), alive=age < self.alive_for_s,
                draining=node.draining))
        return ClusterOut(
            nodes=nodes, devices=await self.rows.device_count(),
            devices_held=sum(held.values()),
            live_runners=len([n for n in nodes if n.role == NodeRole.RUNNER and n.alive
                              and not n.draining]))

from typing import Any, Literal

from pydantic import ConfigDict, Field

from wapiz.cluster.models import NodeRole
from wapiz.kit.schemas import ApiModel, Timestamp

# Inline, as the enum's values (no separate schema in the OpenAPI document).
NodeRoleField = Literal[NodeRole.API, NodeRole.RUNNER]

EXAMPLE: dict[str, Any] = {
    "nodes": [
        {"name": "api@web-1:4242:9f1c2a", "role": "api", "runnerRole": None, "host": "web-1",
         "pid": 4242, "version": "0.1.0", "capacity": None, "devicesHeld": None,
         "startedAt": "2026-12-03T08:00:00.000Z", "heartbeatAt": "2026-12-03T09:30:01.250Z",
         "heartbeatAgeSeconds": 1.2, "alive": True, "draining": False},
        {"name": "runner-a:5120:03be71", "role": "runner", "runnerRole": "all",
         "host": "worker-1", "pid": 5120, "version": "0.1.0", "capacity": 1000,
         "devicesHeld": 150, "startedAt": "2026-12-03T08:00:02.000Z",
         "heartbeatAt": "2026-12-03T09:30:00.900Z", "heartbeatAgeSeconds": 1.55,
         "alive": True, "draining": False},
        {"name": "runner-b:5133:7a0d44", "role": "runner", "runnerRole": "all",
         "host": "worker-2", "pid": 5133, "version": "0.1.0", "capacity": 1000,
         "devicesHeld": 150, "startedAt": "2026-12-03T08:00:03.000Z",
         "heartbeatAt": "2026-12-03T09:30:02.100Z", "heartbeatAgeSeconds": 0.35,
         "alive": True, "draining": False},
    ],
    "devices": 300, "devicesHeld": 300, "liveRunners": 2,
}


class NodeOut(ApiModel):
    name: str = Field(description="The process's identity (`<name>:<pid>:<random>`); a "
                      "runner's leases carry it.")
    role: NodeRoleField
    runner_role: str | None = Field(
        description="A runner's kind of device: `all`, or with whatsmeow `linked` or "
        "`quarantine`; null for an API node.")
    host: str
    pid: int
    version: str
    capacity: int | None = Field(description="A runner's `WAPIZ_RUNNER_CAPACITY`.")
    devices_held: int | None = Field(description="Devices under a live lease of this runner.")
    started_at: Timestamp
    heartbeat_at: Timestamp
    heartbeat_age_seconds: float
    alive: bool = Field(description="Its heartbeat is younger than `WAPIZ_LEASE_TTL_SECONDS` "
                        "(a runner beats with its lease renewals). A node silent for 10 "
                        "minutes is forgotten.")
    draining: bool = Field(description="Told to stop: handing its devices to the others.")


class ClusterOut(ApiModel):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})

    nodes: list[NodeOut] = Field(description="API nodes first, then runners by kind.")
    devices: int = Field(description="Devices not deleted, across accounts.")
    devices_held: int = Field(description="Of them, under a live lease.")
    live_runners: int = Field(description="Runners alive and not draining.")

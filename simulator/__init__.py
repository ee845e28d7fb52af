"""A faithful Pterodactyl / Pelican panel client API simulator for tests, demos and benchmarks."""

from simulator.backups import SimBackup
from simulator.clock import Clock, ManualClock
from simulator.faults import Fault, FaultKind, RequestRecord
from simulator.flavors import Flavor
from simulator.models import (
    Access,
    Account,
    Allocation,
    EggVariable,
    FeatureLimits,
    Limits,
    PowerSignal,
    PowerState,
    ServerStatus,
    SimServer,
    Stats,
)
from simulator.panel import PanelSimulator
from simulator.schedule_tasks import SimTask, TaskSpec
from simulator.schedules import SimSchedule
from simulator.wings_node import WingsSettings

__all__ = [
    "Access",
    "Account",
    "Allocation",
    "Clock",
    "EggVariable",
    "Fault",
    "FaultKind",
    "FeatureLimits",
    "Flavor",
    "Limits",
    "ManualClock",
    "PanelSimulator",
    "PowerSignal",
    "PowerState",
    "RequestRecord",
    "ServerStatus",
    "SimBackup",
    "SimSchedule",
    "SimServer",
    "SimTask",
    "Stats",
    "TaskSpec",
    "WingsSettings",
]

"""Bookflow's settings: one tree (``Settings``), read from the environment once per process.

Nothing else in the project reads the environment; the worker passes each part its section.
"""

from worker.settings.crm import CrmSettings
from worker.settings.messaging import MessagingSettings
from worker.settings.problems import SettingsError
from worker.settings.root import TASK_QUEUE, Settings, load_settings
from worker.settings.routing import RoutingSettings
from worker.settings.telemetry import TelemetrySettings

__all__ = [
    "TASK_QUEUE",
    "CrmSettings",
    "MessagingSettings",
    "RoutingSettings",
    "Settings",
    "SettingsError",
    "TelemetrySettings",
    "load_settings",
]

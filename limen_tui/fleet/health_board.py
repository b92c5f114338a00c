"""TRANSITION, until the UI uses each Host's own health and SSH link: health monitors
for every host the console watches, and the SSH links they share with logs.

From the config file's [[hosts]]: psutil for this machine, a streamed /proc over the host's one
SSH link for remote ones. Without a config file, the machine itself when a watched URI is local.
"""

from __future__ import annotations

import asyncio

from limen_tui.config.hosts import HostsConfig
from limen_tui.hosts.monitor import HealthMonitor, HealthSettings, PublishHealth
from limen_tui.hosts.ssh import SshLink, SshSettings


class HealthBoard:
    """Starts and stops one HealthMonitor per host; keeps each remote host's SSH link."""

    def __init__(
        self,
        publish: PublishHealth,
        config: HostsConfig | None,
        *,
        local_name: str | None = None,
    ) -> None:
        self.settings: HealthSettings = config.health if config else HealthSettings()
        ssh_settings = config.ssh if config else SshSettings()
        self.monitors: dict[str, HealthMonitor] = {}
        self.links: dict[str, SshLink] = {}
        for entry in config.hosts if config else ():
            if not entry.health:
                continue
            if entry.ssh is None:
                self.monitors[entry.name] = HealthMonitor.local(entry.name, publish, self.settings)
            else:
                link = SshLink(entry.ssh, ssh_settings)
                self.links[entry.name] = link
                self.monitors[entry.name] = HealthMonitor.remote(link, publish, self.settings)
        if not self.monitors and local_name is not None:
            self.monitors[local_name] = HealthMonitor.local(local_name, publish, self.settings)

    def start(self) -> None:
        for monitor in self.monitors.values():
            monitor.start()

    async def stop(self) -> None:
        await asyncio.gather(*(m.stop() for m in self.monitors.values()))
        await asyncio.gather(*(link.stop() for link in self.links.values()))

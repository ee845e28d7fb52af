"""Tests of pterodactyl-ha: the panel client, the simulator, the integration, end to end."""

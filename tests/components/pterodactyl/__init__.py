"""Tests of the pterodactyl integration."""

"""Tests of the panel client, against mocked panels of every API generation."""

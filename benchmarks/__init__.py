"""Benchmarks: this integration against Home Assistant core's, on the panel simulator."""

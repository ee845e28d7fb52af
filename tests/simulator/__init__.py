"""Tests of the panel simulator."""

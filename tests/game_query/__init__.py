"""Tests of the game query client: detection, and the queries' failures."""

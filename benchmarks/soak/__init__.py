"""Soak: a simulated day of a big panel under random use and faults; nothing may leak or stick.

`python -m benchmarks.soak --hours 24` (or `scripts/soak`) runs Home Assistant, this integration
and the panel simulator in one process on a clock that leaps over idle time
(`benchmarks.virtual_time`), so a simulated day takes minutes. Meanwhile users switch servers on
and off, restart and kill them, send console commands; the panel's owner adds, deletes,
suspends and reinstalls servers; nodes go down, sockets drop, tokens expire and requests fail
every way the fault matrix knows. Every few simulated minutes it samples asyncio tasks, open
sockets and traced memory; at the end it clears every fault and checks that each server's
entities show what the panel says. The figures go to docs/benchmarks.md.
"""

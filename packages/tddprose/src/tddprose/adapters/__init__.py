"""Framework adapters: turn test files into TestIR.

An adapter has a static half (parse one file's bytes, no code runs) and,
optionally, a runner half (ask the framework what it collects). Phase 3 adds
Jest/Vitest beside pytest behind the same two functions.
"""

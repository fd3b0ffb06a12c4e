"""Helpers shared by several test files (not collected: no test_ prefix)."""

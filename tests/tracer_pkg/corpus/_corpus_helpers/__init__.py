"""Modules the corpus scripts import; probes in them are set from the importing case."""

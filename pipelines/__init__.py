"""The milestone engine of the PyProbe monorepo (not published).

Only ``tasks.py``, ``noxfile.py`` and the tests import it.
"""

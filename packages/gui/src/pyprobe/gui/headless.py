"""A headless run: the real window, Run pressed, values exported, a screenshot, quit."""

from __future__ import annotations

import sys
from pathlib import Path

from PyQt6.QtCore import QTimer

from ..core.export import export_probes

EXIT_TIMEOUT = 124
_SETTLE_TICKS = 3  # redraws after the end, so the screenshot shows the last values


class HeadlessRun:
    def __init__(self, window, *, export: str | None, screenshot: str | None) -> None:
        self.window = window
        self.export = export
        self.screenshot = screenshot
        self.exit_code = 0

    def run(self, app, *, auto_run: bool, timeout: float) -> int:
        window = self.window
        if auto_run:
            window.run_ended.connect(lambda event: self._finish(app, event))
            QTimer.singleShot(0, lambda: self._press_run(app))
            QTimer.singleShot(int(timeout * 1000), lambda: self._time_out(app, timeout))
        else:
            QTimer.singleShot(300, lambda: self._finish(app, None))
        app.exec()
        return self.exit_code

    def _press_run(self, app) -> None:
        self.window.run()
        if self.window.runner is None:  # it could not start (the console says why): no end
            self.exit_code = 1  # will ever come, so do not wait for one
            self._finish(app, None)

    def _time_out(self, app, timeout: float) -> None:
        if self.window.runner is None:  # already finished
            return
        print(f"pyprobe: the script did not end within {timeout:g} s; stopping it", file=sys.stderr)
        self.exit_code = EXIT_TIMEOUT
        self.window.stop()

    def _finish(self, app, event) -> None:
        window = self.window
        for _ in range(_SETTLE_TICKS):
            window.tick()
            app.processEvents()
        if event is not None and self.exit_code != EXIT_TIMEOUT:
            self.exit_code = event.exit_code if event.exit_code is not None else 1
        if self.exit_code != 0:  # what went wrong, where a terminal or CI log shows it
            window.console.flush()
            print(window.console.text, file=sys.stderr)
        if self.export:
            export_probes(
                window.store,
                self.export,
                script=str(window.script),
                exit_code=None if event is None else event.exit_code,
                outcome=None if event is None else event.outcome,
            )
        if self.screenshot:
            Path(self.screenshot).parent.mkdir(parents=True, exist_ok=True)
            if not window.grab().save(self.screenshot):
                print(f"pyprobe: could not write {self.screenshot}", file=sys.stderr)
        app.exit(self.exit_code)

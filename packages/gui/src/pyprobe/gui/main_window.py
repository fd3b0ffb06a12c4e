"""The main window: file tree | code view | probe panels | watch list, console below.

Messages update the ProbeStore as they arrive; one redraw timer (``REDRAW_HZ``)
drains the run, refreshes the panels that have something new, flushes the
console and updates the status bar. The window never waits on the child: Stop
runs in a worker thread and its end arrives as the run's ENDED event.
"""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

from PyQt6.QtCore import QFileSystemWatcher, QSettings, QStandardPaths, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QAction, QFileSystemModel, QKeySequence
from PyQt6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QLabel,
    QMainWindow,
    QSplitter,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from pyprobe_wire import Message, MessageType, ProbeAnchor

from ..core import sidecar as sidecars
from ..core.probe_sites import ProbeSite, SourceIndex
from ..core.probes import ProbeState, ProbeStore
from ..core.python_discovery import PythonDiscovery, install_tracer
from ..core.timeline import RecordingError, Timeline
from .code_view import CodeView
from .console import Console
from .message_handler import MessageHandler
from .probe_panel import PanelGrid, ProbePanel
from .script_runner import DEFAULT_LEGACY_IPC, RunEventKind, ScriptRunner
from .scrubber import Scrubber, show_state
from .watch_list import WatchList

REDRAW_HZ = 40
WATCH_REFRESH_S = 0.25
IDLE_REFRESH_S = 0.25
#: memory for the values of a live run that the scrubber can go back through
LIVE_HISTORY_BYTES = 256 * 1024 * 1024  # with no run, panels are checked 4 times a second, not 30
VALUE_TYPES = (MessageType.DATA_PROBE_VALUE, MessageType.DATA_PROBE_VALUE_BATCH)


def settings() -> QSettings:
    """The application's settings, in the platform's config directory."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppConfigLocation)
    return QSettings(str(Path(folder) / "pyprobe.ini"), QSettings.Format.IniFormat)


class MainWindow(QMainWindow):
    run_ended = pyqtSignal(object)  # the ENDED RunEvent
    run_started = pyqtSignal()

    def __init__(
        self,
        *,
        legacy_ipc: bool | None = None,
        python: str | None = None,
        keep_all: bool = False,
        save_state: bool = True,
    ) -> None:
        super().__init__()
        self.setWindowTitle("PyProbe")
        self.resize(1400, 860)
        self.legacy_ipc = DEFAULT_LEGACY_IPC if legacy_ipc is None else legacy_ipc
        self.python_override = python
        self.save_state = save_state  # write the sidecar (headless runs only read it)
        self.settings = settings()
        self.script: Path | None = None
        self.script_args: list[str] = []
        self.source = ""
        self.index = SourceIndex("")
        self.store = ProbeStore(keep_all=keep_all)
        self.panels: dict[ProbeAnchor, ProbePanel] = {}
        self.watches: list[ProbeAnchor] = []
        self.runner: ScriptRunner | None = None
        self.handler: MessageHandler | None = None
        self.paused = False
        self.run_state = "idle"
        self.last_exit_code: int | None = None
        self.frames_drawn = 0
        self.fps = 0.0
        self._fps_window = (time.monotonic(), 0)
        self._last_watch_refresh = 0.0
        self._last_idle_refresh = 0.0
        self._from_workers: queue.SimpleQueue = queue.SimpleQueue()  # (callable, args)
        self._stopping = False
        self._build()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self.tick)
        self._timer.start(1000 // REDRAW_HZ)

    # --- building ---------------------------------------------------------------------

    def _build(self) -> None:
        self.code = CodeView()
        self.code.probe_clicked.connect(self.toggle_probe)
        self.code.watch_clicked.connect(self.toggle_watch)
        self.grid = PanelGrid()
        self.grid.verticalScrollBar().valueChanged.connect(lambda _: self.refresh_panels())
        self.watch_list = WatchList()
        self.console = Console()
        self.console.location_clicked.connect(self.go_to)
        self.files = QFileSystemModel()
        self.files.setNameFilters(["*.py"])
        self.files.setNameFilterDisables(False)
        self.tree = QTreeView()
        self.tree.setModel(self.files)
        for column in (1, 2, 3):
            self.tree.hideColumn(column)
        self.tree.setHeaderHidden(True)
        self.tree.activated.connect(self._open_from_tree)
        self.tree.clicked.connect(self._open_from_tree)

        self.top = QSplitter(Qt.Orientation.Horizontal)
        for widget in (self.tree, self.code, self.grid, self.watch_list):
            self.top.addWidget(widget)
        self.top.setSizes([180, 520, 520, 180])
        self.scrubber = Scrubber()
        self.scrubber.moved.connect(self._scrubbed)
        self.scrubber.hide()
        self.timeline: Timeline | None = None
        self.recording: Path | None = None
        top_area = QWidget()
        top_layout = QVBoxLayout(top_area)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.top, 1)
        top_layout.addWidget(self.scrubber)
        self.outer = QSplitter(Qt.Orientation.Vertical)
        self.outer.addWidget(top_area)
        self.outer.addWidget(self.console)
        self.outer.setSizes([660, 200])
        for splitter in (self.top, self.outer):
            splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.outer)
        self._restore_splitters()

        self.interpreters = QComboBox()
        self.interpreters.setMinimumWidth(260)
        self.interpreters.setToolTip("The Python that runs the script (found for its folder)")
        self.interpreters.currentIndexChanged.connect(self._interpreter_chosen)
        self.install_button = QToolButton(text="Install tracer")
        self.install_button.setToolTip("pip install pyprobe-tracer into the chosen interpreter")
        self.install_button.clicked.connect(self.install_tracer)

        self.actions: dict[str, QAction] = {}
        specs = [
            ("open", "Open…", "Ctrl+O", self.choose_script, "Open a Python script"),
            (
                "open_recording",
                "Open recording…",
                "Ctrl+Shift+O",
                self.choose_recording,
                "Open a recording made with python -m pyprobe_tracer --record",
            ),
            ("run", "Run", "F5", self.run, "Run the script with its probes"),
            ("pause", "Pause", "Space", self.toggle_pause, "Hold the script / let it go on"),
            ("stop", "Stop", "Shift+F5", self.stop, "Stop the script"),
            ("loop", "Loop", "Ctrl+L", None, "Run the script again whenever it ends"),
            ("quit", "Quit", "Ctrl+Q", self.close, "Quit PyProbe"),
        ]
        for name, text, shortcut, slot, tip in specs:
            action = QAction(text, self)
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.setToolTip(f"{tip} ({shortcut})")
            if slot is None:
                action.setCheckable(True)
            else:
                action.triggered.connect(slot)
            self.addAction(action)
            self.actions[name] = action
        toolbar = self.addToolBar("Run")
        toolbar.setObjectName("runToolbar")
        toolbar.setMovable(False)
        toolbar.addAction(self.actions["open"])
        toolbar.addSeparator()
        toolbar.addWidget(QLabel(" Python: "))
        toolbar.addWidget(self.interpreters)
        self.install_action = toolbar.addWidget(self.install_button)
        self.install_action.setVisible(False)
        toolbar.addSeparator()
        for name in ("run", "pause", "stop", "loop"):
            toolbar.addAction(self.actions[name])
        menu = self.menuBar().addMenu("&File")
        menu.addAction(self.actions["open"])
        menu.addAction(self.actions["open_recording"])
        menu.addAction(self.actions["quit"])
        run_menu = self.menuBar().addMenu("&Run")
        for name in ("run", "pause", "stop", "loop"):
            run_menu.addAction(self.actions[name])

        self.status_interpreter = QLabel()
        self.status_state = QLabel()
        self.status_fps = QLabel()
        self.status_dropped = QLabel()
        for label in (self.status_interpreter, self.status_state, self.status_fps):
            self.statusBar().addWidget(label)
        self.statusBar().addPermanentWidget(self.status_dropped)
        self._update_actions()
        self._update_status()

    def _restore_splitters(self) -> None:
        for key, splitter in (("top", self.top), ("outer", self.outer)):
            sizes = self.settings.value(f"splitters/{key}")
            if sizes:
                splitter.setSizes([int(size) for size in sizes])

    # --- opening a script ----------------------------------------------------------

    def choose_script(self) -> None:
        start = str(self.script.parent) if self.script else str(Path.cwd())
        path, _ = QFileDialog.getOpenFileName(self, "Open a script", start, "Python (*.py)")
        if path:
            self.open_script(Path(path))

    def _open_from_tree(self, index) -> None:
        path = Path(self.files.filePath(index))
        if path.is_file() and path.suffix == ".py" and path != self.script:
            self.open_script(path)

    def open_script(self, path: Path, args: list[str] | None = None) -> bool:
        """Show ``path``, restore its probes from the sidecar, find its interpreters."""
        path = Path(path).resolve()
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.console.write(f"Cannot open {path}: {exc}\n", "stderr")
            return False
        if self.script is not None:
            self.save_sidecar()
            self._clear_probes()
        self.script = path
        self.script_args = list(args or [])
        self.settings.setValue("last_script", str(path))
        self.setWindowTitle(f"PyProbe — {path.name}")
        self._show_source(source)
        root = self.files.setRootPath(str(path.parent))
        self.tree.setRootIndex(root)
        self.tree.setCurrentIndex(self.files.index(str(path)))
        self._watch_file(path)
        self._restore_sidecar()
        self.refresh_interpreters()
        self._update_actions()
        return True

    def _show_source(self, source: str) -> None:
        self.source = source
        self.index = SourceIndex(source, self.script)
        self.code.show_source(source, self.index)
        if self.index.error:
            self.console.write(f"{self.script.name}: cannot parse, {self.index.error}\n", "stderr")
        self._update_marks()

    def _watch_file(self, path: Path) -> None:
        if not hasattr(self, "_watcher"):
            self._watcher = QFileSystemWatcher(self)
            self._watcher.fileChanged.connect(self._file_changed)
        if self._watcher.files():
            self._watcher.removePaths(self._watcher.files())
        self._watcher.addPath(str(path))

    def _file_changed(self, path: str) -> None:
        if self.script is None or Path(path) != self.script:
            return
        try:
            source = self.script.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return  # mid-write; the next change event brings the new text
        if str(self.script) not in self._watcher.files():
            self._watcher.addPath(str(self.script))  # editors replace the file
        if source == self.source:
            return
        self._show_source(source)
        before = {id(probe): probe.anchor for probe in self.store}
        moved = {
            before[id(probe)]: new
            for probe, new in self.store.relocate(self.index)
            if new is not None and new != before[id(probe)]
        }
        self.panels = {moved.get(anchor, anchor): panel for anchor, panel in self.panels.items()}
        self.watches = [moved.get(anchor, anchor) for anchor in self.watches]
        self._update_marks()
        self.save_sidecar()

    # --- recordings ---------------------------------------------------------------

    def choose_recording(self) -> None:
        start = str(self.script.parent) if self.script else str(Path.cwd())
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a recording", start, "PyProbe recordings (*.ppr);;All files (*)"
        )
        if path:
            self.open_recording(Path(path))

    def open_recording(self, path: Path) -> bool:
        """Show a recording: a panel for every probe in it, and the scrubber over its values."""
        try:
            timeline = Timeline.from_file(path)
        except (RecordingError, OSError) as exc:
            self.console.write(f"{exc}\n", "stderr")
            return False
        script = Path(timeline.script) if timeline.script else None
        if script is not None and script.is_file():
            self.open_script(script)
        self.save_state = False  # a recording's probes are not the script's own
        self._clear_probes()
        for anchor in timeline.anchors:
            site = self.index.find(anchor)
            occurrence = site.occurrence if site is not None else 1
            self.store.add(anchor, occurrence, self.index.line_text(anchor.line))
            self._add_panel(self.store.get(anchor))
        self._update_marks()
        self.timeline, self.recording = timeline, Path(path)
        self.setWindowTitle(f"PyProbe — {Path(path).name} (recording)")
        if timeline.truncated:
            self.console.write(f"{path}: {timeline.problem}\n", "stderr")
        self._set_state("recording")
        self.scrubber.show()
        self.scrubber.set_positions(timeline.positions)
        return True

    def _scrubbed(self, position: int) -> None:
        if self.timeline is None or (not self.scrubber.isVisible() and self.recording is None):
            return
        show_state(self.store, self.timeline, position)
        if self.recording is not None:  # a live run's console keeps everything
            self.console.clear()
            self.console.write(self.timeline.text_at(position), "stdout")
        self.refresh_panels()
        QTimer.singleShot(0, self.refresh_panels)  # panels laid out only now draw next
        self.console.flush()

    # --- probes and watches ---------------------------------------------------------

    def probe_spec_site(self, spec: str) -> ProbeSite:
        """The site of ``LINE:SYMBOL[:N]`` in the open script (ValueError if none)."""
        parts = spec.split(":")
        if len(parts) not in (2, 3) or not parts[0].isdigit():
            raise ValueError(f"probe {spec!r}: expected LINE:SYMBOL or LINE:SYMBOL:N")
        line, symbol = int(parts[0]), parts[1]
        number = int(parts[2]) if len(parts) == 3 else 1
        for site in self.index.on_line(line):
            if site.symbol == symbol and site.occurrence == number:
                return site
        names = ", ".join(dict.fromkeys(s.symbol for s in self.index.on_line(line))) or "none"
        raise ValueError(f"probe {spec!r}: no such name on line {line} (probeable: {names})")

    def toggle_probe(self, site: ProbeSite) -> None:
        anchor = site.anchor(self.script)
        if anchor in self.panels:
            self.remove_probe(anchor)
        else:
            self.add_probe(site)

    def add_probe(self, site: ProbeSite, color: str | None = None, lens: str | None = None):
        anchor = site.anchor(self.script)
        probe = self.store.get(anchor)
        if probe is None:
            probe = self.store.add(
                anchor, site.occurrence, self.index.line_text(site.line), color, lens
            )
            if self.runner is not None:
                self.runner.add_probe(anchor)
        self._add_panel(probe)
        self._update_marks()
        self.save_sidecar()
        return probe

    def _add_panel(self, probe) -> ProbePanel:
        panel = ProbePanel(probe)
        panel.close_requested.connect(self.remove_probe)
        panel.watch_requested.connect(lambda a: self.toggle_watch_anchor(a, True))
        panel.lens_chosen.connect(lambda *_: self.save_sidecar())
        self.panels[probe.anchor] = panel
        self.grid.add(panel)
        QTimer.singleShot(0, lambda: self.grid.ensureWidgetVisible(panel))
        return panel

    def remove_probe(self, anchor: ProbeAnchor) -> None:
        panel = self.panels.pop(anchor, None)
        if panel is not None:
            self.grid.remove(panel)
        self._forget_if_unused(anchor)
        self._update_marks()
        self.save_sidecar()

    def toggle_watch(self, site: ProbeSite) -> None:
        self.toggle_watch_anchor(site.anchor(self.script), None, site)

    def toggle_watch_anchor(self, anchor, on: bool | None = None, site=None) -> None:
        watched = anchor in self.watches
        if on is None:
            on = not watched
        if on and not watched:
            if self.store.get(anchor) is None:
                site = site or self.index.find(anchor)
                if site is None:
                    return
                self.store.add(anchor, site.occurrence, self.index.line_text(site.line))
                if self.runner is not None:
                    self.runner.add_probe(anchor)
            self.watches.append(anchor)
        elif not on and watched:
            self.watches.remove(anchor)
            self._forget_if_unused(anchor)
        self.watch_list.set_probes([self.store.get(a) for a in self.watches if self.store.get(a)])
        self._update_marks()
        self.save_sidecar()

    def _forget_if_unused(self, anchor: ProbeAnchor) -> None:
        if anchor in self.panels or anchor in self.watches:
            return
        if self.store.get(anchor) is not None:
            self.store.remove(anchor)
            if self.runner is not None:
                self.runner.remove_probe(anchor)

    def _clear_probes(self) -> None:
        for anchor in list(self.panels):
            self.grid.remove(self.panels.pop(anchor))
        self.watches = []
        for probe in list(self.store):
            self.store.remove(probe.anchor)
        self.watch_list.set_probes([])

    def _update_marks(self) -> None:
        marks = {}
        for probe in self.store:
            state = probe.state.name.lower()
            site = self.index.find(probe.anchor)
            if site is not None and probe.state is not ProbeState.INVALID:
                marks[(site.line, site.char_col)] = (probe.color, state)
            elif probe.state is ProbeState.INVALID:
                marks[(probe.anchor.line, -1)] = (probe.color, state)  # the gutter only
        self._marked_states = self._probe_states()
        self.code.set_marks(marks)

    def _probe_states(self) -> tuple:
        return tuple((probe.anchor, probe.state) for probe in self.store)

    # --- persistence --------------------------------------------------------------------

    def _restore_sidecar(self) -> None:
        saved, warning = sidecars.load(self.script)
        if warning:
            self.console.write(warning + "\n", "stderr")
        if saved is None:
            return
        for entry in saved.probes:
            site = self._saved_site(entry)
            if site is not None:
                self.add_probe(site, entry.color or None, entry.lens)
        for entry in saved.watches:
            site = self._saved_site(entry)
            if site is not None:
                self.toggle_watch_anchor(site.anchor(self.script), True, site)
        if self.panels:
            self.code.scroll_to_line(min(anchor.line for anchor in self.panels))
        sizes = saved.layout.get("splitters") if isinstance(saved.layout, dict) else None
        if isinstance(sizes, dict):
            for key, splitter in (("top", self.top), ("outer", self.outer)):
                if isinstance(sizes.get(key), list):
                    splitter.setSizes([int(size) for size in sizes[key]])

    def _saved_site(self, entry) -> ProbeSite | None:
        anchor = entry.anchor(self.script)
        site = self.index.find(anchor)
        if site is None:
            site = self.index.relocate(anchor, entry.occurrence, entry.line_text)
        if site is None:
            self.console.write(
                f"{self.script.name}: the saved probe {entry.symbol} on line {entry.line} no "
                "longer matches the file; it was not restored\n",
                "stderr",
            )
        return site

    def save_sidecar(self) -> None:
        if not self.save_state or self.script is None:
            return
        probes = [self.panels[a].probe for a in self.panels]
        watched = [self.store.get(a) for a in self.watches if self.store.get(a) is not None]
        layout = {"splitters": {"top": self.top.sizes(), "outer": self.outer.sizes()}}
        try:
            entry = sidecars.SidecarProbe.from_probe
            saved = sidecars.Sidecar(
                probes=tuple(entry(p) for p in probes),
                watches=tuple(entry(p) for p in watched),
                layout=layout,
            )
            sidecars.save(self.script, saved)
        except OSError as exc:
            self.console.write(
                f"Could not save the probes of {self.script.name}: {exc}\n", "stderr"
            )

    # --- interpreters -------------------------------------------------------------------

    def refresh_interpreters(self) -> None:
        """List the interpreters found for the script, found in a worker thread."""
        if self.python_override:
            self._show_interpreters(PythonDiscovery.candidates(self.script, self.python_override))
            return
        script = self.script

        def find() -> None:
            found = PythonDiscovery.candidates(script)
            self._from_workers.put((self._show_interpreters, (found,)))

        threading.Thread(target=find, name="pyprobe-discovery", daemon=True).start()

    def _show_interpreters(self, candidates) -> None:
        self.candidates = [c for c in candidates if c.usable]
        self.interpreters.blockSignals(True)
        self.interpreters.clear()
        for candidate in self.candidates:
            tracer = (
                f"tracer {candidate.tracer_version}" if candidate.tracer_version else "no tracer"
            )
            self.interpreters.addItem(
                f"Python {candidate.version} · {candidate.source} · {tracer}", candidate.path
            )
            self.interpreters.setItemData(
                self.interpreters.count() - 1, candidate.path, Qt.ItemDataRole.ToolTipRole
            )
        self.interpreters.blockSignals(False)
        if not self.candidates:
            self.interpreters.addItem("no Python found")
        self._interpreter_chosen()

    def chosen_candidate(self):
        index = self.interpreters.currentIndex()
        candidates = getattr(self, "candidates", [])
        return candidates[index] if 0 <= index < len(candidates) else None

    def _interpreter_chosen(self, *_args) -> None:
        candidate = self.chosen_candidate()
        missing = candidate is not None and candidate.tracer_version is None and not self.legacy_ipc
        self.install_action.setVisible(missing)
        self._update_status()

    def install_tracer(self) -> None:
        candidate = self.chosen_candidate()
        if candidate is None:
            return
        self.install_button.setEnabled(False)
        self.console.write(f"Installing pyprobe-tracer into {candidate.path}…\n", "info")

        def work() -> None:
            def line(text: str) -> None:
                self._from_workers.put((self.console.write, (text + "\n", "stdout")))

            try:
                code = install_tracer(candidate.path, on_output=line)
            except Exception as exc:  # shown, never fatal
                self._from_workers.put((self.console.write, (f"{exc}\n", "stderr")))
                code = 1
            self._from_workers.put((self._installed, (code,)))

        threading.Thread(target=work, name="pyprobe-install", daemon=True).start()

    def _installed(self, code: int) -> None:
        self.install_button.setEnabled(True)
        verdict = "installed" if code == 0 else f"failed (pip exit code {code})"
        self.console.write(f"pyprobe-tracer {verdict}\n", "info" if code == 0 else "stderr")
        self.refresh_interpreters()

    # --- running ------------------------------------------------------------------------

    def run(self) -> None:
        if self.script is None or self.runner is not None or self.recording is not None:
            return
        candidate = self.chosen_candidate()
        python = self.python_override or (candidate.path if candidate else None)
        self.store.reset_run()
        self.paused = False
        self._stopping = False
        runner = ScriptRunner(
            self.script,
            self.script_args,
            python=python,
            legacy_ipc=self.legacy_ipc,
            probes=[probe.anchor for probe in self.store if probe.state is not ProbeState.INVALID],
        )
        handler = MessageHandler(runner)
        handler.subscribe(self._on_values, *VALUE_TYPES, MessageType.DATA_DROPPED)
        handler.subscribe(self._on_output, MessageType.DATA_STDOUT, MessageType.DATA_STDERR)
        handler.subscribe(self._on_exception, MessageType.DATA_EXCEPTION)
        # the run's recent history, to scrub through when paused or after the end
        self.timeline = Timeline(budget_bytes=LIVE_HISTORY_BYTES)
        handler.subscribe(self.timeline.add)
        self.scrubber.hide()
        handler.on_event(self._on_event)
        self.runner, self.handler = runner, handler
        self.console.write(f"▶ {self.script.name} {' '.join(self.script_args)}\n", "info")
        self._set_state("starting")
        try:
            runner.start()
        except (FileNotFoundError, RuntimeError) as exc:
            self.console.write(f"{exc}\n", "stderr")
            self.runner = self.handler = None
            self._set_state("idle")
            return
        self.run_started.emit()

    def toggle_pause(self) -> None:
        if self.runner is None or self.run_state not in ("running", "paused"):
            return
        self.paused = not self.paused
        command = MessageType.CMD_PAUSE if self.paused else MessageType.CMD_RESUME
        self.runner.send_command(Message(command))
        self._set_state("paused" if self.paused else "running")
        if self.paused:
            self.handler.poll()  # what was already sent belongs to the history
            self._show_scrubber()
        else:
            self._back_to_live()

    def _show_scrubber(self) -> None:
        if self.timeline is not None and len(self.timeline):
            self.scrubber.set_positions(self.timeline.positions)
            self.scrubber.show()

    def _back_to_live(self) -> None:
        """Leave the scrubber: every probe shows its latest value again."""
        self.scrubber.play.setChecked(False)
        self.scrubber.hide()
        if self.timeline is not None and self.timeline.last_seq is not None:
            show_state(self.store, self.timeline, self.timeline.last_seq)

    def stop(self) -> None:
        """End the run without blocking the window: the child is stopped in a worker."""
        runner = self.runner
        if runner is None or self._stopping:
            return
        self._stopping = True
        self._set_state("stopping")
        threading.Thread(target=runner.stop, name="pyprobe-stop", daemon=True).start()

    def _on_values(self, message) -> None:
        self.store.ingest(message)

    def _on_output(self, message) -> None:
        stream = "stderr" if message.msg_type is MessageType.DATA_STDERR else "stdout"
        self.console.write(message.payload.get("text", ""), stream)

    def _on_exception(self, message) -> None:
        self.console.write(message.payload.get("traceback", ""), "stderr")

    def _on_event(self, event) -> None:
        if event.kind is RunEventKind.CONNECTED:
            self._set_state("paused" if self.paused else "running")
        elif event.kind in (RunEventKind.REFUSED, RunEventKind.NO_CONNECTION):
            self.console.write(event.message + "\n", "stderr")
        elif event.kind is RunEventKind.OUTPUT and self._show_process_output(event):
            self.console.write(event.message + "\n", event.stream or "stdout")
        elif event.kind is RunEventKind.ENDED:
            self._run_ended(event)

    def _show_process_output(self, event) -> bool:
        """Once the tracer is connected, what the script prints comes as messages and
        the process's own copy would double it: then only the tracer's own lines."""
        connected = self.runner is not None and self.runner.wait_connected(0)
        return not connected or event.message.startswith("pyprobe-tracer:")

    def _run_ended(self, event) -> None:
        runner = self.runner
        self.runner = self.handler = None
        self.last_exit_code = event.exit_code
        self.console.write(f"■ {event.message} ({event.outcome})\n", "info")
        self._set_state(event.outcome or "ended")
        if runner is not None and not self._stopping:
            threading.Thread(target=runner.stop, name="pyprobe-reap", daemon=True).start()
        self.paused = False
        self._show_scrubber()  # the run's history stays there to scrub through
        self.run_ended.emit(event)
        if self.actions["loop"].isChecked() and event.outcome == "finished":
            QTimer.singleShot(0, self.run)

    def _set_state(self, state: str) -> None:
        self.run_state = state
        self._update_actions()
        self._update_status()

    def _update_actions(self) -> None:
        running = self.runner is not None
        self.actions["run"].setEnabled(
            self.script is not None and not running and getattr(self, "recording", None) is None
        )
        self.actions["pause"].setEnabled(running and self.run_state in ("running", "paused"))
        self.actions["pause"].setText("Resume" if self.paused else "Pause")
        self.actions["stop"].setEnabled(running and not self._stopping)

    # --- the redraw tick ----------------------------------------------------------------

    def tick(self) -> None:
        while True:
            try:
                call, args = self._from_workers.get_nowait()
            except queue.Empty:
                break
            call(*args)
        if self.handler is not None:
            self.handler.poll()
        now = time.monotonic()
        self.store.mark_stale(now, self.run_state == "running")
        if self._probe_states() != getattr(self, "_marked_states", None):
            self._update_marks()
        drew = False
        if self.handler is not None or now - self._last_idle_refresh >= IDLE_REFRESH_S:
            self._last_idle_refresh = now
            drew = self.refresh_panels()
        if drew:
            self.frames_drawn += 1
        if now - self._last_watch_refresh >= WATCH_REFRESH_S:
            self._last_watch_refresh = now
            self.watch_list.refresh(now)
        self.console.flush()
        started, frames = self._fps_window
        if now - started >= 1.0:
            self.fps = (self.frames_drawn - frames) / (now - started)
            self._fps_window = (now, self.frames_drawn)
            self._update_status()

    def refresh_panels(self) -> bool:
        """Redraw the panels on screen that have something new; True if one drew."""
        drew = False
        for panel in self.panels.values():
            drew = panel.refresh(self.grid.on_screen(panel)) or drew
        return drew

    def _update_status(self) -> None:
        candidate = self.chosen_candidate()
        if self.legacy_ipc:
            interpreter = "legacy mode (this interpreter)"
        elif candidate is not None:
            tracer = candidate.tracer_version or "not installed"
            interpreter = f"Python {candidate.version} · tracer {tracer}"
        else:
            interpreter = "no interpreter"
        self.status_interpreter.setText(interpreter)
        self.status_state.setText(f"  {self.run_state}")
        self.status_fps.setText(f"  {self.fps:.0f} fps")
        dropped = getattr(self.store, "dropped_total", 0)
        history = ""
        timeline = getattr(self, "timeline", None)
        if timeline is not None and self.recording is None:
            used, budget = timeline.bytes_used / 2**20, LIVE_HISTORY_BYTES / 2**20
            history = f"history {used:.1f} of {budget:.0f} MiB · "
        self.status_dropped.setText(f"{history}dropped: {dropped}")

    # --- navigation and closing ---------------------------------------------------------

    def go_to(self, path: str, line: int) -> None:
        target = Path(path)
        if self.script is not None and target.resolve() != self.script:
            if not target.is_file():
                return
            self.open_script(target)
        self.code.go_to_line(line)

    def closeEvent(self, event) -> None:
        self.settings.setValue("splitters/top", self.top.sizes())
        self.settings.setValue("splitters/outer", self.outer.sizes())
        self.save_sidecar()
        if self.runner is not None:
            self.runner.stop()
        self._timer.stop()
        super().closeEvent(event)

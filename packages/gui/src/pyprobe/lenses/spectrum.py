"""Spectrum and waterfall lenses: the FFT of each new value, computed off the GUI thread.

The estimator (``spectrum_prep``) runs on one worker thread; numpy's FFT releases
the GIL, so a 2^20-point transform never holds up drawing. A lens submits the
newest value only when the previous one is done (values in between are skipped,
the next draw shows the latest), and draws the result on the tick after it is
ready. Settings changed meanwhile apply to the next transform.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QInputDialog, QWidget

from .base import Lens
from .prepare import minmax_decimate
from .spectrum_prep import AVERAGING, WINDOWS, Spectrum, SpectrumEstimator, Waterfall

log = logging.getLogger(__name__)

_WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pyprobe-spectrum")
FFT_SIZES = ("auto", "1024", "4096", "16384", "65536", "262144", "1048576")
DISPLAY_RANGE_DB = 160.0
RATES = ("auto", "1", "1000", "8000", "44100", "48000", "1e6", "custom…")


class SpectrumLens(Lens):
    name = "spectrum"

    def build(self) -> QWidget:
        self.plot = self.plot_widget()
        self.plot.setLabel("left", "power", units="dB")
        self.curve = self.plot.plot(pen=pg.mkPen(self.colour, width=1))
        self.hold_curve = self.plot.plot(
            pen=pg.mkPen("#6e7781", width=1, style=Qt.PenStyle.DashLine)
        )
        self.estimator = SpectrumEstimator()
        self.spectrum: Spectrum | None = None
        self._pending: Future | None = None
        self._settings: dict = {}
        return self.plot

    def update(self, probe, on_screen: bool = True) -> bool:
        drew = False
        if self._pending is not None and self._pending.done():
            future, self._pending = self._pending, None
            try:
                self.spectrum = future.result()
            except (ValueError, TypeError) as exc:
                log.info("no spectrum for %s: %s", probe.name, exc)
            else:
                self.show(self.spectrum)
                for plot in self.plots:
                    plot.getViewBox().prepareForPaint()  # one paint, not two
                drew = True
        fresh = probe.version != self._drawn_version and probe.latest is not None
        if fresh and on_screen and self._pending is None:
            self._drawn_version = probe.version
            for name, value in self._settings.items():
                setattr(self.estimator, name, value)
            self._settings = {}
            self._pending = _WORKER.submit(self.estimator.update, probe.latest)
        return drew

    def wait(self, timeout: float | None = None) -> None:
        """Block until the transform in flight is done (for tests and exports)."""
        if self._pending is not None:
            self._pending.exception(timeout)

    def show(self, spectrum: Spectrum) -> None:
        width = max(int(self.plot.getPlotItem().vb.width()), 100)
        self.curve.setData(*minmax_decimate(_shown(spectrum.db), width, spectrum.freqs))
        if spectrum.max_hold_db is not None:
            held = _shown(spectrum.max_hold_db)
            self.hold_curve.setData(*minmax_decimate(held, width, spectrum.freqs))
        else:
            self.hold_curve.setData([], [])
        unit = "cycles/sample" if spectrum.sample_rate == 1.0 else "Hz"
        self.plot.setLabel("bottom", "frequency", units=unit if unit == "Hz" else None)

    def options(self):
        e = self.estimator
        rate = "auto" if e.sample_rate is None else f"{e.sample_rate:g}"
        return [
            ("Window", list(WINDOWS), e.window),
            ("FFT size", list(FFT_SIZES), "auto" if e.fft_size is None else str(e.fft_size)),
            ("Averaging", list(AVERAGING), e.averaging),
            ("Max hold", ["off", "on"], "on" if e.max_hold else "off"),
            ("Sample rate", list(RATES), rate if rate in RATES else "custom…"),
        ]

    def set_option(self, label, choice):
        if label == "Window":
            self._settings["window"] = choice
        elif label == "FFT size":
            self._settings["fft_size"] = None if choice == "auto" else int(choice)
        elif label == "Averaging":
            self._settings["averaging"] = choice
        elif label == "Max hold":
            self._settings["max_hold"] = choice == "on"
        elif label == "Sample rate":
            if choice == "custom…":
                rate, ok = QInputDialog.getDouble(
                    self.widget, "Sample rate", "Samples per second:", 1000.0, 1e-9, 1e12, 3
                )
                if not ok:
                    return
            else:
                rate = None if choice == "auto" else float(choice)
            self._settings["sample_rate"] = rate
        self.redraw()


def _shown(db: np.ndarray) -> np.ndarray:
    """dB values as drawn: at most DISPLAY_RANGE_DB below the peak (an FFT's floor can
    sit hundreds of dB down, which would flatten everything worth seeing)."""
    finite = db[np.isfinite(db)]
    if finite.size == 0:
        return db
    return np.maximum(db, finite.max() - DISPLAY_RANGE_DB)


class WaterfallLens(SpectrumLens):
    """Spectrum over time: one row per new value, newest at the top."""

    name = "waterfall"

    def build(self) -> QWidget:
        widget = super().build()
        self.plot.removeItem(self.curve)
        self.plot.removeItem(self.hold_curve)
        self.plot.setLabel("left", "frame")
        self.image = pg.ImageItem()
        self.image.setColorMap(pg.colormap.get("viridis"))
        self.plot.addItem(self.image)
        self.waterfall = Waterfall(rows=200)
        return widget

    def show(self, spectrum: Spectrum) -> None:
        self.waterfall.push(spectrum)
        image = self.waterfall.image()
        finite = image[np.isfinite(image)]
        levels = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if levels[0] == levels[1]:
            levels = (levels[0] - 1.0, levels[1] + 1.0)
        self.image.setImage(image, levels=levels)
        self.image.setRect(*self.waterfall.rect())

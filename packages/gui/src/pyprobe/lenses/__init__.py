"""Lenses: how a probe panel draws its value. One module per lens; the numpy
preparation they share (decimation, density) is in ``prepare`` and needs no Qt."""

from .base import DEFAULT_LENS, Lens
from .constellation import ConstellationLens
from .scalar import ScalarLens
from .spectrum import SpectrumLens, WaterfallLens
from .waveform import MagnitudeDbLens, MagnitudePhaseLens, WaveformLens

LENSES: dict[str, type[Lens]] = {
    lens.name: lens
    for lens in (
        ScalarLens,
        WaveformLens,
        MagnitudePhaseLens,
        MagnitudeDbLens,
        SpectrumLens,
        WaterfallLens,
        ConstellationLens,
    )
}


def lens_for(dtype: str | None, chosen: str | None = None) -> type[Lens] | None:
    """The lens class for a value: the user's choice, else the default for its dtype
    (None when the dtype has nothing to draw, such as "unknown")."""
    if chosen in LENSES:
        return LENSES[chosen]
    name = DEFAULT_LENS.get(dtype or "")
    return LENSES.get(name) if name else None


__all__ = ["DEFAULT_LENS", "LENSES", "Lens", "lens_for"]

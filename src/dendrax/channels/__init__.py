"""Ion channels and spiking mechanisms: `AbstractChannel`, `AbstractSpiking` and
the built-in catalogue."""

from .adex import AdEx as AdEx
from .base import (
    AbstractChannel as AbstractChannel,
    AbstractSpiking as AbstractSpiking,
    SpikeDetector as SpikeDetector,
)
from .hh import HH as HH
from .izhikevich import Izhikevich as Izhikevich
from .k import K as K
from .leak import Leak as Leak
from .lif import LIF as LIF
from .na import Na as Na
from .passive import Passive as Passive

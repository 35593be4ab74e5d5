"""Ion channels and spiking mechanisms: `AbstractChannel`, `AbstractSpiking` and
the built-in catalogue."""

from .adex import AdEx as AdEx
from .base import (
    AbstractChannel as AbstractChannel,
    AbstractIonPool as AbstractIonPool,
    AbstractSpiking as AbstractSpiking,
    SpikeDetector as SpikeDetector,
)
from .bk import BK as BK
from .hh import HH as HH
from .ih import Ih as Ih
from .ions import nernst as nernst
from .izhikevich import Izhikevich as Izhikevich
from .k import K as K
from .leak import Leak as Leak
from .lif import LIF as LIF
from .mainen import (
    CaHVAMainen as CaHVAMainen,
    KMMainen as KMMainen,
    KvMainen as KvMainen,
    NaMainen as NaMainen,
    SKMainen as SKMainen,
)
from .na import Na as Na
from .passive import Passive as Passive
from .pool import CaPool as CaPool
from .pospischil import (
    CaLPospischil as CaLPospischil,
    CaTPospischil as CaTPospischil,
    KdPospischil as KdPospischil,
    KMPospischil as KMPospischil,
    NaPospischil as NaPospischil,
)
from .sources import (
    AbstractSource as AbstractSource,
    PoissonSource as PoissonSource,
    SpikeTrain as SpikeTrain,
)

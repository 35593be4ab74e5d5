"""Ion channels: `AbstractChannel` and the built-in catalogue."""

from .base import AbstractChannel as AbstractChannel
from .hh import HH as HH
from .k import K as K
from .leak import Leak as Leak
from .na import Na as Na
from .passive import Passive as Passive

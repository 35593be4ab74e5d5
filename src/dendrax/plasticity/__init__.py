"""Plasticity rules: `AbstractPlasticity`, `STDP`, `TsodyksMarkram`."""

from .base import AbstractPlasticity as AbstractPlasticity
from .stdp import STDP as STDP
from .tsodyks_markram import TsodyksMarkram as TsodyksMarkram

"""Synapse models: `AbstractSynapse` and the built-in catalogue."""

from .base import AbstractSynapse as AbstractSynapse
from .ionotropic import Ionotropic as Ionotropic
from .tanh_rate import TanhRate as TanhRate

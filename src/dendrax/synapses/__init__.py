"""Synapse models: graded (`AbstractSynapse`) and spike-driven
(`AbstractEventSynapse`), with the built-in catalogue."""

from .alpha import Alpha as Alpha
from .base import AbstractSynapse as AbstractSynapse
from .dual_exp import AMPA as AMPA, GABA_A as GABA_A, DualExp as DualExp
from .event import AbstractEventSynapse as AbstractEventSynapse
from .exp import Exp as Exp, ExpCurrent as ExpCurrent
from .gap import GapJunction as GapJunction
from .ionotropic import Ionotropic as Ionotropic
from .tanh_rate import TanhRate as TanhRate

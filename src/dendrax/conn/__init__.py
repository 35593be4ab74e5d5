"""Connectivity rules (pure samplers of (pre cell, post cell) pairs) and weight
layouts."""

from .all_to_all import AllToAll as AllToAll
from .base import AbstractRule as AbstractRule
from .bernoulli import Bernoulli as Bernoulli
from .delivery import (
    AbstractDelivery as AbstractDelivery,
    Dense as Dense,
    EventDriven as EventDriven,
    Segment as Segment,
)
from .fixed_degree import (
    FixedInDegree as FixedInDegree,
    FixedOutDegree as FixedOutDegree,
)
from .from_ids import FromIds as FromIds
from .from_matrix import (
    FromMatrix as FromMatrix,
    from_matrix as from_matrix,
    to_csr as to_csr,
    to_matrix as to_matrix,
)
from .gaussian_prob import GaussianProb as GaussianProb
from .init import Init as Init
from .one_to_one import OneToOne as OneToOne

"""Connectivity rules: pure samplers of (pre cell, post cell) pairs."""

from .all_to_all import AllToAll as AllToAll
from .base import AbstractRule as AbstractRule
from .bernoulli import Bernoulli as Bernoulli
from .from_ids import FromIds as FromIds
from .one_to_one import OneToOne as OneToOne

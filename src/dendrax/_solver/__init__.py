from ._tree import tree_solve as tree_solve
from .base import (
    AbstractSolver as AbstractSolver,
    CrankNicolson as CrankNicolson,
    ImplicitEuler as ImplicitEuler,
)

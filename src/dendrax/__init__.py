"""dendrax: networks of neurons as immutable JAX PyTrees."""

from . import (
    channels as channels,
    conn as conn,
    plasticity as plasticity,
    synapses as synapses,
)
from ._connect import connect as connect
from ._geometry import DLambda as DLambda
from ._inputs import (
    Rate as Rate,
    SpikeRaster as SpikeRaster,
    SpikeTimes as SpikeTimes,
)
from ._morphio import read_morphology as read_morphology
from ._morphology import (
    Branch as Branch,
    Cell as Cell,
    Compartment as Compartment,
)
from ._network import (
    CableGeometry as CableGeometry,
    Network as Network,
    add_group as add_group,
    cable_geometry as cable_geometry,
    get as get,
    insert as insert,
    set as set,
)
from ._param import Param as Param, is_param as is_param
from ._record import Columns as Columns, Record as Record, spike_times as spike_times
from ._select import (
    Selection as Selection,
    Table as Table,
    edge_table as edge_table,
    node_table as node_table,
    select as select,
    to_pandas as to_pandas,
)
from ._serialise import load as load, save as save
from ._share import make_trainable as make_trainable, share as share
from ._simulate import (
    Solution as Solution,
    fastest_time_constant as fastest_time_constant,
    simulate as simulate,
)
from ._solver import (
    AbstractSolver as AbstractSolver,
    CrankNicolson as CrankNicolson,
    ImplicitEuler as ImplicitEuler,
)
from ._spike import heaviside as heaviside
from ._state import State as State, init_state as init_state
from ._step import step as step
from ._stimulus import (
    Stimulus as Stimulus,
    VoltageClamp as VoltageClamp,
    n_steps as n_steps,
    step_current as step_current,
    stimulus_times as stimulus_times,
)
from ._swc import read_swc as read_swc
from ._trainable import (
    combine as combine,
    is_trainable as is_trainable,
    n_trainable as n_trainable,
    partition as partition,
)
from ._transform import (
    AbstractTransform as AbstractTransform,
    Exp as Exp,
    Identity as Identity,
    Sigmoid as Sigmoid,
    Softplus as Softplus,
)

__version__ = "0.1.0"


def __getattr__(name: str):
    # `dx.plot` without importing matplotlib at `import dendrax` time.
    if name == "plot":
        import importlib

        return importlib.import_module(".plot", __name__)
    raise AttributeError(f"module 'dendrax' has no attribute {name!r}")

import jax
import pytest

jax.config.update("jax_enable_x64", True)


@pytest.fixture
def getkey():
    keys = iter(jax.random.split(jax.random.key(0), 1000))
    return lambda: next(keys)


@pytest.fixture(autouse=True, scope="module")
def _drop_compiled_programs():
    """Drop each test module's compiled programs after it. One process holding
    every program of the suite maps more memory regions than the kernel allows
    (vm.max_map_count, 65530 by default: the count passed 48 000 at two thirds
    of the suite), and XLA then aborts while compiling."""
    yield
    jax.clear_caches()

import numpy as np
import pytest

import dendrax as dx

POINT_SOMA = """\
# one-point soma with a basal and an apical process
1 1   0 0 0 5.0 -1
2 3  10 0 0 1.0  1
3 3  30 0 0 1.0  2
4 4 -10 0 0 1.0  1
5 4 -40 0 0 0.5  4
"""


def test_point_soma_becomes_cylinder_with_sphere_area(tmp_path):
    path = tmp_path / "point.swc"
    path.write_text(POINT_SOMA)
    cell = dx.read_swc(path, ncomp=1)
    groups = dict(cell.groups)
    assert groups["soma"] == (0, 1)
    # Both processes attach at the soma centre (the root), i.e. x = 0 of branch 0.
    assert cell.parents == (-1, 0, 0, 0)
    assert cell.attach[1:] == (0.0, 0.0, 0.0)
    net = dx.Network(cell)
    soma = dx.select(net, group="soma").indices
    length = np.asarray(net.nodes.length.values())[soma]
    radius = np.asarray(net.nodes.radius.values())[soma]
    np.testing.assert_allclose((2 * np.pi * radius * length).sum(), 4 * np.pi * 5.0**2)
    np.testing.assert_allclose(cell.branches[2].comps[0].length, 30.0)


def test_swc_errors(tmp_path):
    bad = tmp_path / "bad.swc"
    bad.write_text("1 1 0 0 0 1\n")
    with pytest.raises(ValueError, match="7"):
        dx.read_swc(bad, ncomp=1)
    bad.write_text("1 1 0 0 0 1 -1\n2 3 1 0 0 1 -1\n")
    with pytest.raises(ValueError, match="root"):
        dx.read_swc(bad, ncomp=1)
    bad.write_text("1 1 0 0 0 1 -1\n2 3 1 0 0 1 7\n")
    with pytest.raises(ValueError, match="parent id"):
        dx.read_swc(bad, ncomp=1)
    with pytest.raises(ValueError, match="ncomp"):
        dx.read_swc(bad, ncomp=0)

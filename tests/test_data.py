"""Procedural data: Shapes and the out-of-distribution shapes+ (Duff et al. §5)."""
import torch

from genprior_demo.data import make_shapes, shapes_plus


def test_shapes_plus_adds_a_bright_spot_inside_the_circle_only():
    x = make_shapes(6, seed=3)
    xp = shapes_plus(x, seed=1)
    assert xp.shape == x.shape and not torch.equal(x, make_shapes(6, seed=4))
    changed = (xp != x)
    assert torch.equal(x, make_shapes(6, seed=3)), "the input is not modified in place"
    for i in range(len(x)):
        assert changed[i].any(), "every image gets a spot"
        assert (xp[i][changed[i]] == 1.0).all()
        assert (x[i][changed[i]] > 0).all(), "the spot lies inside a shape, not on the background"


def test_missing_mnist_says_to_pass_data_root(tmp_path):
    """No MNIST under the root and no download: the error names the folder and the option to pass (the CLI
    prints it), not only torchvision's download failure."""
    import pytest

    from genprior_demo.data import load_mnist

    with pytest.raises(RuntimeError, match=r"--data-root") as e:
        load_mnist(tmp_path, train=False, download=False)
    assert str(tmp_path) in str(e.value)

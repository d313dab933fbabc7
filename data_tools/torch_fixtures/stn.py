"""Reference values for chapter 09's affine grid and bilinear sampler (spatial transformer).

    /usr/bin/python3 data_tools/torch_fixtures/stn.py      (or make_torch_fixtures.py for all)

F.affine_grid(theta, size, align_corners=False) followed by
F.grid_sample(inp, grid, mode='bilinear', padding_mode='zeros', align_corners=False), and a fixed random
linear loss L = Σ out ⊙ R whose gradients w.r.t. the input image, the grid and theta are recorded.
Inputs are drawn in float32 (so the C++ test reads exactly the same numbers) and computed in float64.

Two cases, B=2, C=2, input 7x9:
  a: output 5x6 (smaller than the input); theta[0] = identity + small noise, theta[1] = a rotation by
     0.5 rad scaled by 0.8 and shifted, so part of the grid falls outside the image.
  b: output 9x11 (larger than the input); theta[0] = a zoom into a window (s = 0.5, attention crop),
     theta[1] = a zoom out (s = 1.4) with a rotation, so many sample points are outside.
"""
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_io import write_fixture  # noqa: E402


def rand(*shape):
    return (torch.rand(*shape, dtype=torch.float32) * 2 - 1).double()


def f32(t):
    return t.float().double()


def rot(angle, scale, tx, ty):
    c, s = math.cos(angle) * scale, math.sin(angle) * scale
    return torch.tensor([[c, -s, tx], [s, c, ty]], dtype=torch.float64)


def case(fx, name, theta, H_out, W_out, keep_grid):
    B, C, H_in, W_in = 2, 2, 7, 9
    theta = f32(theta).clone().requires_grad_(True)
    inp = rand(B, C, H_in, W_in).requires_grad_(True)
    grid = F.affine_grid(theta, (B, C, H_out, W_out), align_corners=False)
    grid.retain_grad()
    out = F.grid_sample(inp, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    # The C++ side computes in float: keep every sample point clear of the kinks at integer pixel
    # coordinates, where float rounding could pick other neighbours and so another gradient.
    g = grid.detach()
    ix = ((g[..., 0] + 1) * W_in - 1) / 2
    iy = ((g[..., 1] + 1) * H_in - 1) / 2
    for v in (ix, iy):
        d = (v - v.round()).abs().min().item()
        assert d > 1e-4, "%s: a sample point is %g from an integer pixel coordinate" % (name, d)
    R = rand(*out.shape)
    (out * R).sum().backward()
    fx.update({name + ".theta": theta, name + ".inp": inp, name + ".out": out, name + ".R": R,
               name + ".dinp": inp.grad, name + ".dtheta": theta.grad})
    if keep_grid:  # the grid and its gradient too (only for case a, to keep the file small)
        fx.update({name + ".grid": grid, name + ".dgrid": grid.grad})


def main(out_dir):
    torch.manual_seed(909)
    fx = {}
    eye = torch.tensor([[1.0, 0, 0], [0, 1.0, 0]], dtype=torch.float64)
    theta_a = torch.stack([eye + 0.1 * rand(2, 3), rot(0.5, 0.8, 0.3, -0.2) + 0.05 * rand(2, 3)])
    case(fx, "a", theta_a, 5, 6, True)
    theta_b = torch.stack([rot(0.0, 0.5, 0.27, -0.3) + 0.02 * rand(2, 3), rot(-0.4, 1.4, 0.1, 0.15) + 0.02 * rand(2, 3)])
    case(fx, "b", theta_b, 9, 11, False)
    write_fixture(os.path.join(out_dir, "stn.txt"), fx,
                  comment="made by data_tools/torch_fixtures/stn.py (torch %s, float64 from float32 inputs)\n"
                          "affine_grid + grid_sample(bilinear, zeros, align_corners=False); L = sum(out * R)\n"
                          "case a: B=2 C=2 input 7x9 output 5x6; case b: output 9x11" % torch.__version__)


if __name__ == "__main__":
    main(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures"))

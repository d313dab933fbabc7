"""Reference values for chapter 11's blocks (chapters/11_attention_in_cnns/) and common/nn/batchnorm2d:
batch norm, a squeeze-and-excitation block and a CBAM block, written as small torch modules.

    /usr/bin/python3 data_tools/torch_fixtures/cnn_attention.py    (or make_torch_fixtures.py for all)

Writes tests/fixtures/cnn_attention.txt, read by tests/11_attention_in_cnns/test_torch_blocks.cpp.
Inputs and weights are drawn in float32 (so the C++ test reads exactly the same numbers) and computed
in float64. Gradients are of L = Σ out ⊙ R, R a fixed random upstream gradient.

  bn_    nn.BatchNorm2d(4) (momentum 0.1, eps 1e-5) on x (3,4,5,5): the training-mode output, the
         running mean / variance after that one step (PyTorch keeps the UNBIASED variance there),
         the evaluation-mode output with them, and the training-mode gradients of x, weight, bias.
  se_    SE on x (2,8,5,5), reduction 4 (8 -> 2 -> 8), Hu et al. 2018:
             s = mean_hw x;  e = sigmoid(fc2(relu(fc1(s))));  out = e * x
  cbam_  CBAM on x (2,8,6,6), the shared MLP 8 -> 2 -> 8 and a 7x7 spatial conv with bias (the
         paper's equations; its code adds a batch norm after that conv, which we leave out):
             Mc = sigmoid(mlp(avgpool(x)) + mlp(maxpool(x)));  x1 = Mc * x
             Ms = sigmoid(conv7x7([mean_c x1; max_c x1]));    out = Ms * x1
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_io import write_fixture  # noqa: E402


def rand(*shape, lo=-1.0, hi=1.0):
    return (torch.rand(*shape, dtype=torch.float32) * (hi - lo) + lo).double()


class SE(nn.Module):
    def __init__(self, C, Cr):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(C, Cr), nn.Linear(Cr, C)

    def forward(self, x):
        e = torch.sigmoid(self.fc2(F.relu(self.fc1(x.mean(dim=(2, 3))))))
        return e[:, :, None, None] * x, e


class CBAM(nn.Module):
    def __init__(self, C, Cr, k=7):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(C, Cr), nn.Linear(Cr, C)
        self.spatial = nn.Conv2d(2, 1, k, padding=k // 2)

    def mlp(self, v):
        return self.fc2(F.relu(self.fc1(v)))

    def forward(self, x):
        mc = torch.sigmoid(self.mlp(x.mean(dim=(2, 3))) + self.mlp(x.amax(dim=(2, 3))))
        x1 = mc[:, :, None, None] * x
        d = torch.cat([x1.mean(dim=1, keepdim=True), x1.amax(dim=1, keepdim=True)], dim=1)
        ms = torch.sigmoid(self.spatial(d))
        return ms * x1, mc, ms


def set_params(module, t, prefix):
    """Weights drawn in float32 (biases too: PyTorch's zero-free defaults would test nothing new)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            fan_in = p.shape[1] * (p[0, 0].numel() if p.dim() > 2 else 1) if p.dim() > 1 else p.shape[0]
            p.copy_(rand(*p.shape) * (1.5 / fan_in ** 0.5))
            if name == "fc1.bias":  # positive: keep both bottleneck relus alive, so every weight is tested
                p.copy_(rand(*p.shape, lo=0.1, hi=0.5))
            t[prefix + "p." + name] = p.detach().clone()


def grads(module, t, prefix):
    for name, p in module.named_parameters():
        t[prefix + "d." + name] = p.grad.detach().clone()


def main(out_dir):
    torch.manual_seed(1111)
    t = {}

    # batch norm
    bn = nn.BatchNorm2d(4, momentum=0.1, eps=1e-5).double()
    with torch.no_grad():
        bn.weight.copy_(rand(4, lo=0.5, hi=1.5))
        bn.bias.copy_(rand(4))
    x = (rand(3, 4, 5, 5) * 2 + 0.5).requires_grad_()
    R = rand(3, 4, 5, 5)
    t["bn_x"], t["bn_weight"], t["bn_bias"], t["bn_R"] = x.detach(), bn.weight.detach().clone(), bn.bias.detach().clone(), R
    bn.train()
    out = bn(x)
    (out * R).sum().backward()
    t["bn_out"], t["bn_dx"], t["bn_dweight"], t["bn_dbias"] = out, x.grad, bn.weight.grad, bn.bias.grad
    t["bn_running_mean"], t["bn_running_var"] = bn.running_mean.clone(), bn.running_var.clone()
    bn.eval()
    with torch.no_grad():
        t["bn_eval_out"] = bn(x)

    # squeeze-and-excitation
    se = SE(8, 2).double()
    set_params(se, t, "se_")
    x = rand(2, 8, 5, 5).requires_grad_()
    R = rand(2, 8, 5, 5)
    out, e = se(x)
    (out * R).sum().backward()
    t["se_x"], t["se_R"], t["se_out"], t["se_e"], t["se_dx"] = x.detach(), R, out, e, x.grad
    grads(se, t, "se_")

    # CBAM
    cb = CBAM(8, 2, 7).double()
    set_params(cb, t, "cbam_")
    x = rand(2, 8, 6, 6).requires_grad_()
    R = rand(2, 8, 6, 6)
    out, mc, ms = cb(x)
    (out * R).sum().backward()
    t["cbam_x"], t["cbam_R"], t["cbam_out"], t["cbam_mc"], t["cbam_ms"], t["cbam_dx"] = x.detach(), R, out, mc, ms, x.grad
    grads(cb, t, "cbam_")

    write_fixture(os.path.join(out_dir, "cnn_attention.txt"), t,
                  "chapter 11 batch norm, SE and CBAM vs PyTorch (data_tools/torch_fixtures/cnn_attention.py)\n"
                  "torch " + torch.__version__)


if __name__ == "__main__":
    main(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures"))

"""Reference values for common/nn/layernorm, common/nn/cross_entropy, common/nn/softmax (log-softmax)
and common/nn/activations (GELU, tanh approximation), from PyTorch.

    /usr/bin/python3 data_tools/make_torch_fixtures.py      (or: cd data_tools/torch_fixtures && python3 -c
                                                             'import norm_loss; norm_loss.main("../../tests/fixtures")')
Writes tests/fixtures/norm_loss.txt, read by tests/common/test_layernorm.cpp, test_cross_entropy.cpp,
test_softmax.cpp and test_activations.cpp. Gradients are of L = sum(out * R) with R a fixed random
"upstream gradient", exactly as the C++ gradient checks do.
"""
import os

import torch
import torch.nn.functional as F

from fixture_io import write_fixture


def main(out_dir):
    torch.manual_seed(1234)
    t = {}

    # ---- layer norm: N=4 rows, C=6 features, eps 1e-5 -----------------------------------
    N, C = 4, 6
    x = (torch.randn(N, C) * 2 + 0.5).requires_grad_()
    gamma = (torch.randn(C) * 0.5 + 1).requires_grad_()
    beta = (torch.randn(C) * 0.5).requires_grad_()
    R = torch.randn(N, C)
    out = F.layer_norm(x, (C,), gamma, beta, eps=1e-5)
    (out * R).sum().backward()
    t.update(ln_x=x, ln_gamma=gamma, ln_beta=beta, ln_R=R, ln_out=out, ln_dx=x.grad,
             ln_dgamma=gamma.grad, ln_dbeta=beta.grad)

    # ---- cross-entropy: 7 rows, V=5, ignore_index=0 (padding), label smoothing 0.1 ----------
    rows, V = 7, 5
    logits = (torch.randn(rows, V) * 2).requires_grad_()
    targets = torch.tensor([3, 0, 1, 4, 0, 2, 1])  # rows 1 and 4 are padding
    loss = F.cross_entropy(logits, targets, ignore_index=0, label_smoothing=0.1)
    loss.backward()
    t.update(ce_logits=logits, ce_targets=targets.double(), ce_loss=loss.reshape(1), ce_dlogits=logits.grad)
    # the same with per-row sample weights: sum_i w_i loss_i / sum_i w_i over non-ignored rows
    logits2 = logits.detach().clone().requires_grad_()
    w = torch.rand(rows) + 0.5
    per_row = F.cross_entropy(logits2, targets, ignore_index=0, label_smoothing=0.1, reduction="none")
    keep = (targets != 0).double()
    wloss = (w * per_row).sum() / (w * keep).sum()
    wloss.backward()
    t.update(ce_weights=w, ce_row_losses=per_row, ce_wloss=wloss.reshape(1), ce_wdlogits=logits2.grad)

    # ---- log-softmax: 3 rows of 7, one with large scores (stability) ------------------------
    ls_x = torch.randn(3, 7) * 3
    ls_x[2] += 80.0  # exp(80+) overflows float: a naive log(sum(exp)) would give inf
    ls_x.requires_grad_()
    ls_R = torch.randn(3, 7)
    ls_out = F.log_softmax(ls_x, dim=1)
    (ls_out * ls_R).sum().backward()
    t.update(ls_x=ls_x, ls_R=ls_R, ls_out=ls_out, ls_dx=ls_x.grad)

    # ---- GELU, tanh approximation (GPT-2 / approximate='tanh') ------------------------------
    g_x = torch.linspace(-5, 5, 21).requires_grad_()
    g_R = torch.randn(21)
    g_out = F.gelu(g_x, approximate="tanh")
    (g_out * g_R).sum().backward()
    t.update(gelu_x=g_x, gelu_R=g_R, gelu_out=g_out, gelu_dx=g_x.grad)

    write_fixture(os.path.join(out_dir, "norm_loss.txt"), t,
                  comment="PyTorch %s reference values: layer norm, cross-entropy (ignore_index=0,\n"
                          "label_smoothing=0.1, optional per-row weights), log-softmax, GELU (tanh).\n"
                          "Made by data_tools/torch_fixtures/norm_loss.py" % torch.__version__)


if __name__ == "__main__":
    main(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures"))

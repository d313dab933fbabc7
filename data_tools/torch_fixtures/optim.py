"""Reference values for common/nn/optim.cpp: torch.optim.SGD / Adam / AdamW steps and clip_grad_norm_.

    /usr/bin/python3 data_tools/torch_fixtures/optim.py    -> tests/fixtures/optim.txt

Two parameters, w (3, 4) and b (5,), start from fixed random values; each step uses a fresh random
gradient (g<k>.w, g<k>.b for k = 1, 2, 3). We record the parameters after step 1 and step 3 and the
optimiser state after step 3. Hyperparameters are below; test_optim.cpp uses the same.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_io import write_fixture  # noqa: E402

LR, BETAS, EPS, WD = 0.01, (0.9, 0.999), 1e-8, 0.1
SGD_LR, SGD_MOMENTUM, SGD_WD = 0.1, 0.9, 0.01
MAX_NORM = 1.0


def run(make_opt, w0, b0, grads):
    w = w0.clone().requires_grad_(True)
    b = b0.clone().requires_grad_(True)
    opt = make_opt([w, b])
    out = {}
    for k, (gw, gb) in enumerate(grads, start=1):
        w.grad = gw.clone()
        b.grad = gb.clone()
        opt.step()
        if k in (1, 3):
            out["step%d.w" % k] = w.detach().clone()
            out["step%d.b" % k] = b.detach().clone()
    return out, opt, (w, b)


def main(out_dir):
    g = torch.Generator().manual_seed(1234)
    w0 = torch.randn(3, 4, generator=g, dtype=torch.float32)
    b0 = torch.randn(5, generator=g, dtype=torch.float32)
    grads = [(torch.randn(3, 4, generator=g), torch.randn(5, generator=g) * 0.1) for _ in range(3)]

    t = {"w0": w0, "b0": b0}
    for k, (gw, gb) in enumerate(grads, start=1):
        t["g%d.w" % k] = gw
        t["g%d.b" % k] = gb

    for name, make in [
        ("adam", lambda p: torch.optim.Adam(p, lr=LR, betas=BETAS, eps=EPS, weight_decay=WD)),
        ("adamw", lambda p: torch.optim.AdamW(p, lr=LR, betas=BETAS, eps=EPS, weight_decay=WD)),
        ("sgd", lambda p: torch.optim.SGD(p, lr=SGD_LR, momentum=SGD_MOMENTUM, weight_decay=SGD_WD)),
    ]:
        out, opt, (w, b) = run(make, w0, b0, grads)
        for k, v in out.items():
            t["%s.%s" % (name, k)] = v
        if name != "sgd":
            t[name + ".m.w"] = opt.state[w]["exp_avg"]
            t[name + ".v.w"] = opt.state[w]["exp_avg_sq"]

    # clip_grad_norm_: the norm of all gradients together, then the clipped gradients
    w = w0.clone().requires_grad_(True)
    b = b0.clone().requires_grad_(True)
    w.grad, b.grad = grads[0][0].clone(), grads[0][1].clone()
    norm = torch.nn.utils.clip_grad_norm_([w, b], MAX_NORM)
    t["clip.norm"] = norm.reshape(1)
    t["clip.w"] = w.grad
    t["clip.b"] = b.grad

    write_fixture(os.path.join(out_dir, "optim.txt"), t,
                  comment="torch %s: Adam/AdamW lr=%g betas=%s eps=%g wd=%g; SGD lr=%g momentum=%g wd=%g; clip %g"
                  % (torch.__version__, LR, BETAS, EPS, WD, SGD_LR, SGD_MOMENTUM, SGD_WD, MAX_NORM))


if __name__ == "__main__":
    main(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures"))

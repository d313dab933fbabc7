"""Reference values for common/nn/conv2d, pool2d, gru, lstm and the bidirectional wrappers.

    /usr/bin/python3 data_tools/torch_fixtures/conv_rnn.py      (or make_torch_fixtures.py for all)

Every case: inputs and weights drawn in float32 (so the C++ test reads exactly the same numbers),
computed in float64, and a fixed random linear loss L = Σ out ⊙ R (+ Σ h_n ⊙ R_h ...) whose
gradients w.r.t. the inputs, initial states and every weight are recorded. Mixed, unsorted
lengths go through pack_padded_sequence(enforce_sorted=False), as a real padded batch would.
"""
import os
import sys

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_io import write_fixture  # noqa: E402


def rand(*shape):
    return (torch.rand(*shape, dtype=torch.float32) * 2 - 1).double()


def leaf(t):
    return t.clone().requires_grad_(True)


def conv_pool(fx):
    B, C_in, H, W, C_out, K = 2, 2, 5, 6, 3, 3
    x, w, b = leaf(rand(B, C_in, H, W)), leaf(rand(C_out, C_in, K, K)), leaf(rand(C_out))
    out = torch.nn.functional.conv2d(x, w, b, stride=2, padding=1)
    R = rand(*out.shape)
    (out * R).sum().backward()
    fx.update({"conv.x": x, "conv.W": w, "conv.b": b, "conv.R": R, "conv.out": out,
               "conv.dx": x.grad, "conv.dW": w.grad, "conv.db": b.grad})
    # pooling on a (1,2,7,6) input: max 2x2 stride 2, average 3x3 stride 2 (overlapping windows)
    xp = leaf(rand(1, 2, 7, 6))
    mp = torch.nn.functional.max_pool2d(xp, 2, 2)
    ap = torch.nn.functional.avg_pool2d(xp, 3, 2)
    Rm, Ra = rand(*mp.shape), rand(*ap.shape)
    ((mp * Rm).sum() + (ap * Ra).sum()).backward()
    fx.update({"pool.x": xp, "pool.max": mp, "pool.avg": ap, "pool.Rmax": Rm, "pool.Ravg": Ra,
               "pool.dx": xp.grad})


def rnn_case(fx, name, kind, bidirectional):
    B, T, C, H = 3, 4, 3, 2
    lengths = [2, 4, 1]  # unsorted, with a full-length row and a single-step row
    D = 2 if bidirectional else 1
    cls = torch.nn.GRU if kind == "gru" else torch.nn.LSTM
    rnn = cls(C, H, batch_first=True, bidirectional=bidirectional).double()
    with torch.no_grad():
        for p in rnn.parameters():
            p.copy_(rand(*p.shape))
    x, h0 = leaf(rand(B, T, C)), leaf(rand(D, B, H))
    packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
    if kind == "gru":
        out_p, hn = rnn(packed, h0)
    else:
        c0 = leaf(rand(D, B, H))
        out_p, (hn, cn) = rnn(packed, (h0, c0))
    out, _ = pad_packed_sequence(out_p, batch_first=True, total_length=T)
    R, Rh = rand(*out.shape), rand(*hn.shape)
    loss = (out * R).sum() + (hn * Rh).sum()
    if kind == "lstm":
        Rc = rand(*cn.shape)
        loss = loss + (cn * Rc).sum()
    loss.backward()
    t = {"lengths": torch.tensor(lengths, dtype=torch.float64), "x": x, "h0": h0, "R": R, "Rh": Rh,
         "out": out, "hn": hn, "dx": x.grad, "dh0": h0.grad}
    if kind == "lstm":
        t.update({"c0": c0, "Rc": Rc, "cn": cn, "dc0": c0.grad})
    for d, suffix in enumerate(["_l0", "_l0_reverse"][:D]):
        tag = ("fwd." if bidirectional and d == 0 else "bwd." if bidirectional else "")
        for ours, theirs in [("W_ih", "weight_ih"), ("W_hh", "weight_hh"), ("b_ih", "bias_ih"), ("b_hh", "bias_hh")]:
            p = getattr(rnn, theirs + suffix)
            t[tag + ours] = p
            t["d" + tag + ours] = p.grad
    fx.update({name + "." + k: v for k, v in t.items()})


def main(out_dir):
    torch.manual_seed(1234)
    fx = {}
    conv_pool(fx)
    rnn_case(fx, "gru", "gru", False)
    rnn_case(fx, "bigru", "gru", True)
    rnn_case(fx, "lstm", "lstm", False)
    rnn_case(fx, "bilstm", "lstm", True)
    write_fixture(os.path.join(out_dir, "conv_rnn.txt"), fx,
                  comment="made by data_tools/torch_fixtures/conv_rnn.py (torch %s, float64 from float32 inputs)\n"
                          "conv: stride 2, padding 1; rnn: B=3, T=4, C=3, H=2, lengths 2,4,1, batch_first"
                          % torch.__version__)


if __name__ == "__main__":
    main(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures"))

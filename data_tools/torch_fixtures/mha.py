"""Reference values for chapter 06's multi-head attention (chapters/06_self_attention/), from
PyTorch's nn.MultiheadAttention (batch_first, dropout 0), with a padding mask and a causal mask.

    /usr/bin/python3 data_tools/make_torch_fixtures.py      (or: cd data_tools/torch_fixtures && python3 -c
                                                             'import mha; mha.main("../../tests/fixtures")')
Writes tests/fixtures/mha.txt, read by tests/06_self_attention/test_attention.cpp. Three cases:
  self    B=2, T=5, C=8, NH=2, valid lengths [5, 3] (key_padding_mask)
  causal  the same x and weights, plus the causal mask (query i sees keys j <= i)
  cross   queries (2, 4, 8) attend to keys/values (2, 6, 8), valid lengths [6, 2]
Gradients are of L = sum(out * R), R a fixed random upstream gradient. in_proj_weight is written split
into W_q, W_k, W_v (the C++ layer keeps them apart); its biases are made non-zero so they are tested.
"""
import torch

from fixture_io import write_fixture


def run_case(mha, xq, xkv, lengths, causal, R, prefix, t):
    mha.zero_grad()
    xq = xq.clone().requires_grad_()
    self_attn = xkv is None
    xkv = xq if self_attn else xkv.clone().requires_grad_()
    Tq, Tk = xq.shape[1], xkv.shape[1]
    pad = torch.arange(Tk)[None, :] >= torch.tensor(lengths)[:, None]  # True = padding, ignored
    attn_mask = torch.triu(torch.ones(Tq, Tk, dtype=torch.bool), 1) if causal else None
    out, w = mha(xq, xkv, xkv, key_padding_mask=pad, attn_mask=attn_mask, need_weights=True,
                 average_attn_weights=False)
    (out * R).sum().backward()
    C = xq.shape[2]
    g = mha.in_proj_weight.grad.clone()  # zero_grad() of the next case would clear it in place
    gb = mha.in_proj_bias.grad.clone()
    t[prefix + "out"] = out
    t[prefix + "att"] = w
    t[prefix + "dxq"] = xq.grad
    if not self_attn:
        t[prefix + "xq"] = xq
        t[prefix + "xkv"] = xkv
        t[prefix + "dxkv"] = xkv.grad
    t[prefix + "R"] = R
    t[prefix + "dW_q"], t[prefix + "dW_k"], t[prefix + "dW_v"] = g[:C], g[C:2 * C], g[2 * C:]
    t[prefix + "db_q"], t[prefix + "db_k"], t[prefix + "db_v"] = gb[:C], gb[C:2 * C], gb[2 * C:]
    t[prefix + "dW_o"] = mha.out_proj.weight.grad.clone()
    t[prefix + "db_o"] = mha.out_proj.bias.grad.clone()


def main(out_dir):
    torch.manual_seed(606)
    B, T, C, NH = 2, 5, 8, 2
    mha = torch.nn.MultiheadAttention(C, NH, dropout=0.0, batch_first=True)
    with torch.no_grad():
        mha.in_proj_bias.copy_(torch.randn(3 * C) * 0.3)
        mha.out_proj.bias.copy_(torch.randn(C) * 0.3)
    W = mha.in_proj_weight.detach()
    t = {"W_q": W[:C], "W_k": W[C:2 * C], "W_v": W[2 * C:],
         "b_q": mha.in_proj_bias[:C], "b_k": mha.in_proj_bias[C:2 * C], "b_v": mha.in_proj_bias[2 * C:],
         "W_o": mha.out_proj.weight, "b_o": mha.out_proj.bias}
    x = torch.randn(B, T, C)
    t["x"] = x
    run_case(mha, x, None, [5, 3], False, torch.randn(B, T, C), "self_", t)
    run_case(mha, x, None, [5, 3], True, torch.randn(B, T, C), "causal_", t)
    run_case(mha, torch.randn(B, 4, C), torch.randn(B, 6, C), [6, 2], False, torch.randn(B, 4, C), "cross_", t)
    write_fixture(out_dir + "/mha.txt", t,
                  "chapter 06 multi-head attention vs torch.nn.MultiheadAttention (data_tools/torch_fixtures/mha.py)\n"
                  "torch " + torch.__version__)

"""Reference values for chapter 07's layers: chapter 06's encoder layer and chapter 07's decoder layer,
from PyTorch's nn.TransformerEncoderLayer and nn.TransformerDecoderLayer (batch_first, dropout 0, ReLU),
post-norm (norm_first=False, the paper) and pre-norm (norm_first=True).

    /usr/bin/python3 data_tools/make_torch_fixtures.py      (or: cd data_tools/torch_fixtures && python3 -c
                                                             'import transformer_layers as m; m.main("../../tests/fixtures")')
Writes tests/fixtures/transformer_layers.txt, read by tests/07_transformer/test_torch_layers.cpp. Four cases,
d_model C=8, nhead 2, dim_feedforward F=12, batch B=3:
  enc_post_, enc_pre_   x (3, 5, 8), source lengths [5, 2, 4] (src_key_padding_mask)
  dec_post_, dec_pre_   x (3, 4, 8) with the causal tgt_mask, memory (3, 6, 8) with lengths [6, 2, 5]
                        (memory_key_padding_mask)
Each case records its parameters (<case>p.<name>), inputs, output, and the gradients of L = sum(out * R),
R a fixed random upstream gradient: of the inputs (dx, dmem) and of every parameter (<case>d.<name>).
Names are PyTorch's, except in_proj_weight / in_proj_bias, written split into W_q, W_k, W_v and b_q, b_k,
b_v, and out_proj as W_o, b_o (the C++ layer keeps them apart). Biases and the norms' gains and biases
are made non-zero and not one, so that a swapped or missing one is seen.
The parameters and inputs are drawn in float32, then the layer runs in float64: the recorded outputs
and gradients are exact for the float32 values the test reads, so its tolerance measures our rounding only.
"""
import torch
import torch.nn as nn

from fixture_io import write_fixture

C, NH, F, B = 8, 2, 12, 3


def randomise(layer):
    with torch.no_grad():
        for name, p in layer.named_parameters():
            if name.endswith("bias"):
                p.copy_(torch.randn_like(p) * 0.3)
            elif name.startswith("norm"):  # a layer norm's gain
                p.copy_(1 + torch.randn_like(p) * 0.3)


def split_params(layer, grads):
    """name -> tensor: the parameters (or their .grad), in_proj split into q, k, v."""
    out = {}
    for name, p in layer.named_parameters():
        t = p.grad if grads else p
        mod, _, leaf = name.rpartition(".")
        if leaf == "in_proj_weight":
            out[mod + ".W_q"], out[mod + ".W_k"], out[mod + ".W_v"] = t[:C], t[C:2 * C], t[2 * C:]
        elif leaf == "in_proj_bias":
            out[mod + ".b_q"], out[mod + ".b_k"], out[mod + ".b_v"] = t[:C], t[C:2 * C], t[2 * C:]
        elif mod.endswith("out_proj"):
            out[mod[: -len(".out_proj")] + (".W_o" if leaf == "weight" else ".b_o")] = t
        else:
            out[name] = t
    return out


def padding(lengths, T):
    return torch.arange(T)[None, :] >= torch.tensor(lengths)[:, None]  # True = padding, ignored as a key


def run_case(kind, norm_first, t):
    prefix = "%s_%s_" % (kind, "pre" if norm_first else "post")
    Layer = nn.TransformerEncoderLayer if kind == "enc" else nn.TransformerDecoderLayer
    layer = Layer(C, NH, F, dropout=0.0, activation="relu", batch_first=True, norm_first=norm_first)
    randomise(layer)
    for name, p in split_params(layer, False).items():
        t[prefix + "p." + name] = p
    layer = layer.double()
    if kind == "enc":
        T, lengths = 5, [5, 2, 4]
        x = torch.randn(B, T, C).double().requires_grad_()
        out = layer(x, src_key_padding_mask=padding(lengths, T))
    else:
        T, S, lengths = 4, 6, [6, 2, 5]
        x = torch.randn(B, T, C).double().requires_grad_()
        mem = torch.randn(B, S, C).double().requires_grad_()
        causal = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)  # True = query i may not see key j > i
        out = layer(x, mem, tgt_mask=causal, memory_key_padding_mask=padding(lengths, S))
    R = torch.randn(B, T, C).double()
    (out * R).sum().backward()
    t[prefix + "len"] = torch.tensor(lengths)
    t[prefix + "x"] = x
    t[prefix + "R"] = R
    t[prefix + "out"] = out
    t[prefix + "dx"] = x.grad
    if kind == "dec":
        t[prefix + "mem"] = mem
        t[prefix + "dmem"] = mem.grad
    for name, g in split_params(layer, True).items():
        t[prefix + "d." + name] = g


def main(out_dir):
    torch.manual_seed(707)
    t = {}
    for kind in ("enc", "dec"):
        for norm_first in (False, True):
            run_case(kind, norm_first, t)
    write_fixture(out_dir + "/transformer_layers.txt", t,
                  "chapter 06's encoder layer and chapter 07's decoder layer vs torch.nn.TransformerEncoderLayer and\n"
                  "TransformerDecoderLayer, post- and pre-norm (data_tools/torch_fixtures/transformer_layers.py)\n"
                  "torch " + torch.__version__)

"""Reference values for chapter 08: the ViT's patch embedding, class token and position embeddings, then
one pre-norm encoder layer, in PyTorch.

    /usr/bin/python3 data_tools/make_torch_fixtures.py      (or: cd data_tools/torch_fixtures && python3 -c
                                                             'import vit as m; m.main("../../tests/fixtures")')
Writes tests/fixtures/vit.txt, read by tests/08_vision_transformer/test_torch_vit.cpp. One case: images
x (B=3, 1, 8, 8), patch P=4 (N=4 patches, T=5 tokens), width C=8, 2 heads, feed-forward F=12:

    X  = Conv2d(1, C, kernel P, stride P)(x), flattened to (B, N, C)    the patch embedding as PyTorch's ViT
                                                                        writes it (a stride-P convolution)
    z0 = cat(cls, X) + pos                                              (B, T, C)
    z1 = nn.TransformerEncoderLayer(C, 2, F, dropout 0, ReLU, batch_first, norm_first=True)(z0)

It records the parameters (p.<name>), x, z0, z1 and the gradients of L = sum(z1 * R), R a fixed random
upstream gradient: of the pixels (dx) and of every parameter (d.<name>). The conv's weight (C,1,P,P) is
written as patch.E (C, P*P) — the same numbers in the same order, which is the point of the chapter's
"a linear map of flattened patches is a stride-P conv". in_proj is split into W_q, W_k, W_v / b_q, b_k, b_v
and out_proj written as W_o, b_o; the encoder layer's other names are mapped to chapter 06's by the test.
Values are drawn in float32 and the model runs in float64 (see transformer_layers.py).

A second case, tests/fixtures/vit_hybrid.txt, is the embedding of the hybrid with overlapping windows
(chapter 08's --stem and --window): x (B=2, 1, 8, 8), a stem of S=2 maps, patch P=4 in K=6 windows, C=8:

    s  = ReLU(Conv2d(1, S, 3, padding 1)(x))                            the stem's maps (B, S, 8, 8)
    X  = Conv2d(S, C, kernel K, stride P, padding (K-P)/2)(s)           overlapping patches of the maps
    z0 = cat(cls, X) + pos                                              (B, T, C)

with the gradients of L = sum(z0 * R) for the stem, the embedding (patch.E = the conv's weight as (C, S*K*K)),
the class token and the positions.
"""
import torch
import torch.nn as nn

from fixture_io import write_fixture

B, H, P, C, NH, F = 3, 8, 4, 8, 2, 12
N = (H // P) ** 2
T = N + 1


def main(out_dir):
    torch.manual_seed(808)
    conv = nn.Conv2d(1, C, P, stride=P)
    cls = nn.Parameter(torch.randn(C) * 0.5)
    pos = nn.Parameter(torch.randn(T, C) * 0.5)
    layer = nn.TransformerEncoderLayer(C, NH, F, dropout=0.0, activation="relu", batch_first=True, norm_first=True)
    with torch.no_grad():  # non-trivial biases and norm gains, so a swapped or missing one is seen
        for name, p in layer.named_parameters():
            if name.endswith("bias"):
                p.copy_(torch.randn_like(p) * 0.3)
            elif name.startswith("norm"):
                p.copy_(1 + torch.randn_like(p) * 0.3)
    t = {}
    t["p.patch.E"] = conv.weight.reshape(C, P * P)
    t["p.patch.b"] = conv.bias
    t["p.tokens.cls"] = cls
    t["p.tokens.pos"] = pos
    params = {}
    for name, p in layer.named_parameters():
        params[name] = p
    def split(src, grads):
        out = {}
        for name, p in src.items():
            v = p.grad if grads else p
            if name == "self_attn.in_proj_weight":
                out["attn.W_q"], out["attn.W_k"], out["attn.W_v"] = v[:C], v[C:2 * C], v[2 * C:]
            elif name == "self_attn.in_proj_bias":
                out["attn.b_q"], out["attn.b_k"], out["attn.b_v"] = v[:C], v[C:2 * C], v[2 * C:]
            elif name == "self_attn.out_proj.weight":
                out["attn.W_o"] = v
            elif name == "self_attn.out_proj.bias":
                out["attn.b_o"] = v
            else:
                out[name] = v
        return out
    for name, v in split(params, False).items():
        t["p." + name] = v
    conv, layer = conv.double(), layer.double()
    cls_d = cls.detach().double().requires_grad_()
    pos_d = pos.detach().double().requires_grad_()
    x = torch.rand(B, 1, H, H).double().requires_grad_()
    X = conv(x).flatten(2).transpose(1, 2)  # (B, N, C), patch n = row-major over the grid
    z0 = torch.cat([cls_d.expand(B, 1, C), X], dim=1) + pos_d
    z1 = layer(z0)
    R = torch.randn(B, T, C).double()
    (z1 * R).sum().backward()
    t["x"] = x.reshape(B, H, H)
    t["R"] = R
    t["z0"] = z0
    t["z1"] = z1
    t["dx"] = x.grad.reshape(B, H, H)
    t["d.patch.E"] = conv.weight.grad.reshape(C, P * P)
    t["d.patch.b"] = conv.bias.grad
    t["d.tokens.cls"] = cls_d.grad
    t["d.tokens.pos"] = pos_d.grad
    for name, v in split(dict(layer.named_parameters()), True).items():
        t["d." + name] = v
    write_fixture(out_dir + "/vit.txt", t,
                  "chapter 08's patch embedding (as a stride-P Conv2d), class token, position embeddings and one\n"
                  "pre-norm nn.TransformerEncoderLayer (data_tools/torch_fixtures/vit.py)\n"
                  "torch " + torch.__version__)
    hybrid(out_dir)


def hybrid(out_dir):
    torch.manual_seed(809)
    B, S, K = 2, 2, 6
    stem = nn.Conv2d(1, S, 3, padding=1)
    conv = nn.Conv2d(S, C, K, stride=P, padding=(K - P) // 2)
    cls = nn.Parameter(torch.randn(C) * 0.5)
    pos = nn.Parameter(torch.randn(T, C) * 0.5)
    x = torch.rand(B, 1, H, H)
    R = torch.randn(B, T, C)
    t = {"p.stem.weight": stem.weight, "p.stem.bias": stem.bias, "p.patch.E": conv.weight.reshape(C, S * K * K),
         "p.patch.b": conv.bias, "p.tokens.cls": cls, "p.tokens.pos": pos, "x": x.reshape(B, H, H), "R": R}
    stem, conv = stem.double(), conv.double()
    cls_d = cls.detach().double().requires_grad_()
    pos_d = pos.detach().double().requires_grad_()
    X = conv(torch.relu(stem(x.double()))).flatten(2).transpose(1, 2)  # (B, N, C)
    z0 = torch.cat([cls_d.expand(B, 1, C), X], dim=1) + pos_d
    (z0 * R.double()).sum().backward()
    t["z0"] = z0
    t["d.stem.weight"] = stem.weight.grad
    t["d.stem.bias"] = stem.bias.grad
    t["d.patch.E"] = conv.weight.grad.reshape(C, S * K * K)
    t["d.patch.b"] = conv.bias.grad
    t["d.tokens.cls"] = cls_d.grad
    t["d.tokens.pos"] = pos_d.grad
    write_fixture(out_dir + "/vit_hybrid.txt", t,
                  "chapter 08's hybrid embedding: a 3x3 conv + ReLU stem, overlapping patches of its maps (a padded\n"
                  "strided Conv2d), class token and position embeddings (data_tools/torch_fixtures/vit.py)\n"
                  "torch " + torch.__version__)

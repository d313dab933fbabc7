"""Chapter 08's Vision Transformer trained in PyTorch, timed for `make bench` (Debian's python3-torch).

    /usr/bin/python3 data_tools/torch_bench/vit.py THREADS WAIT INTRA_OP BATCH PATCH DIM DEPTH HEADS FFN [STEM DROP%]

The same model as chapters/08_vision_transformer/vit_model.hpp with the chapter's defaults: 28x28 images
cut into PATCH x PATCH patches by a stride-PATCH Conv2d (the patch embedding), a class token and learned
position embeddings, dropout 0.1, DEPTH pre-norm encoder layers (nn.TransformerEncoderLayer: d_model DIM,
HEADS heads, feed-forward FFN, ReLU, dropout 0.1, norm_first), a final LayerNorm on the class token,
and the head Linear(DIM, DIM) -> tanh -> Linear(DIM, 10); cross-entropy, AdamW (weight decay 0.05),
gradient clipping at 1. With STEM > 0 the hybrid (Fashion-MNIST's default): Conv2d(1, STEM, 3, padding=1)
-> ReLU under the patches, the patch embedding a stride-PATCH Conv2d(STEM, DIM, PATCH); DROP% the dropout
in percent (default 10; the hybrid's default is 0). One step = forward + backward + clip + optimiser step on a batch of BATCH random
images (fixed once).

Threads, waiting and the rounds protocol: serve.py.
"""
import serve

args = serve.configure()
batch, P, C, L, NH, F = args[:6]
STEM = args[6] if len(args) > 6 else 0
DROP = (args[7] if len(args) > 7 else 10) / 100

import torch  # noqa: E402  (after serve.configure: the threads are set before torch loads)
import torch.nn as nn  # noqa: E402

H, V = 28, 10
N = (H // P) ** 2


class ViT(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, STEM, 3, padding=1), nn.ReLU()) if STEM > 0 else nn.Identity()
        self.patch = nn.Conv2d(max(STEM, 1), C, P, stride=P)
        self.cls = nn.Parameter(torch.zeros(1, 1, C))
        self.pos = nn.Parameter(torch.randn(1, N + 1, C) * 0.02)
        self.drop = nn.Dropout(DROP)
        layer = nn.TransformerEncoderLayer(C, NH, F, DROP, batch_first=True, norm_first=True)
        self.enc = nn.TransformerEncoder(layer, L, enable_nested_tensor=False)
        self.ln = nn.LayerNorm(C)
        self.head = nn.Sequential(nn.Linear(C, C), nn.Tanh(), nn.Linear(C, V))

    def forward(self, x):
        X = self.patch(self.stem(x)).flatten(2).transpose(1, 2)  # (B, N, C)
        z = torch.cat([self.cls.expand(x.shape[0], 1, C), X], dim=1) + self.pos
        z = self.enc(self.drop(z))
        return self.head(self.ln(z[:, 0]))


model = ViT()
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
x = torch.rand(batch, 1, H, H)
y = torch.randint(0, V, (batch,))


def step():
    opt.zero_grad(set_to_none=True)
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()


serve.run(step)

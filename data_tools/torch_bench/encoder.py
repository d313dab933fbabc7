"""Chapter 06's self-attention classifier trained in PyTorch, timed for `make bench` (Debian's python3-torch).

    /usr/bin/python3 data_tools/torch_bench/encoder.py THREADS WAIT INTRA_OP BATCH T V

The same model as chapters/06_self_attention/encoder_classifier.hpp with the chapter's defaults on AG
News: embedding (V, 64) + learned positions, 2 pre-norm encoder layers (nn.TransformerEncoderLayer:
d_model 64, 4 heads, feed-forward 128, ReLU, dropout 0.3, norm_first), dropout 0.3 on the input,
attention pooling e_t = v . tanh(W_a h_t + b_a) over the valid positions, Linear(64, 64) -> ReLU ->
Linear(64, 4), cross-entropy, Adam, gradient clipping at 1. One step = forward + backward + clip +
optimiser step on a batch of BATCH texts of T tokens with random valid lengths (fixed once).

Threads, waiting and the rounds protocol: serve.py.
"""
import serve

batch, T, V = serve.configure()

import torch  # noqa: E402  (after serve.configure: the threads are set before torch loads)
import torch.nn as nn  # noqa: E402

C, NH, F, K, L, P = 64, 4, 128, 4, 2, 0.3


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, C)
        self.pos = nn.Parameter(torch.randn(T, C) * 0.1)
        layer = nn.TransformerEncoderLayer(C, NH, F, P, batch_first=True, norm_first=True)
        self.enc = nn.TransformerEncoder(layer, L, enable_nested_tensor=False)
        self.drop = nn.Dropout(P)
        self.pool = nn.Linear(C, C)
        self.v = nn.Parameter(torch.randn(C) * 0.1)
        self.head = nn.Sequential(nn.Linear(C, C), nn.ReLU(), nn.Linear(C, K))

    def forward(self, ids, pad):
        h = self.enc(self.drop(self.emb(ids) + self.pos[: ids.shape[1]]), src_key_padding_mask=pad)
        e = (torch.tanh(self.pool(h)) @ self.v).masked_fill(pad, float("-inf"))
        ctx = (torch.softmax(e, dim=1).unsqueeze(-1) * h).sum(1)
        return self.head(ctx)


model = Classifier()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
lengths = torch.randint(T // 2, T + 1, (batch,))
ids = torch.randint(4, V, (batch, T))
pad = torch.arange(T)[None, :] >= lengths[:, None]
y = torch.randint(0, K, (batch,))


def step():
    opt.zero_grad(set_to_none=True)
    loss = nn.functional.cross_entropy(model(ids, pad), y)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()


serve.run(step)

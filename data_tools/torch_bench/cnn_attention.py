"""Chapter 11's three CNNs trained in PyTorch, timed for `make bench` (Debian's python3-torch).

    /usr/bin/python3 data_tools/torch_bench/cnn_attention.py THREADS WAIT INTRA_OP BATCH KIND C0 C1 C2 R

The same models as chapters/11_attention_in_cnns/cnn_model.hpp (one conv block per stage, flatten head):
three stages of Conv2d(3x3, padding 1, no bias) -> BatchNorm2d -> ReLU -> attention -> MaxPool2d(2) (no
pooling after the last), then Linear(C2*7*7, 10); KIND 0 = no attention, 1 = squeeze-and-excitation,
2 = CBAM (shared MLP C -> C/R -> C over the average and max descriptors, then a 7x7 conv with bias over
[mean; max] across channels). One step = forward + backward + clip (5) + AdamW on a batch of BATCH
random 28x28 images.

Threads, waiting and the rounds protocol: serve.py.
"""
import serve

batch, kind, c0, c1, c2, r = serve.configure()

import torch  # noqa: E402  (after serve.configure: the threads are set before torch loads)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


class SE(nn.Module):
    def __init__(self, C):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(C, max(1, C // r)), nn.Linear(max(1, C // r), C)

    def forward(self, x):
        e = torch.sigmoid(self.fc2(F.relu(self.fc1(x.mean(dim=(2, 3))))))
        return e[:, :, None, None] * x


class CBAM(nn.Module):
    def __init__(self, C):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(C, max(1, C // r)), nn.Linear(max(1, C // r), C)
        self.spatial = nn.Conv2d(2, 1, 7, padding=3)

    def forward(self, x):
        mlp = lambda v: self.fc2(F.relu(self.fc1(v)))  # noqa: E731
        x = torch.sigmoid(mlp(x.mean(dim=(2, 3))) + mlp(x.amax(dim=(2, 3))))[:, :, None, None] * x
        d = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
        return torch.sigmoid(self.spatial(d)) * x


def stage(c_in, c, last):
    layers = [nn.Conv2d(c_in, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU()]
    if kind == 1:
        layers.append(SE(c))
    if kind == 2:
        layers.append(CBAM(c))
    if not last:
        layers.append(nn.MaxPool2d(2))
    return layers


model = nn.Sequential(*stage(1, c0, False), *stage(c0, c1, False), *stage(c1, c2, True), nn.Flatten(),
                      nn.Linear(c2 * 7 * 7, 10))
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=5e-4)
x = torch.rand(batch, 1, 28, 28)
y = torch.randint(0, 10, (batch,))


def step():
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    opt.step()


serve.run(step)

"""Chapter 09's spatial transformer network trained in PyTorch, timed for `make bench` (Debian's python3-torch).

    /usr/bin/python3 data_tools/torch_bench/stn.py THREADS WAIT INTRA_OP  BATCH SIDE LC1 LC2 LFC CC1 CC2 CFC V LOC_LR_PCT

The same model and step as chapters/09_spatial_transformer/stn_model.hpp and train.hpp with the chapter's
default run (affine transform, SIDE 28 in and out): a "block" is Conv2d(5x5, stride 1, no padding) ->
MaxPool2d(2) -> ReLU. The localisation net, block(1 -> LC1), block(LC1 -> LC2), Linear(LC2*4*4, LFC) ->
ReLU -> Linear(LFC, 6) starting at zero weights and the identity bias, gives theta (B,2,3);
F.affine_grid and F.grid_sample (bilinear, zero padding, align_corners=False, as ours) resample the
image; the classifier, block(1 -> CC1), block(CC1 -> CC2), Linear(CC2*4*4, CFC) -> ReLU -> Linear(CFC, V),
reads it; mean cross-entropy. Every other weight Kaiming-uniform (gain sqrt 2), biases 0, as ours.
Adam at the chapter's lr 4e-3 for the classifier and LOC_LR_PCT percent of it for the localisation net
(ours scales the localisation net's Adam step by that fraction, adam_step_scaled_loc: the same update,
Adam's step being proportional to lr); no clipping, no dropout (the chapter has none). The chapter's
schedule (warm-up, cosine) only sets lr before each step and is left out on both sides.

One step = forward + backward + optimiser step on BATCH random SIDE x SIDE images (values uniform in
[0, 1)), drawn once, like tests/bench/bench_ch09.cpp.

Threads, waiting and the rounds protocol: serve.py.
"""
import serve

batch, side, lc1, lc2, lfc, cc1, cc2, cfc, V, loc_lr_pct = serve.configure()

import torch  # noqa: E402  (after serve.configure: the threads are set before torch loads)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

LR = 4e-3


def flat(channels):  # features after two blocks: (side - 4) / 2, then - 4, / 2
    return channels * (((side - 4) // 2 - 4) // 2) ** 2


def kaiming(layer):  # as ours: W ~ Kaiming uniform (gain sqrt 2), b = 0
    nn.init.kaiming_uniform_(layer.weight, nonlinearity="relu")
    nn.init.zeros_(layer.bias)
    return layer


def block(conv, x):
    return F.relu(F.max_pool2d(conv(x), 2))


class STN(nn.Module):
    def __init__(self):
        super().__init__()
        self.loc = nn.ModuleList([kaiming(nn.Conv2d(1, lc1, 5)), kaiming(nn.Conv2d(lc1, lc2, 5)),
                                  kaiming(nn.Linear(flat(lc2), lfc)), nn.Linear(lfc, 6)])
        nn.init.zeros_(self.loc[3].weight)  # theta = the identity at the start
        with torch.no_grad():
            self.loc[3].bias.copy_(torch.tensor([1.0, 0, 0, 0, 1, 0]))
        self.cls = nn.ModuleList([kaiming(nn.Conv2d(1, cc1, 5)), kaiming(nn.Conv2d(cc1, cc2, 5)),
                                  kaiming(nn.Linear(flat(cc2), cfc)), kaiming(nn.Linear(cfc, V))])

    @staticmethod
    def net(layers, x):
        z = block(layers[1], block(layers[0], x)).flatten(1)
        return layers[3](F.relu(layers[2](z)))

    def forward(self, x):  # x (B,1,side,side)
        theta = self.net(self.loc, x).view(-1, 2, 3)
        grid = F.affine_grid(theta, [x.shape[0], 1, side, side], align_corners=False)
        xs = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        return self.net(self.cls, xs)


model = STN()
opt = torch.optim.Adam([{"params": model.loc.parameters(), "lr": LR * loc_lr_pct / 100},
                        {"params": model.cls.parameters(), "lr": LR}])
x = torch.rand(batch, 1, side, side)
y = torch.randint(0, V, (batch,))


def step():
    opt.zero_grad(set_to_none=True)
    F.cross_entropy(model(x), y).backward()
    opt.step()


serve.run(step, warmup=10)

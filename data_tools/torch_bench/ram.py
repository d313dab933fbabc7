"""Chapter 10's recurrent attention model trained in PyTorch, timed for `make bench` (Debian's python3-torch).

    /usr/bin/python3 data_tools/torch_bench/ram.py THREADS WAIT INTRA_OP  BATCH SIDE G K T DG DL GS C V SIGMA_PCT

The same model and step as chapters/10_recurrent_attention/ram_model.hpp, reinforce.hpp and train.hpp with
the chapter's default run (translated60: SIDE 60, K 3 scales of G 12, T 6 glimpses, relu core):
  sensor   rho(x, l): K patches of side G*2^s centred on l, each averaged over 2^s x 2^s blocks to G x G,
           zeros outside the image (glimpse.hpp; here: gathered from a zero-padded copy, F.avg_pool2d)
  glimpse  g = relu(relu(rho W_what^T + b_what) W_g^T + relu(l W_where^T + b_where) W_l^T + b_g)
  core     h_{t+1} = relu(h_t W_h^T + g_t W_i^T + b_h),  h_0 = 0
  policy   mu_t = tanh(h_t W_mu^T + b_mu), b_t = h_t w_b^T + c_b (both from h_t DETACHED, as ours:
           detach_loc), l_t = mu_t + sigma eps_t (a sample: detached), the sensor at clamp(l_t, -1, 1)
  losses   CE of h_T W_a^T + b_a;  R = [argmax = label];  L_policy = -(1/B) sum_{t,b} log N(l | mu, sigma^2) (R - b)
           with R - b detached;  L_baseline = mean_{t,b} (R - b)^2;  L = CE + L_policy + L_baseline
This is REINFORCE exactly as ours computes it, written as the surrogate loss whose gradient is ours: the
same gradients, not an approximation. Every weight and bias uniform in +-1/sqrt(fan_in) with ours' fan-ins
(W_h and W_i: C + G; W_g and W_l: DG + DL); Adam at the chapter's lr 1e-3, gradient-norm clipping at 5.

One step = forward + backward + clip + optimiser step on BATCH images drawn once, like
tests/bench/bench_ch10.cpp's: each a 28 x 28 square of uniform [0, 1) values at a random place of a black
SIDE x SIDE canvas (translated60's shape); the policy noise eps (T,B,2) is drawn afresh every step, as
ours does.

Threads, waiting and the rounds protocol: serve.py.
"""
import math

import serve

batch, side, G, K, T, Dg, Dl, Gs, C, V, sigma_pct = serve.configure()

import torch  # noqa: E402  (after serve.configure: the threads are set before torch loads)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

LR, CLIP, SIGMA, DIGIT = 1e-3, 5.0, sigma_pct / 100.0, 28


def linear(n_in, n_out, fan_in, bias=True):
    layer = nn.Linear(n_in, n_out, bias=bias)
    for p in layer.parameters():
        nn.init.uniform_(p, -1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in))
    return layer


def sensor(xp, loc, pad):
    """xp (B,side+2pad,side+2pad) the zero-padded images, loc (B,2) = (l_x, l_y) -> rho (B, K*G*G)."""
    rows = torch.arange(xp.shape[0])[:, None, None]
    out = []
    for s in range(K):
        f, S = 1 << s, G << s
        # the patch's first column and row: floor(centre - S/2 + 1/2), centre = (l + 1) side / 2 (glimpse_origin)
        o = torch.floor((loc + 1) * 0.5 * side - 0.5 * S + 0.5).long() + pad  # (B,2)
        ar = torch.arange(S)
        patch = xp[rows, (o[:, 1, None] + ar)[:, :, None], (o[:, 0, None] + ar)[:, None, :]]  # (B,S,S)
        out.append(F.avg_pool2d(patch[:, None], f).flatten(1))  # (B,G*G)
    return torch.cat(out, 1)


class RAM(nn.Module):
    def __init__(self):
        super().__init__()
        P = K * G * G
        self.what, self.where = linear(P, Dg, P), linear(2, Dl, 2)
        self.g_what, self.g_where = linear(Dg, Gs, Dg + Dl), linear(Dl, Gs, Dg + Dl, bias=False)
        self.core_h, self.core_g = linear(C, C, C + Gs), linear(Gs, C, C + Gs, bias=False)
        self.mu, self.base, self.action = linear(C, 2, C), linear(C, 1, C), linear(C, V, C)

    def forward(self, x, y, eps):  # x (B,side,side), y (B), eps (T,B,2) -> the hybrid loss
        pad = G << (K - 1)
        xp = F.pad(x, (pad, pad, pad, pad))
        h = torch.zeros(x.shape[0], C)
        mus, ls, bs = [], [], []
        for t in range(T):
            mu = torch.tanh(self.mu(h.detach()))
            l = (mu + SIGMA * eps[t]).detach()
            loc = l.clamp(-1, 1)
            g = F.relu(self.g_what(F.relu(self.what(sensor(xp, loc, pad)))) + self.g_where(F.relu(self.where(loc))))
            mus.append(mu), ls.append(l), bs.append(self.base(h.detach())[:, 0])
            h = F.relu(self.core_h(h) + self.core_g(g))
        logits = self.action(h)
        R = (logits.argmax(1) == y).float()
        base = torch.stack(bs)  # (T,B)
        logp = torch.distributions.Normal(torch.stack(mus), SIGMA).log_prob(torch.stack(ls)).sum(2)  # (T,B)
        policy = -(logp * (R - base).detach()).sum() / x.shape[0]
        return F.cross_entropy(logits, y) + policy + ((R - base) ** 2).mean()


model = RAM()
opt = torch.optim.Adam(model.parameters(), lr=LR)
x = torch.zeros(batch, side, side)
for b in range(batch):  # a 28 x 28 "digit" at a random place
    r, c = (int(v) for v in torch.randint(0, side - DIGIT + 1, (2,)))
    x[b, r:r + DIGIT, c:c + DIGIT] = torch.rand(DIGIT, DIGIT)
y = torch.randint(0, V, (batch,))


def step():
    opt.zero_grad(set_to_none=True)
    model(x, y, torch.randn(T, batch, 2)).backward()
    nn.utils.clip_grad_norm_(model.parameters(), CLIP)
    opt.step()


serve.run(step, warmup=10)

"""Training steps per second of chapter 00's MLP in PyTorch, for `make bench` (Debian's python3-torch).

    /usr/bin/python3 data_tools/torch_bench/mlp.py THREADS BATCH HIDDEN STEPS

The same model as chapters/00_foundations/mlp.hpp: Linear(784, H) -> ReLU -> Dropout(0.2) ->
Linear(H, 10), cross-entropy, Adam; one step = forward + backward + optimiser step.
Prints one line: steps_per_s=<float>
"""
import sys
import time

import torch

threads, batch, hidden, steps = (int(a) for a in sys.argv[1:5])
torch.set_num_threads(threads)
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(784, hidden), torch.nn.ReLU(), torch.nn.Dropout(0.2),
                            torch.nn.Linear(hidden, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.rand(batch, 784)
y = torch.randint(0, 10, (batch,))


def step():
    opt.zero_grad(set_to_none=True)
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()


for _ in range(20):  # warm up
    step()
best = 0.0
for _ in range(3):
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    best = max(best, steps / (time.perf_counter() - t0))
print("steps_per_s=%.2f" % best)

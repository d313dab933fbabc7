"""Chapter 00's MLP trained in PyTorch, timed for `make bench` (Debian's python3-torch).

    /usr/bin/python3 data_tools/torch_bench/mlp.py THREADS WAIT INTRA_OP BATCH HIDDEN

The same model as chapters/00_foundations/mlp.hpp: Linear(784, H) -> ReLU -> Dropout(0.2) ->
Linear(H, 10), cross-entropy, Adam; one step = forward + backward + optimiser step. Threads, waiting
and the rounds protocol: serve.py.
"""
import serve

batch, hidden = serve.configure()

import torch  # noqa: E402  (after serve.configure: the threads are set before torch loads)

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


serve.run(step)

"""Chapter 00's MLP trained in PyTorch, timed for `make bench` (Debian's python3-torch).

    /usr/bin/python3 data_tools/torch_bench/mlp.py THREADS BATCH HIDDEN [spin|passive] [INTRA_OP]

The same model as chapters/00_foundations/mlp.hpp: Linear(784, H) -> ReLU -> Dropout(0.2) ->
Linear(H, 10), cross-entropy, Adam; one step = forward + backward + optimiser step.

After a warm-up it prints one line, `ready torch=<version> threads=<intra-op threads>
os_threads=<threads this process runs> blas=<OpenBLAS/its kernels>`, then reads lines from standard input, each a number of
steps: it runs that many steps and answers `wall=<seconds> cpu=<seconds>` (cpu: user + system of
every thread of this process). It ends at the end of its input. bench_ch00 alternates these
rounds with its own, so both sides see the same machine.

Threads. torch.set_num_threads alone does not hold PyTorch to THREADS: its matmuls run in the
BLAS that Debian links (OpenBLAS when installed), which takes its thread count from
OPENBLAS_NUM_THREADS once, when the library loads, that is at `import torch`; its own loops run in
OpenMP (OMP_NUM_THREADS). So all of them are set here, before the import, and the ready line
shows the threads the process really has. INTRA_OP (default THREADS) sets PyTorch's own threads
alone: on a 2-core machine torch's 784-1024-10 step runs fastest with OpenBLAS on 2 threads and
PyTorch's own loops on 1 (measured: 13,076 samples/s against 11,526 with both on 2), so
bench_ch00 tries that too. OpenBLAS's kernels (OPENBLAS_CORETYPE) come from the
caller: bench_ch00 sets them from the processor's features when OpenBLAS would not know it.

Waiting (the last argument). Between two parallel regions, OpenMP and OpenBLAS threads spin
before they sleep: `spin` keeps the libraries' defaults (libgomp spins a while, OpenBLAS up to
2^28 cycles); `passive` makes them sleep at once (OMP_WAIT_POLICY=PASSIVE, GOMP_SPINCOUNT=0,
OPENBLAS_THREAD_TIMEOUT=4, the smallest). Spinning is faster on an idle machine and much slower
when other programs want the cores; bench_ch00 measures both and compares with the faster.
"""
import os
import sys

threads, batch, hidden = (int(a) for a in sys.argv[1:4])
wait = sys.argv[4] if len(sys.argv) > 4 else "spin"
intra_op = int(sys.argv[5]) if len(sys.argv) > 5 else threads
for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(threads)
os.environ["OMP_NUM_THREADS"] = str(intra_op)
for var in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OPENBLAS_THREAD_TIMEOUT"):
    os.environ.pop(var, None)
if wait == "passive":
    os.environ.update(OMP_WAIT_POLICY="PASSIVE", GOMP_SPINCOUNT="0", OPENBLAS_THREAD_TIMEOUT="4")

import ctypes  # noqa: E402  (the environment above must be set before torch loads)
import time  # noqa: E402

import torch  # noqa: E402

torch.set_num_threads(intra_op)
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


for _ in range(20):  # warm up (and let OpenBLAS start its threads)
    step()
try:  # which BLAS torch runs on, and OpenBLAS's kernels (the library torch loaded, found by its name)
    corename = ctypes.CDLL("libblas.so.3").openblas_get_corename
    corename.restype = ctypes.c_char_p
    blas = "OpenBLAS/" + corename().decode()
except (OSError, AttributeError):
    blas = "not-OpenBLAS"
print("ready torch=%s threads=%d os_threads=%d blas=%s" % (torch.__version__, torch.get_num_threads(),
                                                           len(os.listdir("/proc/self/task")), blas), flush=True)
for line in sys.stdin:
    steps = int(line)
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    print("wall=%.6f cpu=%.6f" % (time.perf_counter() - w0, time.process_time() - c0), flush=True)

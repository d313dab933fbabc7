"""What every PyTorch side of `make bench` shares: its threads, its waiting policy, and the rounds.

A model script (mlp.py, rnn_seq2seq.py, ch05_classifier.py, encoder.py, transformer.py, vit.py, stn.py,
ram.py, cnn_attention.py) is run as

    /usr/bin/python3 data_tools/torch_bench/SCRIPT.py THREADS WAIT INTRA_OP  MODEL ARGS...

and does, in this order:

    import serve; args = serve.configure()   # before torch is imported: sets the threads
    import torch; ... build the model and its step() ...
    serve.run(step)                           # warm-up, the `ready` line, then rounds on request

Threads. torch.set_num_threads alone does not hold PyTorch to THREADS: its matmuls run in the BLAS
Debian links (OpenBLAS when installed), which takes its thread count from OPENBLAS_NUM_THREADS once,
when the library loads, that is at `import torch`; its own loops run in OpenMP (OMP_NUM_THREADS).
So configure() sets them before the import. INTRA_OP sets PyTorch's own threads alone: on a 2-core
machine chapter 00's step runs fastest with OpenBLAS on 2 threads and PyTorch's loops on 1
(measured: 13,076 samples/s against 11,526 with both on 2), so the benchmarks try that too.

Waiting. Between two parallel regions, OpenMP and OpenBLAS threads spin before they sleep: `spin`
keeps the libraries' defaults (libgomp spins a while, OpenBLAS up to 2^28 cycles); `passive` makes
them sleep at once (OMP_WAIT_POLICY=PASSIVE, GOMP_SPINCOUNT=0, OPENBLAS_THREAD_TIMEOUT=4, the
smallest). Spinning is faster on an idle machine and much slower when other programs want the cores;
the benchmarks measure every configuration and compare with the fastest.

Kernels. PyTorch's own loops have AVX2 and AVX-512 versions; 1.13 picks AVX2 unless the environment
says ATEN_CPU_CAPABILITY=avx512, which the benchmarks also try on a CPU that has AVX-512 (the C++
side sets it in this process's environment, and leaves it out for the other configurations).

Rounds. run() prints one line, `ready torch=<version> threads=<intra-op threads> os_threads=<threads
this process runs> blas=<OpenBLAS/its kernels> kernels=<PyTorch's own: AVX2, AVX512>`, then reads
lines from standard input, each a number of steps: it runs that many steps and answers
`wall=<seconds> cpu=<seconds>` (cpu: user + system of every thread of this process). It ends at the
end of its input. The C++ side (tests/bench/torch_child.hpp)
alternates these rounds with its own, so both sides see the same machine.
"""
import os
import sys


def configure():
    """Sets the thread and waiting variables from argv[1:4]; returns the model's arguments (ints)."""
    threads, wait, intra_op = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    os.environ["OMP_NUM_THREADS"] = str(intra_op)
    for var in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OPENBLAS_THREAD_TIMEOUT"):
        os.environ.pop(var, None)
    if wait == "passive":
        os.environ.update(OMP_WAIT_POLICY="PASSIVE", GOMP_SPINCOUNT="0", OPENBLAS_THREAD_TIMEOUT="4")
    import torch  # noqa: E402  (only now: the environment above is read as it loads)
    torch.set_num_threads(intra_op)
    torch.manual_seed(0)
    return [int(a) for a in sys.argv[4:]]


def run(step, warmup=20):
    import ctypes
    import time

    import torch
    for _ in range(warmup):  # warm up (and let OpenBLAS start its threads)
        step()
    try:  # which BLAS torch runs on, and OpenBLAS's kernels (the library torch loaded, found by its name)
        corename = ctypes.CDLL("libblas.so.3").openblas_get_corename
        corename.restype = ctypes.c_char_p
        blas = "OpenBLAS/" + corename().decode()
    except (OSError, AttributeError):
        blas = "not-OpenBLAS"
    kernels = [line.split(":")[1].strip() for line in torch.__config__.show().splitlines()
               if "CPU capability usage" in line]  # ATEN_CPU_CAPABILITY, or PyTorch's own choice
    print("ready torch=%s threads=%d os_threads=%d blas=%s kernels=%s" % (
        torch.__version__, torch.get_num_threads(), len(os.listdir("/proc/self/task")), blas,
        kernels[0] if kernels else "unknown"), flush=True)
    for line in sys.stdin:
        steps = int(line)
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(steps):
            step()
        print("wall=%.6f cpu=%.6f" % (time.perf_counter() - w0, time.process_time() - c0), flush=True)

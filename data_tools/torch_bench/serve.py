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

Memory. PyTorch allocates each step's tensors anew and frees them. glibc's malloc serves blocks of
more than 128 KiB (a threshold it raises as they are freed, up to 32 MiB) with mmap and gives them
back to the kernel when freed, and returns the top of its heap once more than 128 KiB of it is free;
so every step touches fresh pages, each a page fault. In a virtual machine a fault is dear: on the
Zen 5 of stop 42 (a Firecracker VM, whose kernel log names a PVM hypervisor) the MLP's step took
1,586-1,901 faults and ran at 26-37 steps/s on one thread; with freed memory kept for reuse, none
after the first round and 94-165 (the environment variables; mallopt: 109-154). Fresh processes of
one configuration differed by up to 3.9x (the CNN's step: 3.7-14.4 steps/s in three). A baseline at
its best keeps its memory, as a PyTorch user does by setting MALLOC_MMAP_THRESHOLD_ or by preloading
tcmalloc: configure() sets both thresholds with mallopt before torch is imported. Measured on every
model's step, one thread, three fresh processes each way: the best process with memory kept
1.02-4.9x as fast as the best without.

Rounds. run() prints one line, `ready torch=<version> threads=<intra-op threads> os_threads=<threads
this process runs> blas=<OpenBLAS/its kernels> kernels=<PyTorch's own: AVX2, AVX512> malloc=<kept,
or why not>`, then reads
lines from standard input, each a number of steps: it runs that many steps and answers
`wall=<seconds> cpu=<seconds>` (cpu: user + system of every thread of this process). It ends at the
end of its input. The C++ side (tests/bench/torch_child.hpp)
alternates these rounds with its own, so both sides see the same machine.
"""
import os
import sys


MALLOC = "not set"  # what keep_freed_memory() did, for the ready line


def keep_freed_memory():
    """glibc: no mmap for blocks under 32 MiB, and the heap's free top kept (see Memory above)."""
    global MALLOC
    import ctypes
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # malloc.h
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        MALLOC = "not-glibc"
        return
    ok = mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1 and mallopt(M_TRIM_THRESHOLD, 2**31 - 1) == 1
    MALLOC = "kept" if ok else "mallopt-failed"


def configure():
    """Sets the thread and waiting variables from argv[1:4] and keeps freed memory; returns the
    model's arguments (ints)."""
    keep_freed_memory()
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
    print("ready torch=%s threads=%d os_threads=%d blas=%s kernels=%s malloc=%s" % (
        torch.__version__, torch.get_num_threads(), len(os.listdir("/proc/self/task")), blas,
        kernels[0] if kernels else "unknown", MALLOC), flush=True)
    for line in sys.stdin:
        steps = int(line)
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(steps):
            step()
        print("wall=%.6f cpu=%.6f" % (time.perf_counter() - w0, time.process_time() - c0), flush=True)

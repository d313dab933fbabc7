// bench_util.hpp — what the benchmarks share: the `bench` line, medians, the load average, timing
// a child process (wall and CPU seconds), and busy processes that compete for every core.
//
// Every benchmark that compares two things prints one line per model and thread count:
//   bench NAME threads=N ours=<samples/s> OTHER=<samples/s> ratio=<ours/OTHER> wall_s=a/b cpu_s=a/b load=L
// ours and OTHER are training samples per second from wall-clock medians over alternating rounds
// (ours, other, ours, other, ...) in one run; wall_s and cpu_s are those medians per round (CPU
// time of all threads: cpu_s above wall_s means more than one core was busy, spinning included);
// load is the 1-minute load average at the end of the measurement. Later chapters add their models in
// the same shape, so one grep of `^bench ` collects the table. A chapter model's line (compare_with_torch
// in torch_child.hpp) ends with its step's matrix products in GFLOP/s (gflops=, counted by
// matmul_flops()), the FMA peak of that many threads measured here (peak=, fma_peak_gflops) and the
// share of it reached (peak_share=). A benchmark of two ways of our own names both columns
// (print_named_line): bench transformer_decode_cache threads=N cached=… recomputed=…
#pragma once
#include "common/core/matmul_kernels.hpp"  // vecf, VL: the FMA peak below uses the kernel's vector

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <string>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace bench {

inline double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    size_t m = v.size() / 2;
    return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

inline double load_average() {
    double la = -1;
    if (FILE* f = std::fopen("/proc/loadavg", "r")) {
        if (std::fscanf(f, "%lf", &la) != 1) la = -1;
        std::fclose(f);
    }
    return la;
}

inline double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline double cpu_s(const rusage& r) {
    return r.ru_utime.tv_sec + r.ru_stime.tv_sec + 1e-6 * (r.ru_utime.tv_usec + r.ru_stime.tv_usec);
}

// CPU seconds of this process so far, all its threads.
inline double self_cpu_s() {
    rusage r{};
    getrusage(RUSAGE_SELF, &r);
    return cpu_s(r);
}

// The machine's measured single-precision FMA peak, GFLOP/s, on `threads` threads at once: each runs
// ten independent chains a = a·b + c, each a vector of VL floats (the matmul kernel's vector type: one
// register, 16 floats on AVX-512, 8 on AVX2), enough of them in flight to hide the FMA latency
// on every pipe; 2 FLOP per float per iteration. Each thread's speed is taken over its own CPU time
// (CLOCK_THREAD_CPUTIME_ID), so another program sharing the core by turns does not lower it; the
// threads' speeds are summed; the best of 3 tries of about 0.1 s. A step's GFLOP/s over this is the
// share of the peak it reaches.
using attn::kernels::VL;
using fma_vec = attn::kernels::vecf;
__attribute__((noinline, optimize("fp-contract=fast"))) inline void fma_chains(long iters, double* gflops,
                                                                                float* sink) {
    timespec t0{}, t1{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    fma_vec b, c, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9;  // ten chains: each its own register
    for (int j = 0; j < VL; j++) {
        b[j] = 0.999999f, c[j] = 1e-7f;
        a0[j] = a1[j] = a2[j] = a3[j] = a4[j] = 1e-3f * j, a5[j] = a6[j] = a7[j] = a8[j] = a9[j] = 2e-3f * j;
    }
    for (long it = 0; it < iters; it++) {
        a0 = a0 * b + c, a1 = a1 * b + c, a2 = a2 * b + c, a3 = a3 * b + c, a4 = a4 * b + c;
        a5 = a5 * b + c, a6 = a6 * b + c, a7 = a7 * b + c, a8 = a8 * b + c, a9 = a9 * b + c;
    }
    const fma_vec sum = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
    const double cpu = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
    *gflops = 2.0 * 10 * VL * iters / cpu / 1e9;
    *sink = sum[0];  // the result is used: the chains cannot be dropped
}
inline double fma_peak_gflops(int threads) {
    double best = 0;
    for (int attempt = 0; attempt < 3; attempt++) {
        std::vector<double> each(threads);
        std::vector<float> sink(threads);
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; t++) pool.emplace_back(fma_chains, 10000000L, &each[t], &sink[t]);
        for (auto& t : pool) t.join();
        double total = 0;
        for (double g : each) total += g;
        best = std::max(best, total);
    }
    return best;
}

// The line described at the top, its first column named `label` instead of ours (a benchmark of two
// ways of our own: `cached=… recomputed=…`). `other` names the second column.
inline void print_named_line(const std::string& name, int threads, const char* label, double ours, const char* other,
                             double theirs, double wall_ours, double wall_theirs, double cpu_ours, double cpu_theirs,
                             double load, const std::string& extra = "") {
    std::printf("bench %s threads=%d %s=%.0f %s=", name.c_str(), threads, label, ours, other);
    if (theirs > 0) std::printf("%.0f ratio=%.2f", theirs, ours / theirs);
    else std::printf("- ratio=-");
    std::printf(" wall_s=%.3f/", wall_ours);
    if (theirs > 0) std::printf("%.3f", wall_theirs);
    else std::printf("-");
    std::printf(" cpu_s=%.3f/", cpu_ours);
    if (theirs > 0) std::printf("%.3f", cpu_theirs);
    else std::printf("-");
    std::printf(" load=%.2f%s%s\n", load, extra.empty() ? "" : " ", extra.c_str());
    std::fflush(stdout);
}
// The line described at the top. `other` names the second column (pytorch, one_thread, ...).
inline void print_line(const std::string& name, int threads, double ours, const char* other, double theirs,
                       double wall_ours, double wall_theirs, double cpu_ours, double cpu_theirs, double load,
                       const std::string& extra = "") {
    print_named_line(name, threads, "ours", ours, other, theirs, wall_ours, wall_theirs, cpu_ours, cpu_theirs, load,
                     extra);
}

// Whether the processor has every one of these feature flags, as /proc/cpuinfo lists them (false
// when it cannot be read).
inline bool cpu_has_flags(std::initializer_list<const char*> wanted) {
    std::ifstream f("/proc/cpuinfo");
    std::string line, flags;
    while (std::getline(f, line))
        if (line.rfind("flags", 0) == 0) {
            flags = line + " ";
            break;
        }
    for (const char* x : wanted)
        if (flags.find(std::string(" ") + x + " ") == std::string::npos) return false;
    return true;
}
// What OpenBLAS's SkylakeX kernels and PyTorch's AVX-512 kernels need.
inline bool cpu_has_avx512() { return cpu_has_flags({"avx512f", "avx512vl", "avx512bw", "avx512dq"}); }

// OpenBLAS picks its kernels from the processor's model number, and falls back to old SSE3 ones
// ("Prescott", a third of the speed) on a model it does not know yet, as Debian 12's 0.3.21 does on
// recent Xeons. An OPENBLAS_CORETYPE left in the environment can hold it back too: a machine of
// stop 39 (a Zen 5 with AVX-512) had OPENBLAS_CORETYPE=Haswell set for every program, and PyTorch's
// products ran at half the speed of its SkylakeX kernels (chapter 02's step 339 samples/s against
// 433). A baseline on those kernels is not honest, so the benchmarks set it from the processor's
// features before OpenBLAS loads: SkylakeX (AVX-512) or Haswell (AVX2 + FMA), and say so when they
// replace another value. Returns the core set, or "" when the environment already had it (or none).
inline std::string choose_openblas_core() {
    const char* core = cpu_has_avx512()                 ? "SkylakeX"
                       : cpu_has_flags({"avx2", "fma"}) ? "Haswell"
                                                        : "";
    const char* before = std::getenv("OPENBLAS_CORETYPE");
    if (!*core || (before && std::string(before) == core)) return "";
    if (before) {
        std::printf("OPENBLAS_CORETYPE=%s in the environment replaced by %s, this CPU's fastest OpenBLAS kernels\n",
                    before, core);
        std::fflush(stdout);  // out before bench_matmul starts itself again (exec drops what is buffered)
    }
    setenv("OPENBLAS_CORETYPE", core, 1);
    return core;
}

// One run of a program: argv[0] is its path; stdout and stderr go to log_path.
struct RunResult {
    double wall = 0, cpu = 0;  // seconds: wall clock, and user + system of the child
    int exit_code = -1;        // -1: did not start or was killed by a signal
};
inline RunResult run_timed(const std::vector<std::string>& argv, const std::string& log_path) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    RunResult r;
    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0) return r;
    if (pid == 0) {
        if (FILE* f = std::freopen(log_path.c_str(), "w", stdout)) dup2(fileno(f), 2);
        execv(args[0], args.data());
        std::perror(args[0]);
        _exit(127);
    }
    int status = 0;
    rusage ru{};
    wait4(pid, &status, 0, &ru);
    r.wall = now_s() - t0;
    r.cpu = cpu_s(ru);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

// n processes that spin on the CPU (a student's browser, a compile, another training run) until
// stop() or until this process dies (PR_SET_PDEATHSIG), whichever comes first.
struct CompetingLoad {
    std::vector<pid_t> pids;
    void start(int n) {
        for (int i = 0; i < n; i++) {
            pid_t pid = fork();
            if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                volatile double x = 1.0;
                for (;;) x = x * 1.0000001 + 1e-9;
            }
            if (pid > 0) pids.push_back(pid);
        }
    }
    void stop() {
        for (pid_t p : pids) kill(p, SIGKILL);
        for (pid_t p : pids) waitpid(p, nullptr, 0);
        pids.clear();
    }
    ~CompetingLoad() { stop(); }
};

}  // namespace bench

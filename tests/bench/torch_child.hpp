// torch_child.hpp — a model's training step, ours beside the same model in PyTorch, in one run.
//
// PyTorch (Debian's python3-torch, /usr/bin/python3) runs the model in a script of
// data_tools/torch_bench/ (its protocol: serve.py), as a child process that answers "run N steps"
// requests, so the rounds alternate: ours, PyTorch in each configuration, ours, ... PyTorch runs in
// every configuration that can be its fastest — its threads sleeping at once between calls
// (`passive`), and with 2+ threads also its own loops on one thread beside OpenBLAS on all, whose
// threads spin (`blas`); on a CPU with AVX-512 each of these again with PyTorch's own AVX-512 kernels
// (`_avx512`: ATEN_CPU_CAPABILITY=avx512; PyTorch 1.13 picks its AVX2 ones by itself, and on the Zen 5
// of stop 39 the transformer's step ran 15 % faster on the AVX-512 ones, chapter 02's the same).
// The libraries' default, every thread spinning, is not among them: with one thread nothing waits
// (it is `passive`), and with two it lost to `passive` on every model tried (stop 42, two fresh
// processes each: the MLP 70-86 steps/s against 141-142, the transformer 2.0-2.4 against 4.7-4.9).
//
// Each configuration runs in kFresh fresh processes, and so does our step: two processes of one
// program do not run at one speed. On the Zen 5 VM of stop 42 the MLP's step ran at 111-150 steps/s in
// four PyTorch processes, and our own at 31,600-41,300 samples/s in six (medians of 5 rounds). Each
// side's number is its best process's: PyTorch's best of every process of every configuration, so the
// baseline is at its best, and ours the best of our kFresh. (Until stop 45 our side was the one process
// of the benchmark, against PyTorch's best of four or eight: the ratio leaned against us by up to that
// spread.) Our processes are forks of the benchmark, made after the model is built: each runs the same
// steps on the same weights, on its own copy of the memory, at the thread count asked for.
//
// A process's number is its median round. One `bench` line (bench_util.hpp) per call, each process's
// speed at its end (`ours_each=a/b`, `pytorch_passive=c/d`: one per process). Without PyTorch only
// our numbers are printed, and it says why.
//
// Each round starts on a quiet machine: the previous round's process must have stopped running
// first (quiet_others below), whichever side it was.
#pragma once
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <string>
#include <sys/wait.h>
#include <time.h>
#include <utility>
#include <unistd.h>
#include <vector>

#include "common/core/matmul.hpp"
#include "common/core/thread_pool.hpp"
#include "tests/bench/bench_util.hpp"

namespace bench {

// One PyTorch configuration: the script as a child, on two pipes.
struct TorchChild {
    pid_t pid = -1;
    FILE *to = nullptr, *from = nullptr;
    std::string name;   // passive or blas, with _avx512 for PyTorch's AVX-512 kernels
    std::string ready;  // its first line, or why it did not start
    std::vector<double> wall, cpu;

    bool start(const std::string& script, int threads, const std::string& how, bool avx512,
               const std::vector<int>& model_args) {
        name = avx512 ? how + "_avx512" : how;
        int in[2], out[2];
        // close-on-exec: the next child must not hold this one's pipes open (it would never see EOF)
        if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return false;
        std::vector<std::string> args = {"python3", ATTN_SOURCE_DIR "/data_tools/torch_bench/" + script,
                                         std::to_string(threads), how == "passive" ? "passive" : "spin",
                                         std::to_string(how == "blas" ? 1 : threads)};
        for (int a : model_args) args.push_back(std::to_string(a));
        // its environment: ours, with PyTorch's kernels named only for the AVX-512 configurations
        std::vector<std::string> env;
        for (char** e = environ; *e; e++)
            if (std::strncmp(*e, "ATEN_CPU_CAPABILITY=", 20) != 0) env.push_back(*e);
        if (avx512) env.push_back("ATEN_CPU_CAPABILITY=avx512");
        // both lists made here: the child of a process with threads only calls async-signal-safe functions
        std::vector<char*> argv, envp;
        for (auto& a : args) argv.push_back(a.data());
        for (auto& e : env) envp.push_back(e.data());
        argv.push_back(nullptr), envp.push_back(nullptr);
        pid = fork();
        if (pid == 0) {
            dup2(in[0], 0), dup2(out[1], 1), dup2(out[1], 2);
            execve("/usr/bin/python3", argv.data(), envp.data());
            const char msg[] = "cannot run /usr/bin/python3\n";  // write, not printf: async-signal-safe
            (void)!write(1, msg, sizeof msg - 1);
            _exit(127);
        }
        close(in[0]), close(out[1]);
        to = fdopen(in[1], "w"), from = fdopen(out[0], "r");
        char line[512] = "";
        while (std::fgets(line, sizeof line, from)) {  // a failed import prints a traceback: keep its last line
            ready = line;
            if (ready.rfind("ready", 0) == 0) break;
        }
        if (!ready.empty() && ready.back() == '\n') ready.pop_back();
        return ready.rfind("ready", 0) == 0;
    }
    bool round(int steps) {
        std::fprintf(to, "%d\n", steps);
        std::fflush(to);
        double w = 0, c = 0;
        if (std::fscanf(from, " wall=%lf cpu=%lf", &w, &c) != 2) return false;
        wall.push_back(w), cpu.push_back(c);
        return true;
    }
    void stop() {
        if (to) std::fclose(to);
        if (from) std::fclose(from);
        if (pid > 0) waitpid(pid, nullptr, 0);
        to = from = nullptr, pid = -1;
    }
};

// Our step in a process of its own: a fork of the benchmark, on `threads` threads, that answers each
// request "run N steps" (an int on one pipe) with their wall and CPU seconds (two doubles on the other),
// as a TorchChild's script does. It ends when its request pipe is closed.
struct OursChild {
    pid_t pid = -1;
    int to = -1, from = -1;
    std::vector<double> wall, cpu;

    int status = 0;  // as waitpid gives it, once stopped

    // warm: steps run first and not counted (the benchmark itself runs none: only its children measure)
    template <class Step>
    bool start(int threads, Step& step, int warm) {
        int in[2], out[2];
        // close-on-exec: PyTorch's children, started after this one, must not hold its pipes open
        if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return false;
        std::fflush(nullptr);  // nothing buffered is written twice
        pid = fork();
        if (pid == 0) {
            // an earlier OursChild's pipes, inherited: closed, so that its end of file is seen
            for (int fd = 3; fd < 1024; fd++)
                if (fd != in[0] && fd != out[1]) close(fd);
            try {
                attn::set_threads(threads);  // a fork has no workers (thread_pool.cpp): a fresh pool
                for (int i = 0; i < warm; i++) step();  // its own copies of the pages it writes, its caches
                int n = 0;
                while (read(in[0], &n, sizeof n) == (ssize_t)sizeof n) {
                    const double w0 = now_s(), c0 = self_cpu_s();
                    for (int i = 0; i < n; i++) step();
                    const double r[2] = {now_s() - w0, self_cpu_s() - c0};
                    if (write(out[1], r, sizeof r) != (ssize_t)sizeof r) break;
                }
            } catch (const std::exception& e) {
                std::fprintf(stderr, "bench: our step failed: %s\n", e.what());
                _exit(1);
            }
            _exit(0);
        }
        close(in[0]), close(out[1]);
        to = in[1], from = out[0];
        if (pid < 0) stop();
        return pid > 0;
    }
    bool round(int steps) {
        double r[2];
        if (write(to, &steps, sizeof steps) != (ssize_t)sizeof steps || read(from, r, sizeof r) != (ssize_t)sizeof r)
            return false;
        wall.push_back(r[0]), cpu.push_back(r[1]);
        return true;
    }
    void stop() {
        if (to >= 0) close(to);
        if (from >= 0) close(from);
        if (pid > 0) waitpid(pid, &status, 0);
        to = from = -1, pid = -1;
    }
    // how a stopped process ended, for an error line
    std::string ending() const {
        if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
        return "exit status " + std::to_string(WEXITSTATUS(status));
    }
};

// CPU seconds that process `pid` has run so far, all its threads (nanoseconds, not clock ticks).
inline double process_cpu_s(pid_t pid) {
    clockid_t id;
    timespec ts{};
    if (clock_getcpuclockid(pid, &id) != 0 || clock_gettime(id, &ts) != 0) return -1;
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

// Wait until none of the benchmark's children but `except` runs: their CPU time grows by under 0.5 ms
// in 10 ms (at most 2 s). Rounds take turns, and a round must not share the cores with the previous
// one's leftovers: after PyTorch's last call its OpenBLAS threads keep spinning for up to 2^28
// cycles (about 0.1 s), and in chapter 03's two-thread bench they took 0.01–0.05 s of CPU during
// each of our 0.25 s rounds that followed. Our own workers spin at most 2 ms and yield
// (thread_pool.cpp).
inline void quiet_others(const std::vector<pid_t>& children, pid_t except = -1) {
    auto busy = [&] {
        double s = 0;
        for (pid_t p : children)
            if (p != except && p > 0) s += std::max(0.0, process_cpu_s(p));
        return s;
    };
    double before = busy();
    for (int i = 0; i < 200; i++) {
        usleep(10000);
        double after = busy();
        if (after - before < 0.0005) return;
        before = after;
    }
}

// Starts every process of `ours` (false, and none left running, when one could not start).
template <class Step>
bool start_ours(std::vector<OursChild>& ours, int threads, Step& step, int warm) {
    for (auto& o : ours)
        if (!o.start(threads, step, warm)) {
            for (auto& p : ours) p.stop();
            return false;
        }
    return true;
}
// The process with the least median round: each side's number (OursChild or TorchChild)
template <class Child>
const Child* fastest(const std::vector<Child>& procs) {
    const Child* best = &procs[0];
    for (const Child& p : procs)
        if (median(p.wall) < median(best->wall)) best = &p;
    return best;
}

// `rounds` alternating rounds of `steps` steps of batch `batch`: ours_step() (one training step of ours;
// the caller need not warm it: each process runs a round first, not counted) in kFresh processes on
// `threads` threads, beside `script` with `model_args`; prints the `bench NAME` line.
template <class Step>
void compare_with_torch(const std::string& name, int threads, int batch, int steps, int rounds, Step ours_step,
                        const std::string& script, const std::vector<int>& model_args) {
    const int kFresh = 2;  // processes of each side's every configuration (see the top)
    // a child that died makes a write to its pipe fail (EPIPE, then the error below) instead of ending the
    // benchmark with SIGPIPE
    std::signal(SIGPIPE, SIG_IGN);
    const long long f0 = attn::matmul_flops();
    ours_step();  // one more step, here, to count its matrix products' FLOPs
    const double step_flops = (double)(attn::matmul_flops() - f0);
    // ours first: forked before PyTorch's children exist, so they inherit none of their pipes
    std::vector<OursChild> ours(kFresh);
    if (!start_ours(ours, threads, ours_step, std::max(3, steps))) {  // each warmed by a round not counted
        std::printf("bench %s error: could not start a process of our step\n", name.c_str());
        return;
    }
    // every PyTorch configuration (see the top): how its threads wait, and whether on its AVX-512 kernels
    std::vector<std::pair<std::string, bool>> configs;
    for (bool avx512 : {false, true})
        if (!avx512 || cpu_has_avx512())
            for (const char* how : {"passive", "blas"})
                if (threads > 1 || std::string(how) != "blas")
                    for (int f = 0; f < kFresh; f++) configs.push_back({how, avx512});
    std::vector<TorchChild> torch(configs.size());
    bool have = true;
    size_t k = 0;
    for (; k < torch.size() && have; k++) have = torch[k].start(script, threads, configs[k].first, configs[k].second,
                                                               model_args);
    if (!have)
        std::printf("PyTorch did not start (%s): our numbers only (Debian: apt-get install python3-torch)\n",
                    torch[k - 1].ready.empty() ? "no output" : torch[k - 1].ready.c_str());
    else
        for (size_t c = 0; c < torch.size(); c++)  // the first configuration's, and the first on AVX-512 kernels
            if (c == 0 || (configs[c].second && !configs[c - 1].second))
                std::printf("PyTorch %s%s\n", configs[c].second ? "(_avx512) " : "", torch[c].ready.c_str());
    std::vector<pid_t> children;
    for (const auto& o : ours) children.push_back(o.pid);
    for (const auto& t : torch) children.push_back(t.pid);
    bool ran = true;
    for (int r = 0; r < rounds && ran; r++) {
        for (auto& o : ours) {
            quiet_others(children, o.pid);
            ran = ran && o.round(steps);
        }
        for (auto& t : torch) {
            quiet_others(children, t.pid);
            have = have && t.round(steps);
        }
    }
    for (auto& o : ours) o.stop();
    for (auto& t : torch) t.stop();
    if (!ran) {  // the process that failed a round: its ending (a message of its own, if any, is above)
        std::string how;
        for (const auto& o : ours)
            if (o.status != 0) how = o.ending();
        std::printf("bench %s error: a process of our step stopped (%s)\n", name.c_str(),
                    how.empty() ? "no answer" : how.c_str());
        return;
    }
    const double la = load_average(), samples = (double)steps * batch;
    // each side's best process, and every process's samples/s: ours_each=a/b pytorch_NAME=c/d ...
    const OursChild* mine = fastest(ours);
    const TorchChild* best = have ? fastest(torch) : nullptr;
    std::string each = "ours_each=";
    for (size_t c = 0; c < ours.size(); c++) {
        if (c) each += "/";
        each += std::to_string(std::lround(samples / median(ours[c].wall)));
    }
    for (size_t c = 0; c < torch.size() && have; c++) {
        const bool first = c == 0 || torch[c - 1].name != torch[c].name;
        each += (first ? " pytorch_" + torch[c].name + "=" : "/") +
                std::to_string(std::lround(samples / median(torch[c].wall)));
    }
    const double w_ours = median(mine->wall), w_torch = have ? median(best->wall) : 0;
    // our step's matrix products in GFLOP/s, beside the FMA peak of this many threads
    char gf[96];
    const double gflops = step_flops * steps / w_ours / 1e9, peak = fma_peak_gflops(threads);
    std::snprintf(gf, sizeof gf, " gflops=%.1f peak=%.0f peak_share=%.0f%%", gflops, peak, 100 * gflops / peak);
    each += gf;
    print_line(name, threads, samples / w_ours, "pytorch", have ? samples / w_torch : 0, w_ours, w_torch,
               median(mine->cpu), have ? median(best->cpu) : 0, la, each);
}

}  // namespace bench

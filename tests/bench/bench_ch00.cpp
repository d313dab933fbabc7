// bench_ch00 — chapter 00's MLP training step, ours beside PyTorch's, in one run.
//
// One step = forward + backward + Adam on a batch of 128 (the chapter's default shapes). PyTorch
// (Debian's python3-torch, /usr/bin/python3) runs the same model in data_tools/torch_bench/mlp.py,
// a child process that answers "run N steps" requests, so the rounds alternate: ours, PyTorch
// (its threads spinning between calls, the libraries' default), PyTorch (its threads sleeping at
// once), ours, ... Each side's number is the median round; PyTorch's is the fastest of its
// configurations: both waiting policies, and with 2+ threads also PyTorch's own loops on one thread
// beside OpenBLAS on all (`blas`: on 2 cores its fastest). mlp.py sets OPENBLAS_NUM_THREADS and OMP_NUM_THREADS before it imports torch:
// torch.set_num_threads alone leaves OpenBLAS on every core; and OpenBLAS gets the kernels the
// processor can run (bench_util.hpp: choose_openblas_core). One line per thread count:
//   bench mlp threads=N ours=<samples/s> pytorch=<samples/s> ratio=… wall_s=… cpu_s=… load=…
// (the shape of bench_util.hpp). Without PyTorch only our numbers are printed, and it says why.
#include <cstdio>
#include <fcntl.h>
#include <string>
#include <vector>

#include "chapters/00_foundations/mlp.hpp"
#include "common/core/thread_pool.hpp"
#include "common/nn/optim.hpp"
#include "tests/bench/bench_util.hpp"

using namespace attn;
using namespace ch00;

namespace {

const int kBatch = 128, kHidden = 1024, kSteps = 40, kRounds = 5;

// Our side: the chapter's model and step, timed in rounds of kSteps.
struct Ours {
    Rng rng{0};
    MLPConfig cfg;
    MLP m;
    Adam opt;
    MLPActs a;
    Buf x;
    std::vector<int> y;
    Ours() {
        cfg.H = kHidden;
        mlp_init(m, cfg, rng);
        opt = make_adam(m.params, 1e-3f);
        a.resize(kBatch, cfg);
        x.resize((size_t)kBatch * cfg.D);
        y.resize(kBatch);
        for (auto& v : x) v = rng.uniform();
        for (auto& v : y) v = (int)rng.below(10);
    }
    void step() {
        mlp_forward(m, a, x.data(), y.data(), kBatch, rng, true);
        m.params.zero_grad();
        mlp_backward(m, a, x.data(), y.data(), kBatch);
        opt.step(m.params);
    }
    void round(std::vector<double>& wall, std::vector<double>& cpu) {
        double w0 = bench::now_s(), c0 = bench::self_cpu_s();
        for (int i = 0; i < kSteps; i++) step();
        wall.push_back(bench::now_s() - w0);
        cpu.push_back(bench::self_cpu_s() - c0);
    }
};

// PyTorch's side: mlp.py as a child, on two pipes.
struct Torch {
    pid_t pid = -1;
    FILE *to = nullptr, *from = nullptr;
    std::string ready;  // its first line, or why it did not start
    std::vector<double> wall, cpu;

    std::string name;  // spin, passive or blas (intra-op 1)
    bool start(int threads, const std::string& how) {
        name = how;
        const char* wait = how == "passive" ? "passive" : "spin";
        const int intra_op = how == "blas" ? 1 : threads;
        int in[2], out[2];
        // close-on-exec: the next child must not hold this one's pipes open (it would never see EOF)
        if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return false;
        pid = fork();
        if (pid == 0) {
            dup2(in[0], 0), dup2(out[1], 1), dup2(out[1], 2);
            close(in[1]), close(out[0]);
            std::string t = std::to_string(threads), b = std::to_string(kBatch), h = std::to_string(kHidden),
                        i = std::to_string(intra_op);
            const char* script = ATTN_SOURCE_DIR "/data_tools/torch_bench/mlp.py";
            execl("/usr/bin/python3", "python3", script, t.c_str(), b.c_str(), h.c_str(), wait, i.c_str(), (char*)nullptr);
            std::printf("cannot run /usr/bin/python3\n");
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
    bool round() {
        std::fprintf(to, "%d\n", kSteps);
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

void bench_threads(int threads) {
    set_threads(threads);
    Ours ours;
    for (int i = 0; i < 10; i++) ours.step();  // warm up
    std::vector<Torch> torch(threads > 1 ? 3 : 2);
    const char* how[] = {"spin", "passive", "blas"};
    bool have = true;
    for (size_t k = 0; k < torch.size() && have; k++) have = torch[k].start(threads, how[k]);
    if (!have)
        std::printf("PyTorch did not start (%s): our numbers only (Debian: apt-get install python3-torch)\n",
                    torch.back().ready.empty() ? "no output" : torch.back().ready.c_str());
    else
        std::printf("PyTorch %s\n", torch[0].ready.c_str());
    std::vector<double> wall, cpu;
    for (int r = 0; r < kRounds; r++) {
        ours.round(wall, cpu);
        for (auto& t : torch) have = have && t.round();
    }
    const double la = bench::load_average();
    const double samples = (double)kSteps * kBatch;
    Torch* best = &torch[0];
    std::string each;
    for (auto& t : torch) {
        t.stop();
        if (!have) continue;
        if (bench::median(t.wall) < bench::median(best->wall)) best = &t;
        each += (each.empty() ? "pytorch_" : " pytorch_") + t.name + "=" +
                std::to_string((int)(samples / bench::median(t.wall)));
    }
    const double w_ours = bench::median(wall), w_torch = have ? bench::median(best->wall) : 0;
    bench::print_line("mlp", threads, samples / w_ours, "pytorch", have ? samples / w_torch : 0, w_ours, w_torch,
                      bench::median(cpu), have ? bench::median(best->cpu) : 0, la, each);
}

}  // namespace

int main() {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    bench::choose_openblas_core();  // for PyTorch's OpenBLAS, inherited by mlp.py
    std::printf("chapter 00 MLP training step (784-%d-10, batch %d, Adam): training samples per second, medians of %d\n"
                "alternating rounds of %d steps; wall_s and cpu_s per round: ours/PyTorch\n",
                kHidden, kBatch, kRounds, kSteps);
    for (int t : {1, 2}) bench_threads(t);
    return 0;
}

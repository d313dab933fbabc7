// bench_ch00 — training steps per second of chapter 00's MLP, ours beside PyTorch's, in one run.
//
// One step = forward + backward + Adam on a batch of 128 (the chapter's default shapes).
// PyTorch (Debian's python3-torch, /usr/bin/python3) runs the same model through
// data_tools/torch_bench/mlp.py when it is installed; otherwise only our numbers are printed.
#include <chrono>
#include <cstdio>
#include <string>

#include "chapters/00_foundations/mlp.hpp"
#include "common/nn/optim.hpp"
#include "common/core/thread_pool.hpp"

using namespace attn;
using namespace ch00;

static double our_steps_per_s(int threads, int B, int H, int steps) {
    set_threads(threads);
    Rng rng(0);
    MLPConfig cfg;
    cfg.H = H;
    MLP m;
    mlp_init(m, cfg, rng);
    Adam opt = make_adam(m.params, 1e-3f);
    MLPActs a;
    a.resize(B, cfg);
    Buf x((size_t)B * cfg.D);
    std::vector<int> y(B);
    for (auto& v : x) v = rng.uniform();
    for (auto& v : y) v = (int)rng.below(10);
    auto step = [&] {
        mlp_forward(m, a, x.data(), y.data(), B, rng, true);
        m.params.zero_grad();
        mlp_backward(m, a, x.data(), y.data(), B);
        opt.step(m.params);
    };
    for (int i = 0; i < 20; i++) step();  // warm up
    double best = 0;
    for (int rep = 0; rep < 3; rep++) {
        auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < steps; i++) step();
        best = std::max(best, steps / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
}

static double torch_steps_per_s(int threads, int B, int H, int steps) {
    std::string cmd = "/usr/bin/python3 " ATTN_SOURCE_DIR "/data_tools/torch_bench/mlp.py " + std::to_string(threads) +
                      " " + std::to_string(B) + " " + std::to_string(H) + " " + std::to_string(steps) + " 2>/dev/null";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return 0;
    double v = 0;
    if (std::fscanf(p, "steps_per_s=%lf", &v) != 1) v = 0;
    pclose(p);
    return v;
}

int main() {
    const int B = 128, H = 1024, steps = 100;
    double la[3] = {0, 0, 0};
    if (FILE* f = std::fopen("/proc/loadavg", "r")) {
        if (std::fscanf(f, "%lf %lf %lf", &la[0], &la[1], &la[2]) != 3) la[0] = -1;
        std::fclose(f);
    }
    std::printf("chapter 00 MLP training step (784-%d-10, batch %d, Adam), load average %.2f\n", H, B, la[0]);
    std::printf("%-8s %14s %16s %8s\n", "threads", "ours steps/s", "PyTorch steps/s", "ratio");
    for (int t : {1, 2}) {
        double ours = our_steps_per_s(t, B, H, steps);
        double torch = torch_steps_per_s(t, B, H, steps);
        if (torch > 0) std::printf("%-8d %14.1f %16.1f %7.2fx\n", t, ours, torch, ours / torch);
        else std::printf("%-8d %14.1f %16s %8s\n", t, ours, "(no torch)", "-");
    }
    return 0;
}

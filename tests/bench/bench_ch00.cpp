// bench_ch00 — chapter 00's MLP training step, ours beside PyTorch's, in one run.
//
// One step = forward + backward + Adam on a batch of 128 (the chapter's default shapes). PyTorch runs
// the same model in data_tools/torch_bench/mlp.py, in alternating rounds, in each configuration that
// can be its fastest (tests/bench/torch_child.hpp; its threads and waiting: serve.py). One line per
// thread count:
//   bench mlp threads=N ours=<samples/s> pytorch=<samples/s> ratio=… wall_s=… cpu_s=… load=…
//     pytorch_passive=<each process> …
#include <cstdio>
#include <string>
#include <vector>

#include "chapters/00_foundations/mlp.hpp"
#include "common/core/thread_pool.hpp"
#include "common/nn/optim.hpp"
#include "tests/bench/torch_child.hpp"

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
};

void bench_threads(int threads) {
    set_threads(threads);
    Ours ours;
    bench::compare_with_torch("mlp", threads, kBatch, kSteps, kRounds, [&] { ours.step(); }, "mlp.py",
                              {kBatch, kHidden});
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

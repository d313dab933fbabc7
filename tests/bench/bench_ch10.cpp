// bench_ch10 — chapter 10's training step (the recurrent attention model, REINFORCE), ours beside
// PyTorch's.
//
// One step = fresh policy noise ε (T,B,2) + ram_forward (T glimpses: location net μ_t, baseline b_t,
// the sampled l_t, the glimpse sensor and network, the relu core; the action net after the last; the
// three losses: cross-entropy, REINFORCE's policy term, the baseline's regression) + zero_grad +
// ram_backward (λ_policy = λ_baseline = 1) + clipping at 5 + Adam (lr 1e-3), as
// chapters/10_recurrent_attention/train.hpp does (without its schedule, which only sets lr), with the
// chapter's default model (translated60: 60×60 canvases, T 6 glimpses of 3 scales of 12×12, Dg = Dl =
// 128, G = C = 256, σ 0.2, relu core, the policy gradient detached from the core) on a batch of 64
// canvases, each a 28×28 square of random values at a random place (translated60's shape; the values
// do not change the work). PyTorch (Debian's python3-torch) runs the same model in
// data_tools/torch_bench/ram.py: the same sampling and the same three losses, REINFORCE written as the
// surrogate loss −(1/B) Σ log π(l|μ)·(R − b) with R − b detached, whose gradient is exactly ours (not an
// approximation); the sensor gathers each patch from a zero-padded copy and averages it with
// F.avg_pool2d (ours loops over the blocks). Alternating rounds, in each configuration that can be its
// fastest (torch_child.hpp); each side's number is its median round. What differs: the images, the
// noise and the initial weights (drawn alike, not the same); autograd also differentiates the tanh
// and the log-probability where ours writes their derivatives out. One line per thread count:
//   bench ch10_ram threads=N ours=<samples/s> pytorch=<samples/s> ratio=… wall_s=… cpu_s=… load=…
#include <cmath>
#include <cstdio>
#include <vector>

#include "chapters/10_recurrent_attention/ram_model.hpp"
#include "chapters/10_recurrent_attention/train.hpp"
#include "common/core/thread_pool.hpp"
#include "common/nn/optim.hpp"
#include "tests/bench/torch_child.hpp"

using namespace attn;
using namespace ch10;

namespace {

const int kBatch = 64, kDigit = 28, kSteps = 10, kRounds = 5;
const float kLr = 1e-3f;  // main.cpp's --lr

struct Ours {
    Rng rng{0};
    RAM m;  // its Tensors point into its ParamSet: built in place, never copied
    RAMActs acts;
    Adam opt;
    TrainOptions o;      // λ_policy = λ_baseline = 1, clip 5: the chapter's defaults
    Buf x, eps;          // x (B,H,W), ε (T,B,2)
    std::vector<int> y;  // (B)
    explicit Ours(const RAMConfig& c) : x((size_t)kBatch * c.H * c.W, 0.0f), eps((size_t)c.T * kBatch * 2), y(kBatch) {
        ram_init(m, c, rng);
        acts.resize(kBatch, c);
        opt = make_adam(m.params, kLr);
        for (int b = 0; b < kBatch; b++) {  // a 28×28 "digit" at a random place of the black canvas
            const int r0 = (int)rng.below(c.H - kDigit + 1), c0 = (int)rng.below(c.W - kDigit + 1);
            for (int r = 0; r < kDigit; r++)
                for (int col = 0; col < kDigit; col++) x[((size_t)b * c.H + r0 + r) * c.W + c0 + col] = rng.uniform();
            y[b] = (int)rng.below(c.V);
        }
    }
    void step() {
        for (float& e : eps) e = rng.normal();                             // the policy's noise
        ram_forward(m, acts, x.data(), y.data(), kBatch, eps.data());      // forward, the three losses
        m.params.zero_grad();                                              // zero grads
        ram_backward(m, acts, y.data(), kBatch, o.w_policy, o.w_baseline);  // backward
        clip_grad_norm(m.params, o.clip);                                  // clip
        opt.step(m.params);                                                // step
    }
};

}  // namespace

int main() {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    bench::choose_openblas_core();  // for PyTorch's OpenBLAS, inherited by ram.py
    RAMConfig c;  // the defaults are translated60's: 60×60, g 12, k 3, T 6, C = G = 256, σ 0.2, relu core
    std::printf("chapter 10 recurrent attention model training step (%dx%d, T %d glimpses of %d scales of %dx%d, Dg %d, "
                "Dl %d, G %d, C %d, sigma %g; batch %d; REINFORCE + baseline, Adam lr %g, clip 5): training samples "
                "per second, medians of %d rounds of %d steps\n",
                c.H, c.W, c.T, c.k, c.g, c.g, c.Dg, c.Dl, c.G, c.C, c.sigma, kBatch, kLr, kRounds, kSteps);
    for (int threads : {1, 2}) {
        set_threads(threads);
        Ours ours(c);
        bench::compare_with_torch("ch10_ram", threads, kBatch, kSteps, kRounds, [&] { ours.step(); }, "ram.py",
                                  {kBatch, c.H, c.g, c.k, c.T, c.Dg, c.Dl, c.G, c.C, c.V,
                                   (int)std::lround(100 * c.sigma)});
    }
    return 0;
}

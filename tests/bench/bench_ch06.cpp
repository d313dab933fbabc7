// bench_ch06 — chapter 06's training step (the self-attention classifier), ours beside PyTorch's.
//
// One step = forward + backward + gradient clipping + Adam on a batch of 32 AG-News-sized texts
// (T = 12 tokens, valid lengths 6..12, a vocabulary of 4,709 words: the chapter's default run), with the
// chapter's default model: width 64, 4 heads, feed-forward 128, 2 pre-norm encoder layers, learned
// positions, dropout 0.3, attention pooling and a two-layer head. PyTorch (Debian's python3-torch) runs
// the same model in data_tools/torch_bench/encoder.py (nn.TransformerEncoderLayer, norm_first), in
// alternating rounds, in each configuration that can be its fastest (tests/bench/torch_child.hpp);
// each side's number is its median round. One line per thread count, in the shape of bench_util.hpp:
//   bench self_attention threads=N ours=<samples/s> pytorch=<samples/s> ratio=… wall_s=… cpu_s=… load=…
#include <cstdio>
#include <string>
#include <vector>

#include "chapters/06_self_attention/encoder_classifier.hpp"
#include "common/core/thread_pool.hpp"
#include "common/nn/optim.hpp"
#include "tests/bench/torch_child.hpp"

using namespace attn;
using namespace ch06;

namespace {

const int kBatch = 32, kT = 12, kV = 4709, kSteps = 40, kRounds = 5;

struct Ours {
    Rng rng{0};
    Classifier m;
    Adam opt;
    ClassifierActs acts;
    std::vector<int> ids, len, y;
    Ours() {
        ModelConfig cfg;
        cfg.V = kV, cfg.K = 4, cfg.Tmax = kT, cfg.dropout = 0.3f, cfg.pos = PosKind::Learned, cfg.norm = NormPlace::Pre;
        classifier_init(m, cfg, rng, 0.1f);
        opt = make_adam(m.params, 1e-3f);
        ids.assign((size_t)kBatch * kT, 0), len.resize(kBatch), y.resize(kBatch);
        for (int b = 0; b < kBatch; b++) {
            len[b] = rng.randint(kT / 2, kT), y[b] = (int)rng.below(4);
            for (int t = 0; t < len[b]; t++) ids[(size_t)b * kT + t] = rng.randint(4, kV - 1);
        }
    }
    void step() {
        classifier_forward(m, acts, ids.data(), len.data(), y.data(), kBatch, kT, rng, true);
        m.params.zero_grad();
        classifier_backward(m, acts, ids.data(), y.data(), kBatch, kT);
        clip_grad_norm(m.params, 1.0f);
        opt.step(m.params);
    }
};

void bench_threads(int threads) {
    set_threads(threads);
    Ours ours;
    bench::compare_with_torch("self_attention", threads, kBatch, kSteps, kRounds, [&] { ours.step(); }, "encoder.py", {kBatch, kT, kV});
}

}  // namespace

int main() {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    bench::choose_openblas_core();  // for PyTorch's OpenBLAS, inherited by encoder.py
    std::printf("chapter 06 self-attention classifier training step (V %d, T %d, C 64, 4 heads, 2 pre-norm layers, "
                "batch %d, Adam): training samples per second, medians of %d rounds of %d steps\n",
                kV, kT, kBatch, kRounds, kSteps);
    for (int t : {1, 2}) bench_threads(t);
    return 0;
}

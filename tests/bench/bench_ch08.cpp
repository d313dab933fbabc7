// bench_ch08 — chapter 08's training step (the Vision Transformer), ours beside PyTorch's.
//
// One step = forward + backward + gradient clipping + AdamW on a batch of 128 random 28x28 images, with
// the chapter's default model: patch 7 (16 patches + the class token), width 64, 6 pre-norm encoder layers,
// 4 heads, feed-forward 128, dropout 0.1, the tanh head; then Fashion-MNIST's default, the hybrid (a 3x3
// conv with 16 maps + ReLU under the patches, dropout 0). PyTorch (Debian's python3-torch) runs the same
// model in data_tools/torch_bench/vit.py (a stride-7 Conv2d as the patch embedding,
// nn.TransformerEncoderLayer with norm_first), in alternating rounds, in each configuration that can be
// its fastest (tests/bench/torch_child.hpp); each side's number is its median round. One line per thread
// count, in the shape of bench_util.hpp:
//   bench vision_transformer[_hybrid] threads=N ours=<samples/s> pytorch=<samples/s> ratio=… wall_s=…
//         cpu_s=… load=…
#include <cmath>
#include <cstdio>
#include <vector>

#include "chapters/08_vision_transformer/train.hpp"
#include "common/core/thread_pool.hpp"
#include "common/nn/optim.hpp"
#include "tests/bench/torch_child.hpp"

using namespace attn;
using namespace ch08;

namespace {

const int kBatch = 128, kSteps = 10, kRounds = 5;

struct Ours {
    Rng rng{0};
    ViT m;
    Adam opt;
    ViTActs acts;
    Buf x;
    std::vector<int> y;
    explicit Ours(const ViTConfig& c) {
        vit_init(m, c, rng);
        opt = make_adamw(m.params, 1e-3f, 0.05f);
        x.resize((size_t)kBatch * 28 * 28), y.resize(kBatch);
        for (float& v : x) v = rng.uniform();
        for (int& v : y) v = (int)rng.below(10);
    }
    void step() {
        vit_forward(m, acts, x.data(), y.data(), kBatch, rng, true);
        m.params.zero_grad();
        vit_backward(m, acts, y.data(), kBatch);
        clip_grad_norm(m.params, 1.0f);
        opt.step(m.params);
    }
};

ViTConfig hybrid() {  // Fashion-MNIST's default (main.cpp, apply_data_defaults)
    ViTConfig c;
    c.S = 16, c.dropout = 0.0f;
    return c;
}

void bench_threads(const char* name, const ViTConfig& c, int threads) {
    set_threads(threads);
    Ours ours(c);
    bench::compare_with_torch(name, threads, kBatch, kSteps, kRounds, [&] { ours.step(); }, "vit.py",
                              {kBatch, c.P, c.C, c.L, c.NH, c.F, c.S, (int)std::lround(c.dropout * 100)});
}

}  // namespace

int main() {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    bench::choose_openblas_core();  // for PyTorch's OpenBLAS, inherited by vit.py
    const ViTConfig c;
    std::printf("chapter 08 vision transformer training step (28x28, patch %d, C %d, %d heads, %d pre-norm layers, "
                "FFN %d, batch %d, AdamW): training samples per second, medians of %d rounds of %d steps\n",
                c.P, c.C, c.NH, c.L, c.F, kBatch, kRounds, kSteps);
    for (int t : {1, 2}) bench_threads("vision_transformer", ViTConfig{}, t);
    for (int t : {1, 2}) bench_threads("vision_transformer_hybrid", hybrid(), t);
    return 0;
}

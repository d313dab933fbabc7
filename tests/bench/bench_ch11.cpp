// bench_ch11 — chapter 11's training steps (the plain CNN, the CNN + SE, the CNN + CBAM), ours beside
// PyTorch's.
//
// One step = forward + backward + gradient clipping + AdamW on a batch of 128 random 28×28 images, with
// the chapter's default model (three stages of 24, 48, 96 channels, one conv–BN–relu block each, the
// attention module after it, flatten head; reduction 8). PyTorch (Debian's python3-torch) runs the same
// models in data_tools/torch_bench/cnn_attention.py, in alternating rounds, in each configuration that
// can be its fastest (tests/bench/torch_child.hpp); each side's number is its median round. One line
// per model and thread count, in the shape of bench_util.hpp:
//   bench cnn_se threads=N ours=<samples/s> pytorch=<samples/s> ratio=… wall_s=… cpu_s=… load=…
#include <cstdio>
#include <string>
#include <vector>

#include "chapters/11_attention_in_cnns/cnn_model.hpp"
#include "chapters/11_attention_in_cnns/train.hpp"
#include "common/core/thread_pool.hpp"
#include "common/nn/optim.hpp"
#include "tests/bench/torch_child.hpp"

using namespace attn;
using namespace ch11;

namespace {

const int kBatch = 128, kSteps = 4, kRounds = 5;
const int kWidths[3] = {24, 48, 96}, kReduction = 8;

struct Ours {
    Rng rng{0};
    CNN m;
    Adam opt;
    CNNActs acts;
    Buf x;
    std::vector<int> y;
    explicit Ours(Attention kind) {
        CNNConfig c;
        c.attention = kind, c.reduction = kReduction;
        for (int s = 0; s < 3; s++) c.width[s] = kWidths[s];
        cnn_init(m, c, rng);
        opt = make_adamw(m.params, 1e-3f, 5e-4f);
        acts.resize(kBatch, c);
        x.resize((size_t)kBatch * 28 * 28), y.resize(kBatch);
        for (float& v : x) v = rng.uniform();
        for (int& v : y) v = (int)rng.below(10);
    }
    void step() {
        cnn_forward(m, acts, x.data(), y.data(), kBatch, true);
        m.params.zero_grad();
        cnn_backward(m, acts, x.data(), y.data(), kBatch);
        clip_grad_norm(m.params, 5.0f);
        opt.step(m.params);
    }
};

void bench_threads(int threads) {
    set_threads(threads);
    for (Attention kind : {Attention::None, Attention::SE, Attention::CBAM}) {
        Ours ours(kind);
        const std::string name = std::string("cnn_") + attention_key(kind);
        bench::compare_with_torch(name, threads, kBatch, kSteps, kRounds, [&] { ours.step(); }, "cnn_attention.py",
                                  {kBatch, (int)kind, kWidths[0], kWidths[1], kWidths[2], kReduction});
    }
}

}  // namespace

int main() {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    bench::choose_openblas_core();  // for PyTorch's OpenBLAS, inherited by cnn_attention.py
    std::printf("chapter 11 CNN training steps (Fashion-MNIST-sized 28x28 inputs, stages %d/%d/%d, batch %d, AdamW): "
                "training samples per second, medians of %d rounds of %d steps\n",
                kWidths[0], kWidths[1], kWidths[2], kBatch, kRounds, kSteps);
    for (int t : {1, 2}) bench_threads(t);
    return 0;
}

// bench_ch05 — chapter 05's training step (BiGRU + attention pooling), ours beside PyTorch's.
//
// One step = forward + backward + gradient clipping + Adam on a batch of 64 titles of 12 words,
// each word the mean of 13 embedding rows (its word id and 12 character n-gram buckets), with the
// chapter's default sizes (E = H = 96, A = M = 64, 5,000 words + 20,000 buckets). PyTorch (Debian's
// python3-torch, /usr/bin/python3) runs the same model in data_tools/torch_bench/ch05_classifier.py,
// in alternating rounds, in each configuration that can be its fastest (tests/bench/torch_child.hpp).
// One line per thread count, the shape of bench_util.hpp:
//   bench ch05_attention threads=N ours=<samples/s> pytorch=<samples/s> ratio=… wall_s=… cpu_s=… load=…
#include <cstdio>
#include <string>
#include <vector>

#include "chapters/05_attention_classifier/classifier_model.hpp"
#include "common/core/thread_pool.hpp"
#include "common/nn/optim.hpp"
#include "tests/bench/torch_child.hpp"

using namespace attn;
using namespace ch05;

namespace {

const int kBatch = 64, kWords = 12, kNgrams = 12, kVocab = 5000, kBuckets = 20000, kSteps = 10, kRounds = 5;

struct Ours {
    Rng rng{0};
    Classifier m;
    ClassifierActs a;
    Adam opt;
    TextBatch tb;
    Ours() {
        ClassifierConfig c;
        c.Vi = kVocab + kBuckets, c.V = 4, c.E = 96, c.H = 96, c.A = 64, c.M = 64;
        c.emb_dropout = c.dropout = 0.5f;
        classifier_build(m, c, rng);
        opt = make_adam(m.params, 2e-3f);
        tb.B = kBatch, tb.T = kWords;
        tb.offsets.assign(1, 0);
        for (int n = 0; n < kBatch * kWords; n++) {
            tb.ids.push_back((int)rng.below(kVocab));
            for (int g = 0; g < kNgrams; g++) tb.ids.push_back(kVocab + (int)rng.below(kBuckets));
            tb.offsets.push_back((int)tb.ids.size());
        }
        tb.lengths.assign(kBatch, kWords);
        for (int b = 0; b < kBatch; b++) tb.labels.push_back((int)rng.below(4));
        classifier_reserve(a, c, kBatch, kWords);
    }
    void step() {
        classifier_forward(m, a, tb, rng, true);
        m.params.zero_grad();
        classifier_backward(m, a, tb);
        clip_grad_norm(m.params, 5.0f);
        opt.step(m.params);
    }
};

void bench_threads(int threads) {
    set_threads(threads);
    Ours ours;
    bench::compare_with_torch("ch05_attention", threads, kBatch, kSteps, kRounds, [&] { ours.step(); }, "ch05_classifier.py", {kBatch, kWords});
}

}  // namespace

int main() {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    bench::choose_openblas_core();  // for PyTorch's OpenBLAS, inherited by the script
    std::printf(
        "chapter 05 BiGRU + attention pooling training step (batch %d titles of %d words, %d ids a word, "
        "Adam): training samples per second, medians of %d rounds of %d steps\n",
        kBatch, kWords, kNgrams + 1, kRounds, kSteps);
    for (int t : {1, 2}) bench_threads(t);
    return 0;
}

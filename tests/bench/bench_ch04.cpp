// bench_ch04 — chapter 04's training step (local-m attention on chapter 03's Luong decoder), ours beside
// PyTorch's.
//
// One step = aligned_forward (chapter 03's model, teacher forcing, with the alignment of the chapter's
// default variant, local-m: the softmax of the scaled-dot scores on the window [p_t − 2, p_t + 2],
// p_t = min(t, len − 1), weight 0 outside) + zero_grad + aligned_backward + clipping at 1 + Adam (lr
// 2e-3), as chapters/04_local_hard_soft_attention/train.hpp does, with the chapter's default model
// (local-m, D 2, score scaled-dot, input feeding on, E 128, H 256; no dropout) on one batch shaped like
// the default fra-eng run's most common one: 64 pairs, every source S = 6 positions, targets T = 7
// (translation_bench.hpp). PyTorch (Debian's python3-torch) runs the same model in
// data_tools/torch_bench/rnn_seq2seq.py (chapter 03's twin with the scores off the window masked to −∞
// before the softmax), in alternating rounds, in each configuration that can be its fastest
// (torch_child.hpp); each side's number is its median round. What differs: only the words of the batch
// and the initial weights (drawn alike, not the same). One line per thread count:
//   bench ch04_local_m threads=N ours=<samples/s> pytorch=<samples/s> ratio=… wall_s=… cpu_s=… load=…
#include <string>

#include "chapters/04_local_hard_soft_attention/train.hpp"  // (aligned_luong.hpp needs translation_training.hpp first)
#include "common/nn/optim.hpp"
#include "tests/bench/translation_bench.hpp"

using namespace attn;
using namespace ch04;

namespace {

struct Ours {
    Rng rng{0};
    AlignedLuong net;  // its Tensors point into its ParamSet: built in place, never copied
    AlignedActs acts;
    Adam opt;
    Seq2SeqBatch b;
    explicit Ours(const bench::TranslationShape& s) {
        const LuongConfig c{.Vs = s.Vs, .Vt = s.Vt, .E = s.E, .H = s.H, .A = s.A, .score = LuongScore::scaled_dot,
                            .feed = true};  // main.cpp's defaults
        aligned_build(net, c, AlignedConfig{.attention = Attention::local_m, .D = s.D}, rng);
        aligned_reserve(acts, c, s.B, s.S, s.T);
        opt = make_adam(net.net.params, 2e-3f);
        b = bench::translation_batch(rng, s);
    }
    void step() {
        aligned_forward(net, acts, b, &net.sampling);  // forward, teacher forcing
        net.net.params.zero_grad();                    // zero grads
        aligned_backward(net, acts, b, 1.0f);          // backward
        clip_grad_norm(net.net.params, 1.0f);          // clip
        opt.step(net.net.params);                      // step
    }
    std::string title() const { return aligned_title(net); }
};

}  // namespace

int main() { return bench::translation_main<Ours>("ch04_local_m", 4); }

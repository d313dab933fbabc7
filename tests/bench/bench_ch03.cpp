// bench_ch03 — chapter 03's training step (Luong's global attention), ours beside PyTorch's.
//
// One step = luong_forward (teacher forcing: bidirectional GRU encoder with H/2 each way, h_0 = [h→_last ;
// h←_1], T decoder steps of a GRU fed [E_tgt[y_{t−1}] ; h̃_{t−1}] (input feeding), the scaled-dot score
// h_t · h̄_s / √H, the context, h̃_t = tanh(W_c [c_t ; h_t]), the output layer, mean cross-entropy) +
// zero_grad + luong_backward + clipping at 1 + Adam (lr 2e-3), as chapters/03_multiplicative_attention/
// train.hpp does, with the chapter's default model (score scaled-dot, input feeding on, E 128, H 256;
// no dropout) on one batch shaped like the default fra-eng run's most common one: 64 pairs, every
// source S = 6 positions, targets T = 7 (translation_bench.hpp). PyTorch (Debian's python3-torch) runs
// the same model in data_tools/torch_bench/rnn_seq2seq.py (nn.GRU bidirectional, nn.GRUCell, the
// attention written out), in alternating rounds, in each configuration that can be its fastest
// (torch_child.hpp); each side's number is its median round. What differs: only the words of the batch
// and the initial weights (drawn alike, not the same). One line per thread count:
//   bench ch03_luong threads=N ours=<samples/s> pytorch=<samples/s> ratio=… wall_s=… cpu_s=… load=…
#include <string>

#include "chapters/03_multiplicative_attention/luong_seq2seq.hpp"
#include "common/nn/optim.hpp"
#include "tests/bench/translation_bench.hpp"

using namespace attn;
using namespace ch03;

namespace {

struct Ours {
    Rng rng{0};
    Luong net;  // its Tensors point into its ParamSet: built in place, never copied
    LuongActs acts;
    Adam opt;
    Seq2SeqBatch b;
    explicit Ours(const bench::TranslationShape& s) {
        luong_build(net,
                    LuongConfig{.Vs = s.Vs, .Vt = s.Vt, .E = s.E, .H = s.H, .A = s.A,
                                .score = LuongScore::scaled_dot, .feed = true},  // main.cpp's defaults
                    rng);
        luong_reserve(acts, net.cfg, s.B, s.S, s.T);
        opt = make_adam(net.params, 2e-3f);
        b = bench::translation_batch(rng, s);
    }
    void step() {
        luong_forward(net, acts, b);       // forward, teacher forcing
        net.params.zero_grad();            // zero grads
        luong_backward(net, acts, b);      // backward
        clip_grad_norm(net.params, 1.0f);  // clip
        opt.step(net.params);              // step
    }
    std::string title() const { return luong_title(net.cfg); }
};

}  // namespace

int main() { return bench::translation_main<Ours>("ch03_luong", 3); }

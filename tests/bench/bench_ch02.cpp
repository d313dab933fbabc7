// bench_ch02 — chapter 02's training step (Bahdanau's additive attention), ours beside PyTorch's.
//
// One step = bahdanau_forward (teacher forcing: bidirectional GRU encoder, keys U h_i, s_0 = tanh(W_s h←_1
// + b_s), T decoder steps of additive attention e_ti = vᵀ tanh(W s_{t−1} + k_i) and a GRU fed
// [E_tgt[y_{t−1}] ; c_t], the output layer over [s_t ; c_t], mean cross-entropy) + zero_grad +
// bahdanau_backward + clipping at 1 + Adam (lr 2e-3), as chapters/02_additive_attention/train.hpp does,
// with the chapter's default model (E 128, H 256, A 256; no dropout) on one batch shaped like the
// default fra-eng run's most common one: 64 pairs, every source S = 6 positions, targets T = 7
// (translation_bench.hpp). PyTorch (Debian's python3-torch) runs the same model in
// data_tools/torch_bench/rnn_seq2seq.py (nn.GRU bidirectional, nn.GRUCell, the attention written out),
// in alternating rounds, in each configuration that can be its fastest (torch_child.hpp); each side's
// number is its median round. What differs: only the words of the batch (drawn alike, not the same) and
// the initial weights (drawn from the same distributions). One line per thread count:
//   bench ch02_bahdanau threads=N ours=<samples/s> pytorch=<samples/s> ratio=… wall_s=… cpu_s=… load=…
#include <string>

#include "chapters/02_additive_attention/bahdanau_seq2seq.hpp"
#include "common/nn/optim.hpp"
#include "tests/bench/translation_bench.hpp"

using namespace attn;
using namespace ch02;

namespace {

struct Ours {
    Rng rng{0};
    Bahdanau net;  // its Tensors point into its ParamSet: built in place, never copied
    BahdanauActs acts;
    Adam opt;
    Seq2SeqBatch b;
    explicit Ours(const bench::TranslationShape& s) {
        bahdanau_build(net, BahdanauConfig{.Vs = s.Vs, .Vt = s.Vt, .E = s.E, .H = s.H, .A = s.A}, rng);
        bahdanau_reserve(acts, net.cfg, s.B, s.S, s.T);
        opt = make_adam(net.params, 2e-3f);
        b = bench::translation_batch(rng, s);
    }
    void step() {
        bahdanau_forward(net, acts, b);    // forward, teacher forcing
        net.params.zero_grad();            // zero grads
        bahdanau_backward(net, acts, b);   // backward
        clip_grad_norm(net.params, 1.0f);  // clip
        opt.step(net.params);              // step
    }
    std::string title() const { return bahdanau_title(net.cfg); }
};

}  // namespace

int main() { return bench::translation_main<Ours>("ch02_bahdanau", 2); }

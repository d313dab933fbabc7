// bench_ch01 — chapter 01's training step (the GRU encoder–decoder, no attention), ours beside PyTorch's.
//
// One step = gru_seq2seq_forward (teacher forcing: a GRU encoder over the reversed source, its final
// state the decoder's d_0, a GRU decoder over E_tgt[y_{t−1}], the output layer, mean cross-entropy) +
// zero_grad + gru_seq2seq_backward + clipping at 1 + Adam (lr 2e-3), as chapters/01_seq2seq/train.hpp
// does, with the chapter's default model (E 128, H 256, source reversed; no dropout) on one batch shaped
// like the default fra-eng run's most common one: 64 pairs, every source S = 6 positions, targets
// T = 7 (translation_bench.hpp). PyTorch (Debian's python3-torch) runs the same model in
// data_tools/torch_bench/rnn_seq2seq.py (two nn.GRU), in alternating rounds, in each configuration that
// can be its fastest (torch_child.hpp); each side's number is its median round. What differs: the words
// of the batch and the initial weights (drawn alike, not the same), and our decoder freezes a row after
// its last target (PyTorch's runs on over the padding, whose loss is ignored: the same loss and gradients).
// One line per thread count:
//   bench ch01_seq2seq threads=N ours=<samples/s> pytorch=<samples/s> ratio=… wall_s=… cpu_s=… load=…
#include <string>

#include "chapters/01_seq2seq/gru_seq2seq.hpp"
#include "common/nn/optim.hpp"
#include "tests/bench/translation_bench.hpp"

using namespace attn;
using namespace ch01;

namespace {

struct Ours {
    Rng rng{0};
    GRUSeq2Seq net;  // its Tensors point into its ParamSet: built in place, never copied
    GRUSeq2SeqActs acts;
    Adam opt;
    Seq2SeqBatch b;
    explicit Ours(const bench::TranslationShape& s) {
        gru_seq2seq_build(net, GRUSeq2SeqConfig{.Vs = s.Vs, .Vt = s.Vt, .E = s.E, .H = s.H, .reverse_source = true},
                          rng);
        gru_seq2seq_reserve(acts, net.cfg, s.B, s.S, s.T);
        opt = make_adam(net.params, 2e-3f);
        b = bench::translation_batch(rng, s);
    }
    void step() {
        gru_seq2seq_forward(net, acts, b);   // forward, teacher forcing
        net.params.zero_grad();              // zero grads
        gru_seq2seq_backward(net, acts, b);  // backward
        clip_grad_norm(net.params, 1.0f);    // clip
        opt.step(net.params);                // step
    }
    std::string title() const { return gru_seq2seq_title(net.cfg); }
};

}  // namespace

int main() { return bench::translation_main<Ours>("ch01_seq2seq", 1); }

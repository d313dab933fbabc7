// bench_ch07 — chapter 07's Transformer: its training step beside PyTorch's, and greedy decoding with
// the key/value cache beside recomputing the whole prefix at every step.
//
// 1. Training. One step = transformer_forward (teacher forcing, dropout 0.1, label smoothing 0.1) +
//    zero_grad + transformer_backward + clipping at 1 + Adam (β 0.9, 0.98, ε 1e-9), as
//    chapters/07_transformer/train.hpp does (without its schedule's one multiplication), with the
//    chapter's default model (C 256, 4 heads, F 1024, 3 + 3 pre-norm layers, tied output, attention
//    dropout as the config's default: TransformerConfig's, which main.cpp keeps) on a batch
//    shaped like the default fra-eng run's: 64 pairs, S = 7 source positions (…<eos>), T = 8 target
//    positions (<bos>… in, …<eos> out), vocabularies of 3,045 and 4,244 words. PyTorch runs the same
//    model (data_tools/torch_bench/transformer.py: nn.Transformer, norm_first) in alternating rounds, in
//    each configuration that can be its fastest (torch_child.hpp); each side's number is its median round:
//      bench transformer threads=N ours=<samples/s> pytorch=<samples/s> ratio=… wall_s=… cpu_s=… load=…
// 2. Decoding. Greedy search on 64 sentences of up to 7 source positions, forced to 20 steps (each row's
//    argmax is fed back whatever it is, <eos> included, so both ways run the same 20 steps on every
//    row), timed from the decoder's construction to its last step (the encoder, the same for both, runs
//    once before): Cache::On against Cache::Off of incremental_decoder.hpp, alternating rounds, medians,
//    target tokens per second:
//      bench transformer_decode_cache threads=N cached=<tokens/s> recomputed=<tokens/s> ratio=… wall_s=… …
//    The two ways compute the same numbers, so they must choose the same tokens; the line after says so.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "chapters/07_transformer/incremental_decoder.hpp"
#include "chapters/07_transformer/train.hpp"
#include "common/core/thread_pool.hpp"
#include "tests/bench/torch_child.hpp"

using namespace attn;
using namespace ch07;

namespace {

const int kBatch = 64, kS = 7, kT = 8, kVs = 3045, kVt = 4244;
const int kSteps = 5, kRounds = 5;            // training: rounds of steps
const int kDecodeSteps = 20, kDecodeRounds = 5;  // decoding

TransformerConfig default_config() {
    TransformerConfig cfg;  // everything else: the chapter's defaults (main.cpp does not change them)
    cfg.Vs = kVs, cfg.Vt = kVt;
    return cfg;
}

// kBatch random pairs, the first of the longest lengths (so the padded shape is (kBatch, kS), (kBatch, kT)),
// the others n + 1 ∈ [kS − 3, kS] source and m + 1 ∈ [kT − 3, kT] target positions.
std::vector<std::vector<int>> random_sources(Rng& rng) {
    std::vector<std::vector<int>> src(kBatch);
    for (int b = 0; b < kBatch; b++) {
        const int n = b == 0 ? kS : rng.randint(kS - 3, kS);
        for (int i = 0; i + 1 < n; i++) src[b].push_back(rng.randint(Vocab::NUM_SPECIALS, kVs - 1));
        src[b].push_back(Vocab::EOS);
    }
    return src;
}
Seq2SeqBatch random_batch(Rng& rng) {
    std::vector<std::vector<int>> src = random_sources(rng), tgt(kBatch);
    for (int b = 0; b < kBatch; b++) {
        const int m = b == 0 ? kT : rng.randint(kT - 3, kT);
        for (int i = 0; i + 1 < m; i++) tgt[b].push_back(rng.randint(Vocab::NUM_SPECIALS, kVt - 1));
    }
    std::vector<int> idx(kBatch);
    std::iota(idx.begin(), idx.end(), 0);
    return make_seq2seq_batch(src, tgt, idx);
}

// ---- 1. the training step ---------------------------------------------------------------------
struct Ours {
    Rng rng{0};
    Transformer net;  // its Tensors point into its ParamSet: built in place, never copied
    TransformerActs acts;
    Adam opt;
    Seq2SeqBatch b;
    Ours() {
        transformer_build(net, default_config(), rng);
        opt = make_transformer_adam(net.params, 1e-3f);
        b = random_batch(rng);
    }
    void step() {
        transformer_forward(net, acts, b, rng, true);  // forward, teacher forcing, dropout
        net.params.zero_grad();                        // zero grads
        transformer_backward(net, acts, b);            // backward
        clip_grad_norm(net.params, 1.0f);              // clip
        opt.step(net.params);                          // step
    }
};

void bench_training(int threads) {
    set_threads(threads);
    Ours ours;
    const TransformerConfig& c = ours.net.cfg;
    bench::compare_with_torch("transformer", threads, kBatch, kSteps, kRounds, [&] { ours.step(); }, "transformer.py",
                              {kBatch, kS, kT, kVs, kVt, c.C, c.NH, c.F, c.enc_layers, (int)std::lround(100 * c.attn_dropout)});
}

// ---- 2. decoding: the cache against recomputation -----------------------------------------------
// kDecodeSteps greedy steps on every sentence of mem; the chosen tokens (N, kDecodeSteps) row by row.
std::vector<int> decode_forced(const Transformer& net, const TransformerMemory& mem, Cache cache) {
    const int N = mem.N, V = net.cfg.Vt;
    TransformerDecoder dec(net, mem, N, kDecodeSteps, cache);
    std::vector<int> rows(N), tokens(N, Vocab::BOS), out((size_t)N * kDecodeSteps);
    std::iota(rows.begin(), rows.end(), 0);
    dec.start(rows.data(), N);
    Buf logp((size_t)N * V);
    for (int t = 0; t < kDecodeSteps; t++) {
        dec.step(logp.data(), tokens.data(), N);
        for (int r = 0; r < N; r++) {  // the argmax, fed back as the next input
            const float* lp = logp.data() + (size_t)r * V;
            tokens[r] = (int)(std::max_element(lp, lp + V) - lp);
            out[(size_t)r * kDecodeSteps + t] = tokens[r];
        }
    }
    return out;
}

void bench_decoding(int threads) {
    set_threads(threads);
    Rng rng(1);
    Transformer net;
    transformer_build(net, default_config(), rng);
    std::vector<std::vector<int>> src = random_sources(rng);
    std::vector<int> idx(kBatch);
    std::iota(idx.begin(), idx.end(), 0);
    TransformerMemory mem;
    transformer_encode_sentences(mem, net, make_batch(src, idx));
    std::vector<int> tok_on = decode_forced(net, mem, Cache::On), tok_off = decode_forced(net, mem, Cache::Off);  // warm up
    std::vector<double> wall[2], cpu[2];
    for (int r = 0; r < kDecodeRounds; r++)
        for (int k = 0; k < 2; k++) {
            const double w0 = bench::now_s(), c0 = bench::self_cpu_s();
            (k == 0 ? tok_on : tok_off) = decode_forced(net, mem, k == 0 ? Cache::On : Cache::Off);
            wall[k].push_back(bench::now_s() - w0), cpu[k].push_back(bench::self_cpu_s() - c0);
        }
    const double la = bench::load_average(), tokens = (double)kBatch * kDecodeSteps;
    const double w_on = bench::median(wall[0]), w_off = bench::median(wall[1]);
    bench::print_named_line("transformer_decode_cache", threads, "cached", tokens / w_on, "recomputed", tokens / w_off,
                            w_on, w_off, bench::median(cpu[0]), bench::median(cpu[1]), la);
    size_t differ = 0;
    for (size_t i = 0; i < tok_on.size(); i++) differ += tok_on[i] != tok_off[i];
    std::printf("  the same %zu greedy tokens both ways: %s\n", tok_on.size(),
                differ == 0 ? "yes" : (std::to_string(differ) + " differ").c_str());
}

}  // namespace

int main() {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    bench::choose_openblas_core();  // for PyTorch's OpenBLAS, inherited by transformer.py
    const TransformerConfig cfg = default_config();
    std::printf("chapter 07 Transformer training step (Vs %d, Vt %d, C %d, %d heads, F %d, %d+%d pre-norm layers, tied, "
                "dropout %g, attention dropout %g, smoothing %g; batch %d, S %d, T %d; Adam, clip 1): training samples "
                "per second, medians of %d rounds of %d steps\n",
                cfg.Vs, cfg.Vt, cfg.C, cfg.NH, cfg.F, cfg.enc_layers, cfg.dec_layers, cfg.dropout, cfg.attn_dropout,
                cfg.smoothing, kBatch, kS, kT, kRounds, kSteps);
    for (int t : {1, 2}) bench_training(t);
    std::printf("chapter 07 greedy decoding, %d sentences (S %d) forced to %d tokens, the same model untrained: "
                "target tokens per second with the key/value cache and recomputing the prefix, medians of %d rounds\n",
                kBatch, kS, kDecodeSteps, kDecodeRounds);
    for (int t : {1, 2}) bench_decoding(t);
    return 0;
}

// translation_bench.hpp — what the benchmarks of the recurrent translation chapters (bench_ch01,
// bench_ch02, bench_ch03, bench_ch04) share: the shape of a default fra-eng batch, that batch, and the run.
//
// The batch. The chapters' default run (fra-eng, at most 6 tokens a side, min_freq 4: vocabularies of
// 3,045 source and 4,244 target words) trains on batches of 64 pairs bucketed by source length, so a
// batch has ONE source length: 734 of an epoch's 738 batches have no source padding. Its most common
// shape is S = 6 source positions (5 words + <eos>) and T = 7 target positions (279 batches; then
// (7, 7): 239, (5, 7): 170), the targets of a batch ending 0–4 positions before T. The benchmarks draw
// one such batch once: every source 5 random words + <eos>; targets of m + 1 ∈ [T − 3, T] positions,
// the first pair the longest (so the padded shape is (64, 7)). data_tools/torch_bench/rnn_seq2seq.py
// draws the same kind of batch (not the same words).
//
// The run: for 1 and 2 threads, 5 alternating rounds of 5 steps of ours and of PyTorch's, each process
// warmed first (torch_child.hpp), one `bench NAME` line each.
#pragma once
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "chapters/01_seq2seq/seq2seq_data.hpp"
#include "common/core/rng.hpp"
#include "common/core/thread_pool.hpp"
#include "tests/bench/torch_child.hpp"

namespace bench {

// The default run's sizes: data (above) and model (translation_flags.hpp: E 128, H 256; A 256 is
// chapter 02's --attn and chapter 03's --attn-size, D 2 chapter 04's --window).
struct TranslationShape {
    int B = 64, S = 6, T = 7, Vs = 3045, Vt = 4244;
    int E = 128, H = 256, A = 256, D = 2;
};

// One batch of shape s, drawn from rng (layout: seq2seq_data.hpp).
inline ch01::Seq2SeqBatch translation_batch(attn::Rng& rng, const TranslationShape& s) {
    using attn::Vocab;
    std::vector<std::vector<int>> src(s.B), tgt(s.B);
    for (int b = 0; b < s.B; b++) {
        for (int i = 0; i + 1 < s.S; i++) src[b].push_back(rng.randint(Vocab::NUM_SPECIALS, s.Vs - 1));
        src[b].push_back(Vocab::EOS);
        const int m = b == 0 ? s.T : rng.randint(s.T - 3, s.T);  // y_1..y_{m−1}, then <eos>
        for (int i = 0; i + 1 < m; i++) tgt[b].push_back(rng.randint(Vocab::NUM_SPECIALS, s.Vt - 1));
    }
    std::vector<int> idx(s.B);
    std::iota(idx.begin(), idx.end(), 0);
    return ch01::make_seq2seq_batch(src, tgt, idx);
}

// For 1 and 2 threads: a fresh Ours (built at that thread count), then `rounds` rounds of `steps`
// steps (after a round not counted) beside rnn_seq2seq.py's model of `chapter`. Ours needs Ours(shape), step()
// and title() (the chapter's own name of the model, printed once).
template <class Ours>
void compare_translation(const std::string& name, int chapter, const TranslationShape& s, int steps, int rounds) {
    for (int threads : {1, 2}) {
        attn::set_threads(threads);
        Ours ours(s);
        if (threads == 1)
            std::printf("chapter %02d training step, %s (Vs %d, Vt %d; batch %d, S %d, T %d; Adam, clip 1): training "
                        "samples per second, medians of %d rounds of %d steps\n",
                        chapter, ours.title().c_str(), s.Vs, s.Vt, s.B, s.S, s.T, rounds, steps);
        compare_with_torch(name, threads, s.B, steps, rounds, [&] { ours.step(); }, "rnn_seq2seq.py",
                           {chapter, s.B, s.S, s.T, s.Vs, s.Vt, s.E, s.H, s.A, s.D});
    }
}

// The whole of a bench_chNN's main().
template <class Ours>
int translation_main(const std::string& name, int chapter) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    choose_openblas_core();  // for PyTorch's OpenBLAS, inherited by rnn_seq2seq.py
    compare_translation<Ours>(name, chapter, TranslationShape{}, 5, 5);
    return 0;
}

}  // namespace bench

// seq2seq_testing.hpp — what the translation chapters' tests (01–04) share: a small synthetic
// translation set, built through the same loader the programs use.
#pragma once
#include <cstdint>

#include "chapters/01_seq2seq/seq2seq_data.hpp"

namespace s2s::test_data {

// n synthetic pairs of 3..max_len source tokens (no real data is looked for), every word in the vocabulary.
inline Seq2SeqData small_synthetic(int n, uint64_t seed, int max_len = 6) {
    DataOptions o;
    o.data = "synthetic";
    o.data_dir = "/nonexistent";
    o.synth_pairs = n, o.synth_min_len = 3, o.synth_max_len = max_len, o.min_freq = 1, o.seed = seed;
    return load_seq2seq_data(o);
}

}  // namespace s2s::test_data

// splits.hpp — train / validation / test splits, deterministic by seed.
//
// A random permutation (attn::Rng(seed), Fisher–Yates) cut into test, validation and train, in
// that order; each part is then sorted, so a split is a set and its order carries no meaning
// (training shuffles every epoch anyway). Sizes: test = round(n·test_frac), val = round(n·val_frac).
//
// For translation pairs, one English sentence often has several French translations
// ("I'm fine." has 7). A random split of pairs would put the same source sentence in train and
// test, and the test BLEU would measure memory. split_pairs_by_source() splits the distinct
// source sentences instead, so each source lands in exactly one part.
#pragma once
#include <cstdint>
#include <vector>

#include "common/data/data_types.hpp"

namespace attn {

struct SplitIdx {
    std::vector<int> train, val, test;  // indices into the dataset, ascending
};

// 0 <= val_frac, test_frac and val_frac + test_frac < 1 (else an error).
SplitIdx split_indices(int n, float val_frac, float test_frac, uint64_t seed);

// Group the pairs by identical src, split the groups (the fractions count pairs, as closely as
// whole groups allow), return pair indices.
SplitIdx split_pairs_by_source(const PairSet& ps, float val_frac, float test_frac, uint64_t seed);

// The images idx[0], idx[1], ... of src, in that order, as a set of their own (name, source and
// class names kept): how a split's indices become a training or validation set.
ImageSet take_images(const ImageSet& src, const std::vector<int>& idx);

}  // namespace attn

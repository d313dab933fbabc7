// synth_relations.hpp — a text classification task that needs tokens to LOOK AT EACH OTHER.
//
// Chapter 06's headline task (any classifier chapter can load it: it is a TextSet like
// synth_keywords.hpp). Each text is min_len..max_len tokens of content words drawn uniformly from
// a small vocabulary, with two markers, "x" and "y", each followed by a content word; the label
// says whether the word after "x" is the same as the word after "y":
//
//   same:       "owl red x cat fox y cat dog red bee"         (x → cat, y → cat)
//   different:  "y fox dog ant x owl cat emu red"             (x → owl, y → fox)
//
// Classes "different" = 0, "same" = 1, balanced. No single word decides the label (every word is
// drawn the same way in both classes, and with a vocabulary this small nearly every text repeats
// some word anyway), so attention POOLING — a weighted average of word vectors whose weights depend
// on each word alone — cannot do better than chance: it cannot tell which words follow the markers,
// nor compare two of them. Self-attention can: a first layer lets each word look one place back
// (is that a marker?), a second lets the word after "y" look for the word after "x".
#pragma once
#include <cstdint>

#include "common/data/data_types.hpp"

namespace attn {

struct SynthRelationOptions {
    int min_len = 8, max_len = 20;  // tokens per text, markers included (min_len >= 5)
    int vocab = 16;                 // content words, 2..26
};

// n texts, labels uniform over {different, same}; name "synthetic-relations", class_names set,
// source "synthetic: relations (same word after x and y?) seed=<s> n=<n> len=<min>..<max> vocab=<v>".
TextSet synth_relations(int n, uint64_t seed, const SynthRelationOptions& opt = {});

}  // namespace attn

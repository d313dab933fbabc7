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
// Classes "different" = 0, "same" = 1, balanced. No single word decides the label: every word is drawn
// the same way in both classes. So attention POOLING — a weighted average of word vectors whose weights
// depend on each word alone — cannot tell which words follow the markers, nor compare two of them.
// Self-attention can: a first layer lets each word look one place back (is that a marker?), a second
// lets the word after "y" look for the word after "x".
//
// One thing a bag of words CAN see: a "same" text holds its marked word twice, a "different" one holds
// two words once each, so "same" texts repeat a word a little more often — a weak counting shortcut
// (chapter 06: attention pooling reaches ~0.65 with it, not 0.5). balance_counts = true removes it: a
// "different" text then gets a second copy of one of its two marked words somewhere else. The task is
// then much harder to START learning (no gradient signal until the two-step relation forms).
#pragma once
#include <cstdint>

#include "common/data/data_types.hpp"

namespace attn {

struct SynthRelationOptions {
    int min_len = 8, max_len = 20;  // tokens per text, markers included (min_len >= 5)
    int vocab = 16;                 // content words, 2..26
    bool balance_counts = false;    // remove the counting shortcut (see above)
};

// n texts, labels uniform over {different, same}; name "synthetic-relations", class_names set,
// source "synthetic: relations (same word after x and y?) seed=<s> n=<n> len=<min>..<max> vocab=<v>[ balanced-counts]".
TextSet synth_relations(int n, uint64_t seed, const SynthRelationOptions& opt = {});

}  // namespace attn

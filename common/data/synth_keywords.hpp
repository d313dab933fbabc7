// synth_keywords.hpp — a text classification task where attention must FIND one word.
//
// The built-in fallback of chapters 05 and 06 (AG News / tweets absent). Four classes named like
// AG News ("World", "Sports", "Business", "Sci/Tech", in classes.txt order). Each text is
// min_len..max_len tokens (uniform) of distractor words — function words and topic-sounding
// words ("deal", "record", "team", "crisis" ...) drawn with the SAME distribution for every class
// — with one or two keywords of its class hidden at random positions:
//
//   label Business:  "people could in record last to star with stocks at"
//
// Only the keyword decides the label, so a model that attends to it is right and its attention
// weights should peak there (chapter 05's token heatmaps); averaging all the words dilutes it.
//
// Variant `negation = true`: with probability 1/2 a text also holds "not <keyword of another
// class>", a decoy that must be ignored; the label is still the class of the un-negated keyword:
//
//   label Business:  "stocks again not vaccine plans team day stocks after season"
//
// Then a bag of words cannot tell the real keyword from the negated one (both are present, and
// "not" says nothing about which): order matters, and about half of the decoy texts are lost to
// a bag-of-words model.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/data/data_types.hpp"

namespace attn {

struct SynthKeywordOptions {
    int min_len = 8, max_len = 40;  // tokens per text, keywords included
    float p_two = 0.5f;             // probability of a second keyword (same class)
    bool negation = false;          // add "not <other class keyword>" decoys to half the texts
};

// n texts with labels uniform over the 4 classes; name "synthetic-keywords", class_names set,
// source "synthetic: keywords seed=<s> n=<n> len=<min>..<max> negation=<0|1>".
TextSet synth_keywords(int n, uint64_t seed, const SynthKeywordOptions& opt = {});

// The keywords of class `label` (0..3): to check labels, or to ask where attention landed.
std::vector<std::string> synth_keyword_list(int label);

}  // namespace attn

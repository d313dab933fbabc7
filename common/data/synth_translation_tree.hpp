// synth_translation_tree.hpp — the syntax trees of the synthetic translation task
// (synth_translation.hpp): how a random tree starts and grows (synth_translation_tree.cpp), and how
// one tree is rendered as a source and a target sentence (synth_translation_render.cpp).
// Internal to synth_translation*.cpp, hence the namespace attn::synth_tr.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "common/core/rng.hpp"
#include "common/data/synth_translation.hpp"

namespace attn::synth_tr {

struct NP;
struct Rel {
    int verb;             // index into kVerbs (kIntrans or kTrans)
    std::vector<NP> obj;  // 0 or 1
};
struct NP {
    int noun = 0, det = 1;  // det: 0 bare (plural only), 1 "the", 2 "a" (singular only)
    bool plural = false, in_pp = false;
    int depth = 0;          // nesting of relative clauses
    std::vector<int> adjs;  // source order
    std::vector<Rel> rel;   // 0 or 1
};
struct Clause {
    NP subj;
    int verb = 0;
    std::vector<NP> obj;       // kTrans: 1
    std::vector<Clause> comp;  // kSay: 1
    int prep = -1, adv = -1;
    std::vector<NP> pp;  // prep >= 0: 1
    int depth = 0;       // nesting of "that" clauses
};
struct Sentence {
    std::vector<Clause> clauses;
    std::vector<int> conj;  // between clauses
};

struct Out {  // one sentence in both languages
    std::vector<std::string> src, tgt;
};

// A fresh clause "NP V" (intransitive) at the given depth of "that" nesting.
Clause random_clause(Rng& rng, const SynthTranslationOptions& opt, int depth);

// Growing a tree: every possible one-step enlargement of s is an action; the generator picks one
// at random and runs it. The actions refer into s, so run one before s changes.
using Actions = std::vector<std::function<void()>>;
void sentence_actions(Sentence& s, Actions& acts, Rng& rng, const SynthTranslationOptions& opt);

// The source and target tokens of s (each ending in ".").
Out render(const Sentence& s, const SynthTranslationOptions& opt);

}  // namespace attn::synth_tr

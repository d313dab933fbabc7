// synth_translation.hpp — a made-up translation task that needs attention.
//
// The built-in fallback of the seq2seq chapters (01–04, 07) when fra-eng is absent. Two tiny
// languages generated from one random syntax tree per pair, so every target is the exact
// translation of its source; what a model must learn is (1) a lexicon (~200 source words,
// ~280 target words), (2) REORDERING and (3) AGREEMENT:
//
//   source (English-like, SVO)                 target (verb-final, noun before adjective)
//   S      -> Clause (Conj Clause)* "."        Clause (Conj Clause)* "."          (≤ 3 clauses)
//   Clause -> NP V                             NP [Adv] [NP Postp] V
//           | NP V NP [Prep NP] [Adv]          NP [Adv] [NP Postp] NP V           (SOV)
//           | NP Vsay [Adv] "that" Clause      NP [Adv] "ke" Clause Vsay          (verb after the
//   NP     -> Det Adj* N [Rel]                 Det N Adj*(mirrored) [Rel]          whole embedded clause)
//   Rel    -> "which" V [NP]                   "kiu" [NP] V
//
// Agreement (target only): every noun has a lexical gender (masculine/feminine, NOT visible from
// its ending: "domo" house is feminine, "regina" queen feminine, "barko" boat masculine); the
// determiner, each adjective and the verb take the gender+number of their noun / subject:
//   adjective  stem + o | a | oj | aj      (m.sg | f.sg | m.pl | f.pl)
//   verb       stem + at | et | ant | ent  (agrees with the clause's subject, or the relative's head)
//   the        lo | la | los | las,   a -> un | una,   bare plural -> nothing
//   noun plural: + n after a vowel, + en after a consonant
// So to write the verb at the END of a clause the decoder must look back at the subject noun,
// possibly 20+ tokens earlier: alignment is non-monotonic but fully determined by the source.
//
// Examples (synth_translation(40, 1).pairs[5] and [6]; a test holds them fixed):
//   src: the farmers which laugh work with a hungry kind lamp today .
//   tgt: los agriken kiu ridant hodiau una lampa bona famela kun laborant .
//   src: quick students chase the birds quickly and the king thinks that a boat sleeps .
//   tgt: studenton rapidoj rapide las avin chasant kaj lo rego ke un barko dormat pensat .
// ("lampa" is feminine: "una", "bona", "famela"; "agrik" masculine plural: "los", "ridant", "laborant";
// the PP "with a ... lamp" moves before the verb and "with" becomes the postposition "kun".)
//
// Length: each pair first draws a target length L uniformly in [min_len, max_len] (source tokens,
// counting the final "."), then grows a random tree (adjectives, objects, relative clauses,
// prepositional phrases, adverbs, clause embedding, coordination) until the source has ≥ L tokens,
// restarting when it overshoots max_len. Lengths are therefore roughly uniform over 3..45 and
// long sentences are as common as short ones — so a model without attention visibly degrades
// with length. Short sentences repeat (there are only a few hundred of length 3–4).
//
// Every source word has exactly one target word (the bare plural has no article on either side),
// so target length == source length: the difficulty is the order and the forms, not the length.
//
// Deterministic: the same (n_pairs, seed, options) gives the same pairs on every machine.
// (The words are in synth_translation_lexicon.hpp, the trees in synth_translation_tree.hpp.)
#pragma once
#include <cstdint>

#include "common/data/data_types.hpp"

namespace attn {

struct SynthTranslationOptions {
    int min_len = 3;         // source tokens including the final "." (minimum possible: 3, "dogs sleep .")
    int max_len = 45;        // source tokens including the final "."
    bool reorder = true;     // false: target keeps the source word order (a monotonic control task)
    bool inflect = true;     // false: no agreement (one form per adjective / verb / determiner)
    float p_plural = 0.35f;  // probability that a noun phrase is plural
};

// n_pairs source/target pairs; name "synthetic-translation",
// source "synthetic: translation seed=<s> n=<n> len=<min>..<max> reorder=<0|1> inflect=<0|1>".
PairSet synth_translation(int n_pairs, uint64_t seed, const SynthTranslationOptions& opt = {});

}  // namespace attn

#include "common/data/synth_translation_tree.hpp"

#include "common/data/synth_translation_lexicon.hpp"

namespace attn::synth_tr {

static int pick_verb(Rng& rng, VerbKind kind) {
    for (;;) {
        int v = (int)rng.below(count_of(kVerbs));
        if (kVerbs[v].kind == kind) return v;
    }
}
static NP random_np(Rng& rng, const SynthTranslationOptions& opt, int depth, bool in_pp) {
    NP np;
    np.noun = (int)rng.below(count_of(kNouns));
    np.plural = rng.uniform() < opt.p_plural;
    np.det = np.plural ? (rng.uniform() < 0.3f ? 0 : 1) : (rng.uniform() < 0.3f ? 2 : 1);
    np.depth = depth;
    np.in_pp = in_pp;
    return np;
}
Clause random_clause(Rng& rng, const SynthTranslationOptions& opt, int depth) {
    Clause c;
    c.subj = random_np(rng, opt, 0, false);
    c.verb = pick_verb(rng, kIntrans);
    c.depth = depth;
    return c;
}

// ---- growing a tree: every possible one-step enlargement is an action ------------------------
static void np_actions(NP& np, Actions& acts, Rng& rng, const SynthTranslationOptions& opt) {
    if (np.adjs.size() < 2)
        acts.push_back([&np, &rng] {
            int a = (int)rng.below(count_of(kAdjs));
            if (!np.adjs.empty() && a == np.adjs[0]) a = (a + 1) % count_of(kAdjs);  // no "big big dog"
            np.adjs.push_back(a);
        });
    if (np.in_pp) return;  // no relative clauses inside prepositional phrases: keeps attachment unambiguous
    if (np.rel.empty() && np.depth < 2)
        acts.push_back([&np, &rng] { np.rel.push_back({pick_verb(rng, kIntrans), {}}); });
    for (Rel& r : np.rel) {
        if (r.obj.empty())
            acts.push_back([&r, &np, &rng, &opt] {
                r.verb = pick_verb(rng, kTrans);
                r.obj.push_back(random_np(rng, opt, np.depth + 1, false));
            });
        for (NP& o : r.obj) np_actions(o, acts, rng, opt);
    }
}
static void clause_actions(Clause& c, Actions& acts, Rng& rng, const SynthTranslationOptions& opt) {
    np_actions(c.subj, acts, rng, opt);
    VerbKind kind = kVerbs[c.verb].kind;
    if (kind == kIntrans)
        acts.push_back([&c, &rng, &opt] {
            c.verb = pick_verb(rng, kTrans);
            c.obj.push_back(random_np(rng, opt, 0, false));
        });
    if (kind != kSay && c.prep < 0)
        acts.push_back([&c, &rng, &opt] {
            c.prep = (int)rng.below(count_of(kPreps));
            c.pp.push_back(random_np(rng, opt, 0, true));
        });
    if (c.adv < 0) acts.push_back([&c, &rng] { c.adv = (int)rng.below(count_of(kAdvs)); });
    for (NP& o : c.obj) np_actions(o, acts, rng, opt);
    for (NP& p : c.pp) np_actions(p, acts, rng, opt);
    for (Clause& e : c.comp) clause_actions(e, acts, rng, opt);
}
void sentence_actions(Sentence& s, Actions& acts, Rng& rng, const SynthTranslationOptions& opt) {
    for (size_t i = 0; i < s.clauses.size(); i++) {
        Clause& c = s.clauses[i];
        clause_actions(c, acts, rng, opt);
        if (c.depth < 2)  // embed: "X says that <this clause>"
            acts.push_back([&c, &rng, &opt] {
                Clause outer = random_clause(rng, opt, c.depth + 1);
                outer.verb = pick_verb(rng, kSay);
                outer.comp.push_back(std::move(c));
                c = std::move(outer);
            });
    }
    if (s.clauses.size() < 3)
        acts.push_back([&s, &rng, &opt] {
            s.conj.push_back((int)rng.below(count_of(kConjs)));
            s.clauses.push_back(random_clause(rng, opt, 0));
        });
}

}  // namespace attn::synth_tr

#include "common/data/synth_translation_lexicon.hpp"
#include "common/data/synth_translation_tree.hpp"

namespace attn::synth_tr {

static int agr(const NP& np) { return (kNouns[np.noun].fem ? 1 : 0) + (np.plural ? 2 : 0); }  // m.sg f.sg m.pl f.pl

static std::string tgt_noun(const NP& np) {
    std::string w = kNouns[np.noun].tgt;
    if (!np.plural) return w;
    return w + (std::string("aeiou").find(w.back()) != std::string::npos ? "n" : "en");
}
static std::string tgt_adj(int a, int g, bool inflect) {
    static const char* const end[] = {"o", "a", "oj", "aj"};
    return std::string(kAdjs[a][1]) + end[inflect ? g : 0];
}
static std::string tgt_verb(int v, int g, bool inflect) {
    static const char* const end[] = {"at", "et", "ant", "ent"};
    return std::string(kVerbs[v].tgt) + end[inflect ? g : 0];
}
static std::string src_verb(int v, bool plural) { return plural ? kVerbs[v].pl : kVerbs[v].sg; }

static void render_np(const NP& np, Out& o, const SynthTranslationOptions& opt) {
    int g = agr(np);
    // source: Det Adj* N [which V [NP]]
    if (np.det == 1) o.src.push_back("the");
    if (np.det == 2) o.src.push_back("a");
    for (int a : np.adjs) o.src.push_back(kAdjs[a][0]);
    o.src.push_back(np.plural ? kNouns[np.noun].pl : kNouns[np.noun].sg);
    // target: Det N Adj*(mirrored) — or the source order when !reorder
    static const char* const def[] = {"lo", "la", "los", "las"};
    static const char* const indef[] = {"un", "una"};
    if (np.det == 1) o.tgt.push_back(def[opt.inflect ? g : 0]);
    if (np.det == 2) o.tgt.push_back(indef[opt.inflect ? g : 0]);
    if (opt.reorder) {
        o.tgt.push_back(tgt_noun(np));
        for (int i = (int)np.adjs.size() - 1; i >= 0; i--) o.tgt.push_back(tgt_adj(np.adjs[i], g, opt.inflect));
    } else {
        for (int a : np.adjs) o.tgt.push_back(tgt_adj(a, g, opt.inflect));
        o.tgt.push_back(tgt_noun(np));
    }
    for (const Rel& r : np.rel) {
        o.src.push_back("which");
        o.tgt.push_back("kiu");
        o.src.push_back(src_verb(r.verb, np.plural));
        if (!opt.reorder) o.tgt.push_back(tgt_verb(r.verb, g, opt.inflect));
        for (const NP& ob : r.obj) render_np(ob, o, opt);
        if (opt.reorder) o.tgt.push_back(tgt_verb(r.verb, g, opt.inflect));  // verb-final relative
    }
}

// The parts of a clause (object, embedded clause, prepositional phrase) are rendered on their
// own, then placed in each language's order.
static void render_clause(const Clause& c, Out& o, const SynthTranslationOptions& opt) {
    int g = agr(c.subj);
    bool say = kVerbs[c.verb].kind == kSay;
    render_np(c.subj, o, opt);
    Out obj, comp, pp;
    for (const NP& n : c.obj) render_np(n, obj, opt);
    for (const Clause& e : c.comp) render_clause(e, comp, opt);
    for (const NP& n : c.pp) render_np(n, pp, opt);
    auto append = [](std::vector<std::string>& to, const std::vector<std::string>& from) {
        to.insert(to.end(), from.begin(), from.end());
    };
    // source: V [obj] ; V [adv] that Clause ; [prep NP] [adv]
    o.src.push_back(src_verb(c.verb, c.subj.plural));
    append(o.src, obj.src);
    if (say) {
        if (c.adv >= 0) o.src.push_back(kAdvs[c.adv][0]);
        o.src.push_back("that");
        append(o.src, comp.src);
    } else {
        if (c.prep >= 0) o.src.push_back(kPreps[c.prep][0]);
        append(o.src, pp.src);
        if (c.adv >= 0) o.src.push_back(kAdvs[c.adv][0]);
    }
    if (opt.reorder) {  // target: [adv] [NP postp] [obj | ke Clause] V
        if (c.adv >= 0) o.tgt.push_back(kAdvs[c.adv][1]);
        append(o.tgt, pp.tgt);
        if (c.prep >= 0) o.tgt.push_back(kPreps[c.prep][1]);
        append(o.tgt, obj.tgt);
        if (say) o.tgt.push_back("ke");
        append(o.tgt, comp.tgt);
        o.tgt.push_back(tgt_verb(c.verb, g, opt.inflect));
    } else {  // the source order, word for word
        o.tgt.push_back(tgt_verb(c.verb, g, opt.inflect));
        append(o.tgt, obj.tgt);
        if (say && c.adv >= 0) o.tgt.push_back(kAdvs[c.adv][1]);
        if (say) o.tgt.push_back("ke");
        append(o.tgt, comp.tgt);
        if (c.prep >= 0) o.tgt.push_back(kPreps[c.prep][1]);
        append(o.tgt, pp.tgt);
        if (!say && c.adv >= 0) o.tgt.push_back(kAdvs[c.adv][1]);
    }
}

Out render(const Sentence& s, const SynthTranslationOptions& opt) {
    Out o;
    for (size_t i = 0; i < s.clauses.size(); i++) {
        if (i > 0) {
            o.src.push_back(kConjs[s.conj[i - 1]][0]);
            o.tgt.push_back(kConjs[s.conj[i - 1]][1]);
        }
        render_clause(s.clauses[i], o, opt);
    }
    o.src.push_back(".");
    o.tgt.push_back(".");
    return o;
}

}  // namespace attn::synth_tr

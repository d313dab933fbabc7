#include "common/data/synth_translation.hpp"

#include <functional>
#include <string>
#include <vector>

#include "common/core/error.hpp"
#include "common/core/rng.hpp"

namespace attn {

// ---- lexicon -------------------------------------------------------------------------------
namespace {

struct Noun {
    const char *sg, *pl, *tgt;
    bool fem;
};
const Noun kNouns[] = {
    {"dog", "dogs", "kano", 0},        {"cat", "cats", "mirsa", 1},
    {"man", "men", "viro", 0},         {"woman", "women", "fema", 1},
    {"child", "children", "kido", 0},  {"girl", "girls", "pua", 1},
    {"teacher", "teachers", "magistro", 0}, {"doctor", "doctors", "medik", 0},
    {"farmer", "farmers", "agrik", 0}, {"king", "kings", "rego", 0},
    {"queen", "queens", "regina", 1},  {"bird", "birds", "avi", 1},
    {"horse", "horses", "kabal", 0},   {"frog", "frogs", "rano", 0},
    {"river", "rivers", "rivel", 1},   {"house", "houses", "domo", 1},
    {"garden", "gardens", "horto", 0}, {"city", "cities", "urba", 1},
    {"car", "cars", "auto", 0},        {"book", "books", "libro", 0},
    {"letter", "letters", "litera", 1}, {"song", "songs", "himno", 0},
    {"apple", "apples", "pomo", 0},    {"tree", "trees", "arbor", 0},
    {"flower", "flowers", "flora", 1}, {"table", "tables", "tabla", 1},
    {"door", "doors", "porta", 1},     {"window", "windows", "fenestra", 1},
    {"road", "roads", "via", 1},       {"ship", "ships", "navo", 1},
    {"friend", "friends", "amik", 0},  {"student", "students", "studento", 0},
    {"soldier", "soldiers", "soldat", 0}, {"baker", "bakers", "pistor", 0},
    {"mouse", "mice", "musa", 1},      {"cow", "cows", "vaka", 1},
    {"boat", "boats", "barko", 0},     {"lamp", "lamps", "lampa", 1},
    {"cake", "cakes", "torta", 1},     {"key", "keys", "klavo", 0},
};
const char* const kAdjs[][2] = {  // source, target stem
    {"big", "grand"},   {"small", "pik"},    {"red", "rub"},      {"blue", "blu"},
    {"green", "verd"},  {"old", "vet"},      {"young", "jun"},    {"happy", "felic"},
    {"sad", "trist"},   {"tall", "alt"},     {"quick", "rapid"},  {"slow", "lent"},
    {"brave", "brav"},  {"quiet", "kviet"},  {"clever", "sag"},   {"lazy", "pigr"},
    {"hungry", "famel"}, {"kind", "bon"},    {"strange", "strang"}, {"black", "nigr"},
};
enum VerbKind { kIntrans, kTrans, kSay };
struct Verb {
    const char *sg, *pl, *tgt;  // "sees" (3rd singular), "see" (plural), target stem
    VerbKind kind;
};
const Verb kVerbs[] = {
    {"sees", "see", "vid", kTrans},       {"likes", "like", "am", kTrans},
    {"chases", "chase", "chas", kTrans},  {"finds", "find", "trov", kTrans},
    {"helps", "help", "help", kTrans},    {"watches", "watch", "observ", kTrans},
    {"follows", "follow", "sekv", kTrans}, {"carries", "carry", "port", kTrans},
    {"paints", "paint", "pentr", kTrans}, {"visits", "visit", "vizit", kTrans},
    {"fears", "fear", "tim", kTrans},     {"calls", "call", "vok", kTrans},
    {"sleeps", "sleep", "dorm", kIntrans}, {"runs", "run", "kur", kIntrans},
    {"sings", "sing", "kant", kIntrans},  {"laughs", "laugh", "rid", kIntrans},
    {"waits", "wait", "atend", kIntrans}, {"dances", "dance", "danc", kIntrans},
    {"swims", "swim", "nag", kIntrans},   {"works", "work", "labor", kIntrans},
    {"says", "say", "dir", kSay},         {"thinks", "think", "pens", kSay},
    {"knows", "know", "sci", kSay},       {"hopes", "hope", "esper", kSay},
};
const char* const kPreps[][2] = {{"in", "en"},     {"near", "apud"}, {"behind", "post"},
                                 {"under", "sub"}, {"with", "kun"},  {"from", "de"}};
const char* const kAdvs[][2] = {{"today", "hodiau"}, {"often", "ofte"},   {"quickly", "rapide"},
                                {"again", "denove"}, {"slowly", "lante"}, {"never", "neniam"}};
const char* const kConjs[][2] = {{"and", "kaj"}, {"but", "sed"}, {"while", "dum"}};

template <class T, size_t N> constexpr int count_of(const T (&)[N]) { return (int)N; }

// ---- syntax trees ---------------------------------------------------------------------------
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

int pick_verb(Rng& rng, VerbKind kind) {
    for (;;) {
        int v = (int)rng.below(count_of(kVerbs));
        if (kVerbs[v].kind == kind) return v;
    }
}
NP random_np(Rng& rng, const SynthTranslationOptions& opt, int depth, bool in_pp) {
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

// ---- growing a tree: every possible one-step enlargement is an action; pick one at random ----
using Actions = std::vector<std::function<void()>>;
void np_actions(NP& np, Actions& acts, Rng& rng, const SynthTranslationOptions& opt) {
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
void clause_actions(Clause& c, Actions& acts, Rng& rng, const SynthTranslationOptions& opt) {
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

// ---- rendering ------------------------------------------------------------------------------
struct Out {
    std::vector<std::string> src, tgt;
};
int agr(const NP& np) { return (kNouns[np.noun].fem ? 1 : 0) + (np.plural ? 2 : 0); }  // m.sg f.sg m.pl f.pl

std::string tgt_noun(const NP& np) {
    std::string w = kNouns[np.noun].tgt;
    if (!np.plural) return w;
    return w + (std::string("aeiou").find(w.back()) != std::string::npos ? "n" : "en");
}
std::string tgt_adj(int a, int g, bool inflect) {
    static const char* const end[] = {"o", "a", "oj", "aj"};
    return std::string(kAdjs[a][1]) + end[inflect ? g : 0];
}
std::string tgt_verb(int v, int g, bool inflect) {
    static const char* const end[] = {"at", "et", "ant", "ent"};
    return std::string(kVerbs[v].tgt) + end[inflect ? g : 0];
}
std::string src_verb(int v, bool plural) { return plural ? kVerbs[v].pl : kVerbs[v].sg; }

void render_np(const NP& np, Out& o, const SynthTranslationOptions& opt) {
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
void render_clause(const Clause& c, Out& o, const SynthTranslationOptions& opt) {
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

std::string join(const std::vector<std::string>& w) {
    std::string s;
    for (const auto& t : w) s += (s.empty() ? "" : " ") + t;
    return s;
}

}  // namespace

// ---- the generator ----------------------------------------------------------------------------
PairSet synth_translation(int n_pairs, uint64_t seed, const SynthTranslationOptions& opt) {
    if (n_pairs < 0) fail("synth_translation", "n_pairs >= 0, got " + std::to_string(n_pairs));
    if (opt.min_len < 3 || opt.max_len < opt.min_len)
        fail("synth_translation", "3 <= min_len <= max_len, got min_len=" + std::to_string(opt.min_len) +
                                      " max_len=" + std::to_string(opt.max_len));
    Rng rng(seed);
    PairSet set;
    set.name = "synthetic-translation";
    set.source = "synthetic: translation seed=" + std::to_string(seed) + " n=" + std::to_string(n_pairs) +
                 " len=" + std::to_string(opt.min_len) + ".." + std::to_string(opt.max_len) +
                 " reorder=" + std::to_string((int)opt.reorder) + " inflect=" + std::to_string((int)opt.inflect);
    set.pairs.reserve(n_pairs);
    for (int i = 0; i < n_pairs; i++) {
        int want = rng.randint(opt.min_len, opt.max_len);
        for (int attempt = 0;; attempt++) {
            if (attempt == 1000) fail("synth_translation", "a sentence of " + std::to_string(want) + " tokens");
            Sentence s;
            s.clauses.push_back(random_clause(rng, opt, 0));
            Out o = render(s, opt);
            while ((int)o.src.size() < want) {
                Actions acts;
                sentence_actions(s, acts, rng, opt);
                if (acts.empty()) break;  // cannot grow further (never with the default limits)
                acts[rng.below(acts.size())]();
                o = render(s, opt);
            }
            if ((int)o.src.size() >= want && (int)o.src.size() <= opt.max_len) {
                set.pairs.push_back({join(o.src), join(o.tgt)});
                break;
            }
        }
    }
    return set;
}

}  // namespace attn

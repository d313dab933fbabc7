#include "common/data/synth_translation.hpp"

#include <string>
#include <vector>

#include "common/core/error.hpp"
#include "common/core/rng.hpp"
#include "common/data/synth_translation_tree.hpp"

namespace attn {

using synth_tr::Actions;
using synth_tr::Out;
using synth_tr::Sentence;

static std::string join(const std::vector<std::string>& w) {
    std::string s;
    for (const auto& t : w) s += (s.empty() ? "" : " ") + t;
    return s;
}

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
            s.clauses.push_back(synth_tr::random_clause(rng, opt, 0));
            Out o = synth_tr::render(s, opt);
            while ((int)o.src.size() < want) {
                Actions acts;
                synth_tr::sentence_actions(s, acts, rng, opt);
                if (acts.empty()) break;  // cannot grow further (never with the default limits)
                acts[rng.below(acts.size())]();
                o = synth_tr::render(s, opt);
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

#include "common/data/synth_relations.hpp"

#include <string>
#include <vector>

#include "common/core/error.hpp"
#include "common/core/rng.hpp"

namespace attn {

namespace {
const char* const kWords[26] = {"red", "cat", "owl", "fox", "dog", "bee", "ant", "emu", "elk", "yak", "cod", "gnu", "hen",
                                "pig", "ram", "ape", "bat", "cow", "eel", "jay", "kid", "lark", "mole", "newt", "rat", "wasp"};
}  // namespace

TextSet synth_relations(int n, uint64_t seed, const SynthRelationOptions& opt) {
    if (n < 0) fail("synth_relations", "n >= 0, got " + std::to_string(n));
    if (opt.min_len < 5 || opt.max_len < opt.min_len)
        fail("synth_relations", "5 <= min_len <= max_len, got min_len=" + std::to_string(opt.min_len) +
                                    " max_len=" + std::to_string(opt.max_len));
    if (opt.vocab < 2 || opt.vocab > 26) fail("synth_relations", "2 <= vocab <= 26, got " + std::to_string(opt.vocab));
    Rng rng(seed);
    TextSet set;
    set.name = "synthetic-relations";
    set.source = "synthetic: relations (same word after x and y?) seed=" + std::to_string(seed) + " n=" +
                 std::to_string(n) + " len=" + std::to_string(opt.min_len) + ".." + std::to_string(opt.max_len) +
                 " vocab=" + std::to_string(opt.vocab) + (opt.balance_counts ? " balanced-counts" : "");
    set.class_names = {"different", "same"};
    set.items.reserve(n);
    for (int i = 0; i < n; i++) {
        const int label = (int)rng.below(2);
        const int len = rng.randint(opt.min_len, opt.max_len);
        std::vector<int> w(len);
        for (int& x : w) x = (int)rng.below(opt.vocab);
        // the markers at ix and iy, each followed by its word; neither pair overlaps the other
        const int ix = (int)rng.below(len - 1);
        int iy;
        do iy = (int)rng.below(len - 1);
        while (iy >= ix - 1 && iy <= ix + 1);
        const int a = (int)rng.below(opt.vocab);
        int b = a;
        if (label == 0) b = (a + 1 + (int)rng.below(opt.vocab - 1)) % opt.vocab;  // any other word
        w[ix + 1] = a, w[iy + 1] = b;
        w[ix] = -1, w[iy] = -2;
        if (label == 0 && opt.balance_counts) {  // a second copy of a or b elsewhere: both classes then hold a
            int p;                               // repeated marked word, so counting words says nothing
            do p = (int)rng.below(len);
            while (p == ix || p == ix + 1 || p == iy || p == iy + 1);
            w[p] = rng.below(2) ? a : b;
        }
        std::string text;
        for (int x : w) {
            if (!text.empty()) text += ' ';
            text += x == -1 ? "x" : x == -2 ? "y" : kWords[x];
        }
        set.items.push_back({text, label});
    }
    return set;
}

}  // namespace attn

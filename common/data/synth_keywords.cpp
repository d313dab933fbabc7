#include "common/data/synth_keywords.hpp"

#include "common/core/error.hpp"
#include "common/core/rng.hpp"

namespace attn {

namespace {

const char* const kClassNames[4] = {"World", "Sports", "Business", "Sci/Tech"};
const char* const kKeywords[4][8] = {
    {"election", "embassy", "treaty", "president", "minister", "border", "refugees", "parliament"},
    {"goal", "striker", "tennis", "olympics", "coach", "championship", "playoffs", "quarterback"},
    {"shares", "profit", "merger", "investors", "earnings", "stocks", "bank", "retailer"},
    {"telescope", "genome", "software", "physics", "robot", "vaccine", "satellite", "processor"},
};
// Drawn uniformly, whatever the class: function words and uninformative topic-sounding words.
const char* const kDistractors[] = {
    "the",    "a",      "of",     "in",      "on",      "at",     "to",      "for",    "with",   "from",
    "by",     "after",  "before", "over",    "amid",    "as",     "new",     "old",    "big",    "small",
    "first",  "last",   "week",   "year",    "day",     "today",  "monday",  "friday", "night",  "morning",
    "report", "says",   "said",   "plans",   "announces", "again", "more",   "less",   "still",  "may",
    "will",   "could",  "while",  "two",     "three",   "million", "people", "city",   "group",  "officials",
    "deal",   "record", "team",   "crisis",  "win",     "lead",   "talks",   "growth", "launch", "battle",
    "top",    "global", "star",   "power",   "plan",    "race",   "season",  "future", "share",  "major",
};
template <class T, size_t N> constexpr int count_of(const T (&)[N]) { return (int)N; }

}  // namespace

std::vector<std::string> synth_keyword_list(int label) {
    if (label < 0 || label >= 4) fail("synth_keyword_list", "a label in 0..3, got " + std::to_string(label));
    return std::vector<std::string>(std::begin(kKeywords[label]), std::end(kKeywords[label]));
}

TextSet synth_keywords(int n, uint64_t seed, const SynthKeywordOptions& opt) {
    if (n < 0) fail("synth_keywords", "n >= 0, got " + std::to_string(n));
    if (opt.min_len < 5 || opt.max_len < opt.min_len)
        fail("synth_keywords", "5 <= min_len <= max_len, got min_len=" + std::to_string(opt.min_len) +
                                   " max_len=" + std::to_string(opt.max_len));
    Rng rng(seed);
    TextSet set;
    set.name = "synthetic-keywords";
    set.source = "synthetic: keywords seed=" + std::to_string(seed) + " n=" + std::to_string(n) + " len=" +
                 std::to_string(opt.min_len) + ".." + std::to_string(opt.max_len) +
                 " negation=" + std::to_string((int)opt.negation);
    set.class_names.assign(std::begin(kClassNames), std::end(kClassNames));
    set.items.reserve(n);
    for (int i = 0; i < n; i++) {
        int label = (int)rng.below(4);
        int len = rng.randint(opt.min_len, opt.max_len);
        int n_kw = rng.uniform() < opt.p_two ? 2 : 1;
        bool decoy = opt.negation && rng.uniform() < 0.5f;
        int n_fill = len - n_kw - (decoy ? 2 : 0);
        std::vector<std::string> words;
        for (int k = 0; k < n_fill; k++) words.push_back(kDistractors[rng.below(count_of(kDistractors))]);
        // keywords at uniformly random slots (one insertion at a time keeps every slot equally likely)
        for (int k = 0; k < n_kw; k++)
            words.insert(words.begin() + rng.below(words.size() + 1), kKeywords[label][rng.below(8)]);
        if (decoy) {  // inserted last, so nothing ever lands between "not" and its word
            int other = (label + 1 + (int)rng.below(3)) % 4;
            size_t at = rng.below(words.size() + 1);
            words.insert(words.begin() + at, {"not", kKeywords[other][rng.below(8)]});
        }
        std::string text;
        for (const auto& w : words) text += (text.empty() ? "" : " ") + w;
        set.items.push_back({text, label});
    }
    return set;
}

}  // namespace attn

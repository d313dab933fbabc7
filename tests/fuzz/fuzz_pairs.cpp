// fuzz_pairs.cpp — the fra-eng sentence-pair loader (tab-separated English, French, attribution).
// The first byte picks the options a chapter may pass (length limit, the tutorial's prefixes, direction).
#include "common/data/corpus.hpp"
#include "tests/fuzz/fuzz_util.hpp"

std::vector<std::string> fuzz_seeds() {
    const std::string tsv =
        "Go.\tVa !\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272 (CM) & #1158250 (Wittydev)\n"
        "I'm cold.\tJ'ai froid.\tCC-BY 2.0\n"
        "He is tall.\tIl est grand.\tCC-BY 2.0\n"
        "Ça va ?\tÇa va ?\tx\n";
    return {std::string(1, '\0') + tsv, std::string(1, '\x07') + tsv, "\x02Go.\tVa !\n"};
}

void fuzz_one(const std::string& bytes) {
    if (bytes.empty()) return;
    const unsigned char opt = (unsigned char)bytes[0];
    attn::PairOptions o;
    o.max_len = (opt & 1) ? 10 : 0;
    o.eng_prefixes = (opt & 2) != 0;
    o.direction = (opt & 4) ? "fr-en" : "en-fr";
    o.max_pairs = (opt & 8) ? 2 : 0;
    attn::load_pairs(fuzz::scratch_file(bytes.substr(1)), o);
}

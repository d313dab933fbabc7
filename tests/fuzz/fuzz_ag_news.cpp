// fuzz_ag_news.cpp — AG News in both layouts: the official headerless "class","title","description"
// and Made With ML's header y,X. The first byte says whether the description is kept.
#include "common/data/text_datasets.hpp"
#include "tests/fuzz/fuzz_util.hpp"

std::vector<std::string> fuzz_seeds() {
    const std::string official =
        "\"3\",\"Wall St. Bears Claw Back\",\"Reuters - Short-sellers, Wall Street's dwindling band\"\n"
        "\"4\",\"New chip\",\"A #39;fast#39; one \\\\ here\"\n"
        "\"1\",\"Peace talks\",\"\"\n";
    const std::string mwml = "X,y\n\"Sharon Accepts Plan\",World\n\"Chip sales up\",Sci/Tech\nsports day,Sports\n";
    return {std::string(1, '\0') + official, std::string(1, '\x01') + official, std::string(1, '\0') + mwml};
}

void fuzz_one(const std::string& bytes) {
    if (bytes.empty()) return;
    attn::load_ag_news_csv(fuzz::scratch_file(bytes.substr(1)), bytes[0] & 1);
}

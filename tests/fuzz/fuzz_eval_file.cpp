// fuzz_eval_file.cpp — chapter 05's --eval-file: an AG News file (either layout) or an airline tweets file,
// told apart by its first row, checked against the classes of a loaded model.
#include "common/data/text_splits.hpp"
#include "tests/fuzz/fuzz_util.hpp"

std::vector<std::string> fuzz_seeds() {
    return {"\"3\",\"Wall St. Bears\",\"Reuters - Short-sellers\"\n\"1\",\"Talks\",\"peace\"\n",
            "X,y\n\"Sharon Accepts Plan\",World\n",
            "tweet_id,airline_sentiment,text\n1,negative,@united late again\n2,positive,thanks :)\n"};
}

void fuzz_one(const std::string& bytes) {
    const std::string path = fuzz::scratch_file(bytes);
    try {
        attn::load_text_eval_file(path, {"World", "Sports", "Business", "Sci/Tech"}, "ag_news");
    } catch (const attn::Error&) {  // a tweets file is refused by an AG News model: try the other
    }
    attn::load_text_eval_file(path, {"negative", "neutral", "positive"}, "tweets");
}

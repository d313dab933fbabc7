// fuzz_bleu.cpp — the `bleu` tool's inputs: a hypothesis file and two reference files (one input, three
// parts), scored as the tool scores them. Seeds: the BLEU fixtures of tests/fixtures.
#include "common/eval/bleu.hpp"
#include "tests/fuzz/fuzz_util.hpp"

std::vector<std::string> fuzz_seeds() {
    const std::string dir = ATTN_FIXTURES;
    return {fuzz::join_parts({fuzz::read_file_or_empty(dir + "/bleu_hyp.txt"),
                              fuzz::read_file_or_empty(dir + "/bleu_ref0.txt"),
                              fuzz::read_file_or_empty(dir + "/bleu_ref1.txt")}),
            fuzz::join_parts({"the cat sat\n", "the cat sat on\n", "a cat sat\n"})};
}

void fuzz_one(const std::string& bytes) {
    std::vector<std::string> p = fuzz::split_parts(bytes, 3);
    attn::bleu_from_files(fuzz::scratch_file(p[0], 0), {fuzz::scratch_file(p[1], 1), fuzz::scratch_file(p[2], 2)});
}

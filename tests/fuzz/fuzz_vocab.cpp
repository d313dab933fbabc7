// fuzz_vocab.cpp — the vocabularies stored in checkpoints: a word vocabulary (chapters 01–07) and
// the hashed n-gram vocabulary (chapter 05). The first byte picks which; the rest is its text form.
#include "common/data/ngram_vocab.hpp"
#include "common/data/vocab.hpp"
#include "tests/fuzz/fuzz_util.hpp"

std::vector<std::string> fuzz_seeds() {
    attn::Vocab v = attn::Vocab::build({"the cat sat", "the dog sat on the mat", "ça va"}, 1, 100);
    attn::NgramVocab n = attn::NgramVocab::build({{"good", "flight"}, {"bad", "flight", ":("}}, 1, 50, 64, 3, 5);
    return {std::string(1, '\0') + v.serialize(), std::string(1, '\x01') + n.serialize()};
}

void fuzz_one(const std::string& bytes) {
    if (bytes.empty()) return;
    const std::string text = bytes.substr(1);
    if (bytes[0] & 1) {
        attn::NgramVocab n = attn::NgramVocab::deserialize(text, "fuzz: ngram vocab");
        std::vector<int> ids;
        n.word_ids("flights", ids);
    } else {
        attn::Vocab v = attn::Vocab::deserialize(text, "fuzz: vocab");
        v.decode(v.encode("the cat", true, true));
    }
}

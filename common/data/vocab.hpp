// vocab.hpp — token <-> id, built from space-tokenised sentences.
//
// Ids 0..3 are the specials: <pad>=0 (padding, masked out), <unk>=1 (a token not in the
// vocabulary), <bos>=2 (begin of sentence: the decoder's first input), <eos>=3 (end of sentence).
// The remaining ids go to tokens by frequency, most frequent first, ties by byte order of the
// token — so the same sentences always give the same ids, on any machine.
#pragma once
#include <string>
#include <unordered_map>
#include <vector>

namespace attn {

class Vocab {
public:
    static constexpr int PAD = 0, UNK = 1, BOS = 2, EOS = 3, NUM_SPECIALS = 4;

    Vocab();  // only the four specials

    // Tokens seen at least min_freq times; max_size (> 0) caps the size *including* the specials.
    static Vocab build(const std::vector<std::string>& sentences, int min_freq, int max_size);

    int id(const std::string& token) const;  // UNK when unknown
    const std::string& token(int id) const;  // error when out of range
    int size() const { return (int)tokens_.size(); }

    // ids of the space-separated tokens of sentence, optionally framed by <bos> ... <eos>
    std::vector<int> encode(const std::string& sentence, bool add_bos, bool add_eos) const;
    // tokens joined by spaces; strip_specials drops <pad> and <bos> and stops at the first <eos>
    // (<unk> stays visible)
    std::string decode(const std::vector<int>& ids, bool strip_specials = true) const;

    // Text form for checkpoints: "attn-vocab 1 <size>\n" then one token per line, in id order.
    std::string serialize() const;
    static Vocab deserialize(const std::string& text, const std::string& where);

private:
    std::vector<std::string> tokens_;
    std::unordered_map<std::string, int> index_;
    void add(const std::string& tok);
};

}  // namespace attn

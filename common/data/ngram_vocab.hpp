// ngram_vocab.hpp — words for a text classifier that must cope with words it never saw.
//
// A title like "Sprint-Nextel merger approved" may hold a word that is absent from the training
// titles. A plain word vocabulary turns it into <unk> and the model is blind to it; fastText
// (Bojanowski et al. 2017, "Enriching Word Vectors with Subword Information") represents a word
// by its whole-word id AND the ids of its character n-grams, so "nextel's" still shares
// "<ne", "nex", "ext", "xte", "tel" with "nextel":
//
//   word_ids("where") = { id("where") or <unk>,
//                         bucket("<wh"), bucket("whe"), ..., bucket("re>"),      n = min_n
//                         ...,                                                  ...
//                         bucket("<wher"), ..., bucket("here>") }               n = max_n
//   bucket(g) = vocab.size() + FNV-1a(g) mod buckets        (the n-grams share `buckets` rows)
//
// The model's embedding of the word is the mean of those rows (embedding_bag.hpp). Ids are
// therefore in [0, size()) with size() = words.size() + buckets.
//
// tokenize_words() is the one tokeniser of the text chapters: ASCII lower case; a word is a run of
// letters, digits, apostrophes, '@', '#' and UTF-8 bytes (emoji, accents); `$ % ! ?` are tokens of
// their own, and so are the emoticons :) :( :-) :-( :d :p ;) :/ <3; every other byte separates;
// "http..." links become "<url>".
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/data/vocab.hpp"

namespace attn {

std::vector<std::string> tokenize_words(const std::string& text);

struct NgramVocab {
    Vocab words;      // whole words seen >= min_freq times in the training texts
    int buckets = 0;  // hashed character n-gram rows (0: whole words only)
    int min_n = 3, max_n = 5;

    // words from the tokenised training texts; buckets, min_n..max_n as above (1 <= min_n <= max_n)
    static NgramVocab build(const std::vector<std::vector<std::string>>& texts, int min_freq, int max_words,
                            int buckets, int min_n, int max_n);
    int size() const { return words.size() + buckets; }
    // Appends the ids of one word (its word id first, then its n-gram buckets) to out.
    void word_ids(const std::string& word, std::vector<int>& out) const;
    // Text form for checkpoints: "attn-ngram-vocab 1 <buckets> <min_n> <max_n>\n" + Vocab::serialize().
    std::string serialize() const;
    static NgramVocab deserialize(const std::string& text, const std::string& where);
};

// FNV-1a, 32 bits: the n-gram hash (stable on every machine).
uint32_t fnv1a(const char* s, size_t n);

}  // namespace attn

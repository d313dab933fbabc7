#include "common/data/vocab.hpp"

#include <algorithm>

#include "common/data/corpus.hpp"
#include "common/core/error.hpp"

namespace attn {

static const char* kSpecials[Vocab::NUM_SPECIALS] = {"<pad>", "<unk>", "<bos>", "<eos>"};

Vocab::Vocab() {
    for (const char* s : kSpecials) add(s);
}

void Vocab::add(const std::string& tok) {
    index_.emplace(tok, (int)tokens_.size());
    tokens_.push_back(tok);
}

Vocab Vocab::build(const std::vector<std::string>& sentences, int min_freq, int max_size) {
    std::unordered_map<std::string, long> freq;
    for (const auto& s : sentences)
        for (auto& t : split_tokens(s)) freq[std::move(t)]++;
    std::vector<std::pair<std::string, long>> items(freq.begin(), freq.end());
    // most frequent first; ties by token so the order never depends on the hash table
    std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    Vocab v;
    for (const auto& [tok, f] : items) {
        if (f < min_freq) break;  // sorted by frequency: the rest are rarer
        if (max_size > 0 && v.size() >= max_size) break;
        if (v.index_.count(tok)) continue;  // a literal "<unk>" in the text is the special
        v.add(tok);
    }
    return v;
}

int Vocab::id(const std::string& token) const {
    auto it = index_.find(token);
    return it == index_.end() ? UNK : it->second;
}

const std::string& Vocab::token(int id) const {
    if (id < 0 || id >= size())
        fail("Vocab::token", "expected an id in 0.." + std::to_string(size() - 1) + ", found " + std::to_string(id));
    return tokens_[id];
}

std::vector<int> Vocab::encode(const std::string& sentence, bool add_bos, bool add_eos) const {
    std::vector<int> ids;
    if (add_bos) ids.push_back(BOS);
    size_t i = 0, n = sentence.size();
    std::string tok;
    while (i < n) {
        while (i < n && sentence[i] == ' ') i++;
        size_t j = i;
        while (j < n && sentence[j] != ' ') j++;
        if (j > i) {
            tok.assign(sentence, i, j - i);
            ids.push_back(id(tok));
        }
        i = j;
    }
    if (add_eos) ids.push_back(EOS);
    return ids;
}

std::string Vocab::decode(const std::vector<int>& ids, bool strip_specials) const {
    std::string out;
    for (int t : ids) {
        if (strip_specials) {
            if (t == EOS) break;
            if (t == PAD || t == BOS) continue;
        }
        if (!out.empty()) out += ' ';
        out += token(t);
    }
    return out;
}

std::string Vocab::serialize() const {
    std::string s = "attn-vocab 1 " + std::to_string(size()) + "\n";
    for (const auto& t : tokens_) s += t + "\n";
    return s;
}

Vocab Vocab::deserialize(const std::string& text, const std::string& where) {
    size_t nl = text.find('\n');
    std::string head = text.substr(0, nl);
    const std::string magic = "attn-vocab 1 ";
    if (nl == std::string::npos || head.compare(0, magic.size(), magic) != 0)
        fail(where, "expected a vocabulary starting 'attn-vocab 1 <size>', found '" + head.substr(0, 40) + "'",
             "was this checkpoint written by another version?");
    long count = 0;
    std::string num = head.substr(magic.size());
    if (num.empty() || num.size() > 9 || num.find_first_not_of("0123456789") != std::string::npos)
        fail(where, "expected a vocabulary size, found '" + num + "'");
    count = std::stol(num);
    if (count < NUM_SPECIALS) fail(where, "expected at least the 4 special tokens, found size " + num);
    Vocab v;
    v.tokens_.clear();
    v.index_.clear();
    size_t pos = nl + 1;
    for (long i = 0; i < count; i++) {
        size_t e = text.find('\n', pos);
        if (e == std::string::npos)
            fail(where, "expected " + std::to_string(count) + " tokens, found " + std::to_string(i), "truncated vocabulary");
        std::string tok = text.substr(pos, e - pos);
        if (tok.empty() || tok.find(' ') != std::string::npos)
            fail(where + ":token " + std::to_string(i), "expected a non-empty token without spaces, found '" + tok + "'");
        if (i < NUM_SPECIALS && tok != kSpecials[i])
            fail(where + ":token " + std::to_string(i), std::string("expected the special ") + kSpecials[i] + ", found '" + tok + "'");
        if (v.index_.count(tok)) fail(where + ":token " + std::to_string(i), "expected unique tokens, '" + tok + "' repeats");
        v.add(tok);
        pos = e + 1;
    }
    if (pos != text.size())
        fail(where, "expected the vocabulary to end after " + std::to_string(count) + " tokens, found more text");
    return v;
}

}  // namespace attn

#include "common/data/ngram_vocab.hpp"

#include <cctype>
#include <cstring>
#include <sstream>

#include "common/core/error.hpp"

namespace attn {

static bool word_byte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '\'' || c == '@' || c == '#' || c >= 0x80;
}

// ":)", ":-(", "<3" ...: a token of their own (a tweet's sentiment is often in them); i moves past it.
static bool match_emoticon(const std::string& text, size_t& i, std::vector<std::string>& out) {
    static const char* kEmoticons[] = {":-)", ":-(", ":-d", ":-p", ":)", ":(", ":d", ":p", ";)", ":/", "<3"};
    for (const char* e : kEmoticons) {
        const size_t n = std::strlen(e);
        if (i + n > text.size()) continue;
        bool same = true;
        for (size_t k = 0; k < n && same; k++) same = (char)std::tolower((unsigned char)text[i + k]) == e[k];
        // ":d" must not start a word (":dallas"); the emoticon ends at a space, punctuation or the end
        if (!same || (i + n < text.size() && std::isalnum((unsigned char)text[i + n]))) continue;
        out.push_back(e);
        i += n - 1;
        return true;
    }
    return false;
}

std::vector<std::string> tokenize_words(const std::string& text) {
    std::vector<std::string> out;
    std::string cur;
    auto flush = [&] {
        if (cur.empty()) return;
        while (!cur.empty() && cur.back() == '\'') cur.pop_back();  // "players'" -> "players"
        size_t s = 0;
        while (s < cur.size() && cur[s] == '\'') s++;  // "'09" -> "09"
        if (s < cur.size()) out.push_back(cur.substr(s));
        cur.clear();
    };
    for (size_t i = 0; i < text.size(); i++) {
        unsigned char c = (unsigned char)text[i];
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c - 'A' + 'a');
        if (cur.empty() && text.compare(i, 4, "http") == 0) {  // a link: one token, whatever it says
            while (i < text.size() && text[i] != ' ' && text[i] != '\n') i++;
            out.push_back("<url>");
            continue;
        }
        if (cur.empty() && match_emoticon(text, i, out)) continue;
        if (word_byte(c)) {
            cur += (char)c;
            continue;
        }
        flush();
        if (c == '$' || c == '%' || c == '!' || c == '?') out.push_back(std::string(1, (char)c));
    }
    flush();
    return out;
}

uint32_t fnv1a(const char* s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

NgramVocab NgramVocab::build(const std::vector<std::vector<std::string>>& texts, int min_freq, int max_words,
                             int buckets, int min_n, int max_n) {
    if (min_n < 1 || max_n < min_n || buckets < 0)
        fail("NgramVocab::build", "1 <= min_n <= max_n and buckets >= 0, got n " + std::to_string(min_n) +
                                      ".." + std::to_string(max_n) + ", buckets " + std::to_string(buckets));
    std::vector<std::string> joined;
    joined.reserve(texts.size());
    for (const auto& t : texts) {
        std::string s;
        for (const auto& w : t) s += (s.empty() ? "" : " ") + w;
        joined.push_back(s);
    }
    NgramVocab v;
    v.words = Vocab::build(joined, min_freq, max_words);
    v.buckets = buckets, v.min_n = min_n, v.max_n = max_n;
    return v;
}

void NgramVocab::word_ids(const std::string& word, std::vector<int>& out) const {
    out.push_back(words.id(word));
    if (buckets == 0) return;
    const std::string w = "<" + word + ">";  // the markers tell a prefix or suffix from the middle
    for (int n = min_n; n <= max_n; n++)
        for (size_t i = 0; i + n <= w.size(); i++)
            out.push_back(words.size() + (int)(fnv1a(w.data() + i, (size_t)n) % (uint32_t)buckets));
}

std::string NgramVocab::serialize() const {
    return "attn-ngram-vocab 1 " + std::to_string(buckets) + " " + std::to_string(min_n) + " " +
           std::to_string(max_n) + "\n" + words.serialize();
}

NgramVocab NgramVocab::deserialize(const std::string& text, const std::string& where) {
    std::istringstream in(text);
    std::string magic, line;
    int version = 0;
    NgramVocab v;
    const size_t nl = text.find('\n');
    line = text.substr(0, nl);
    std::istringstream head(line);
    std::string rest;
    if (nl == std::string::npos || !(head >> magic >> version >> v.buckets >> v.min_n >> v.max_n) ||
        (head >> rest) || magic != "attn-ngram-vocab" || version != 1)
        fail(where, "expected a first line 'attn-ngram-vocab 1 <buckets> <min_n> <max_n>', found '" + line + "'",
             "was this checkpoint written by 05_attention_classifier?");
    // the sizes a checkpoint may hold: the ranges of chapter 05's --buckets, --min-n and --max-n
    if (v.buckets < 0 || v.buckets > 10000000 || v.min_n < 1 || v.max_n < v.min_n || v.max_n > 20)
        fail(where, "expected 0 <= buckets <= 10000000 and 1 <= min_n <= max_n <= 20, found '" + line + "'",
             "the checkpoint is damaged or hand-made; save it again with 05_attention_classifier");
    v.words = Vocab::deserialize(text.substr(nl + 1), where);
    return v;
}

}  // namespace attn

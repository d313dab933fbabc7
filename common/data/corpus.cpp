#include "common/data/corpus.hpp"

#include "common/core/error.hpp"
#include "common/data/gzfile.hpp"
#include "common/data/utf8.hpp"

namespace attn {

static bool is_space_cp(uint32_t c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0xA0 || c == 0x202F || c == 0x2009;
}

static bool is_punct_cp(uint32_t c) {
    switch (c) {
        case '.': case ',': case '!': case '?': case ';': case ':': case '"': case '(': case ')':
        case 0xAB: case 0xBB:      // « »
        case 0x201C: case 0x201D:  // “ ”
        case 0x2026:               // …
        case 0xA1: case 0xBF:      // ¡ ¿
            return true;
        default:
            return false;
    }
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string normalize_sentence(const std::string& s) {
    std::string out;
    out.reserve(s.size() + 8);
    bool pending_space = false;  // a separator is due before the next character we emit
    auto emit_space = [&] {
        if (!out.empty()) pending_space = true;
    };
    size_t i = 0, n = s.size();
    while (i < n) {
        uint32_t cp;
        int len = utf8_decode(s.data(), n, i, &cp);
        if (len == 0) fail("normalize_sentence", "valid UTF-8 at byte " + std::to_string(i));
        bool number_sep = (cp == '.' || cp == ',') && i > 0 && is_digit(s[i - 1]) && i + 1 < n && is_digit(s[i + 1]);
        if (is_space_cp(cp)) {
            emit_space();
        } else if (is_punct_cp(cp) && !number_sep) {
            emit_space();
            if (pending_space) out += ' ';
            pending_space = false;
            utf8_append(out, cp);
            emit_space();
        } else {
            if (pending_space) out += ' ';
            pending_space = false;
            uint32_t lc = lower_codepoint(cp);
            if (lc == cp) out.append(s, i, len);  // keep the original bytes (the common case)
            else utf8_append(out, lc);
        }
        i += len;
    }
    return out;
}

std::vector<std::string> split_tokens(const std::string& s) {
    std::vector<std::string> toks;
    size_t i = 0, n = s.size();
    while (i < n) {
        while (i < n && s[i] == ' ') i++;
        size_t j = i;
        while (j < n && s[j] != ' ') j++;
        if (j > i) toks.emplace_back(s, i, j - i);
        i = j;
    }
    return toks;
}

int count_tokens(const std::string& s) {
    int k = 0;
    bool in = false;
    for (char c : s) {
        if (c != ' ' && !in) k++;
        in = c != ' ';
    }
    return k;
}

const std::vector<std::string>& eng_prefix_list() {
    static const std::vector<std::string> list = {
        "i am ", "i m ", "i'm ", "he is", "he s ", "he's ", "she is", "she s ", "she's ",
        "you are", "you re ", "you're ", "we are", "we re ", "we're ", "they are", "they re ", "they're "};
    return list;
}

static bool has_eng_prefix(const std::string& s) {
    for (const auto& p : eng_prefix_list())
        if (s.compare(0, p.size(), p) == 0) return true;
    return false;
}

PairSet load_pairs(const std::string& path, const PairOptions& opt) {
    if (opt.direction != "en-fr" && opt.direction != "fr-en")
        fail("direction", "expected en-fr or fr-en, found '" + opt.direction + "'");
    std::string text = read_whole_file(path);
    if (text.empty()) fail(path, "expected tab-separated sentence pairs, found an empty file");
    check_utf8(text, path);

    PairSet ps;
    ps.name = opt.name;
    ps.source = path;
    const bool swap = opt.direction == "fr-en";
    size_t i = 0, n = text.size();
    if (n >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;  // byte-order mark
    long line = 0;
    while (i < n) {
        line++;
        size_t end = text.find('\n', i);
        if (end == std::string::npos) end = n;
        size_t stop = (end > i && text[end - 1] == '\r') ? end - 1 : end;  // CRLF files
        // fields: [i, t1) [t1+1, t2) [t2+1, stop)
        size_t t1 = text.find('\t', i);
        if (t1 >= stop) t1 = std::string::npos;
        size_t t2 = t1 == std::string::npos ? std::string::npos : text.find('\t', t1 + 1);
        if (t2 != std::string::npos && t2 >= stop) t2 = std::string::npos;
        size_t t3 = t2 == std::string::npos ? std::string::npos : text.find('\t', t2 + 1);
        if (t3 != std::string::npos && t3 >= stop) t3 = std::string::npos;
        std::string where = path + ":" + std::to_string(line);
        if (t1 == std::string::npos || t3 != std::string::npos) {
            int found = 1;
            for (size_t k = i; k < stop; k++) found += text[k] == '\t';
            fail(where, "expected 2 or 3 tab-separated fields (English, French[, attribution]), found " + std::to_string(found),
                 stop == i ? "an empty line; remove it" : "is this the ManyThings fra-eng file (English<TAB>French per line)?");
        }
        size_t fr_end = t2 == std::string::npos ? stop : t2;
        std::string en = normalize_sentence(text.substr(i, t1 - i));
        std::string fr = normalize_sentence(text.substr(t1 + 1, fr_end - t1 - 1));
        if (en.empty() || fr.empty())
            fail(where, std::string("expected a non-empty ") + (en.empty() ? "English" : "French") + " sentence",
                 "every line needs text on both sides of the tab");
        i = end + 1;
        if (opt.eng_prefixes && !has_eng_prefix(en)) continue;
        if (opt.max_len > 0 && (count_tokens(en) > opt.max_len || count_tokens(fr) > opt.max_len)) continue;
        if (swap) ps.pairs.push_back({std::move(fr), std::move(en)});
        else ps.pairs.push_back({std::move(en), std::move(fr)});
        if (opt.max_pairs > 0 && (long)ps.pairs.size() >= opt.max_pairs) break;
    }
    return ps;
}

}  // namespace attn

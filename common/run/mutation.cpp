#include "common/run/mutation.hpp"

#include <algorithm>
#include <cctype>

namespace attn {

// code_mask[i] is true where code[i] is code: not a comment, a string or character literal, or a
// preprocessor line.
static std::vector<bool> code_mask(const std::string& code) {
    std::vector<bool> is_code(code.size(), true);
    size_t i = 0;
    bool line_start = true;
    while (i < code.size()) {
        const char c = code[i];
        auto skip_to = [&](size_t end) {  // marks [i, end) as not code
            end = std::min(end, code.size());
            for (; i < end; i++) is_code[i] = false;
        };
        if (line_start && c == '#') {
            skip_to(code.find('\n', i));
        } else if (c == '/' && i + 1 < code.size() && code[i + 1] == '/') {
            skip_to(code.find('\n', i));
        } else if (c == '/' && i + 1 < code.size() && code[i + 1] == '*') {
            const size_t e = code.find("*/", i + 2);
            skip_to(e == std::string::npos ? e : e + 2);
        } else if (c == '"' || c == '\'') {
            size_t e = i + 1;
            while (e < code.size() && code[e] != c && code[e] != '\n') e += code[e] == '\\' ? 2 : 1;
            skip_to(e + 1);
        } else {
            if (c == '\n') line_start = true;
            else if (!std::isspace((unsigned char)c)) line_start = false;
            i++;
        }
    }
    return is_code;
}

static bool word_char(char c) { return std::isalnum((unsigned char)c) || c == '_'; }

// The end of the subscript that opens at code[open] == '[' (its matching ']'), or npos.
static size_t matching_bracket(const std::string& code, const std::vector<bool>& is_code, size_t open) {
    int depth = 0;
    for (size_t i = open; i < code.size(); i++) {
        if (!is_code[i]) continue;
        if (code[i] == '[') depth++;
        if (code[i] == ']' && --depth == 0) return i;
        if (code[i] == ';' || code[i] == '{') return std::string::npos;
    }
    return std::string::npos;
}

// The numeric literal at code[i] (not part of a name): its length, and its mutation; 0 if none.
static size_t number_at(const std::string& code, size_t i, std::string& mutated) {
    if (!std::isdigit((unsigned char)code[i]) || (i > 0 && (word_char(code[i - 1]) || code[i - 1] == '.'))) return 0;
    if (i >= 2 && (code[i - 1] == '-' || code[i - 1] == '+') && (code[i - 2] == 'e' || code[i - 2] == 'E'))
        return 0;  // the exponent of 1e-9
    size_t e = i;
    while (e < code.size() && std::isdigit((unsigned char)code[e])) e++;
    const std::string whole = code.substr(i, e - i);
    if (e < code.size() && (code[e] == 'x' || code[e] == 'e' || code[e] == 'E')) return 0;  // hex, 1e-9
    size_t end = e;
    if (end < code.size() && code[end] == '.') {
        end++;
        while (end < code.size() && std::isdigit((unsigned char)code[end])) end++;
        if (end < code.size() && (code[end] == 'e' || code[end] == 'E')) return 0;
    }
    while (end < code.size() && (code[end] == 'f' || code[end] == 'u' || code[end] == 'l' || code[end] == 'L')) end++;
    if (end < code.size() && word_char(code[end])) return 0;
    if (whole.size() > 9) return 0;
    mutated = std::to_string(std::stol(whole) + 1);
    mutated += code.substr(e, end - e);
    return end - i;
}

// A line that is one whole statement ending in ';' — a call, an assignment — and not a declaration we
// can tell (it starts with a type-like word followed by a name) or a control line. Its [begin, end).
static bool statement_line(const std::string& code, const std::vector<bool>& is_code, size_t b, size_t e) {
    size_t first = b;
    while (first < e && std::isspace((unsigned char)code[first])) first++;
    size_t last = e;
    while (last > first && (std::isspace((unsigned char)code[last - 1]) || !is_code[last - 1])) last--;
    if (first >= last || code[last - 1] != ';' || !is_code[first]) return false;
    const std::string text = code.substr(first, last - first);
    for (const char* head : {"return", "for ", "for(", "if ", "if(", "while", "else", "}", "{", "case ", "break", "continue"})
        if (text.rfind(head, 0) == 0) return false;
    if (std::count(text.begin(), text.end(), ';') != 1) return false;
    return text.find('=') != std::string::npos || text.find('(') != std::string::npos;
}

std::vector<Mutation> mutations_of(const std::string& code) {
    const std::vector<bool> is_code = code_mask(code);
    std::vector<Mutation> out;
    int line = 1;
    auto add = [&](size_t at, size_t len, std::string rep, const char* kind) {
        out.push_back({at, len, std::move(rep), line, kind});
    };
    auto at_text = [&](size_t i, const char* s) {
        const size_t n = std::char_traits<char>::length(s);
        if (code.compare(i, n, s) != 0) return false;
        for (size_t k = i; k < i + n; k++)
            if (!is_code[k]) return false;
        return true;
    };
    // a binary operator with one space on each side: " + ", " <= "
    static const std::pair<const char*, const char*> spaced[] = {
        {" + ", " - "}, {" - ", " + "}, {" < ", " <= "}, {" <= ", " < "}, {" > ", " >= "}, {" >= ", " > "},
        {" == ", " != "}, {" != ", " == "}, {" && ", " || "}, {" || ", " && "}};
    for (size_t i = 0; i < code.size(); i++) {
        if (i == 0 || code[i - 1] == '\n') {  // a whole statement on this line, dropped
            const size_t e = std::min(code.find('\n', i), code.size());
            if (statement_line(code, is_code, i, e)) {
                const size_t first = code.find_first_not_of(" \t", i);
                add(first, e - first, ";  // (statement dropped)", "statement");
            }
        }
        if (code[i] == '\n') line++;
        if (!is_code[i]) continue;
        for (const auto& [from, to] : spaced)
            if (at_text(i, from)) {
                const char c = from[1];
                add(i, std::char_traits<char>::length(from), to,
                    c == '+' || c == '-' ? "sign" : c == '&' || c == '|' ? "logic" : "compare");
            }
        if (at_text(i, " += ")) {
            add(i, 4, " -= ", "compound");
            add(i, 4, " = ", "drop");
        }
        if (at_text(i, " -= ")) add(i, 4, " += ", "compound");
        if (at_text(i, " *= ")) add(i, 4, " /= ", "compound");
        if (code[i] == '[' && i > 0 && (word_char(code[i - 1]) || code[i - 1] == ')' || code[i - 1] == ']')) {
            const size_t close = matching_bracket(code, is_code, i);
            if (close != std::string::npos && close > i + 1) {
                std::string sub = "[";  // (+= throughout: GCC 12 warns falsely, -Wrestrict, on chained +)
                sub += code.substr(i + 1, close - i - 1), sub += " + 1]";
                add(i, close + 1 - i, sub, "index");
            }
        }
        std::string number;
        if (const size_t len = number_at(code, i, number)) add(i, len, number, "constant");
    }
    return out;
}

std::string apply_mutation(const std::string& code, const Mutation& m) {
    std::string out = code;
    out.replace(m.at, m.length, m.replacement);
    return out;
}

std::string describe_mutation(const std::string& code, const Mutation& m, int first_line) {
    // the mutated line; for a dropped statement, the line that was dropped
    const std::string mutated = m.kind == "statement" ? code : apply_mutation(code, m);
    size_t b = mutated.rfind('\n', m.at == 0 ? 0 : m.at - 1);
    b = b == std::string::npos || m.at == 0 ? 0 : b + 1;
    size_t e = mutated.find('\n', m.at);
    std::string text = mutated.substr(b, e == std::string::npos ? std::string::npos : e - b);
    text.erase(0, text.find_first_not_of(" \t"));
    if (text.size() > 110) text.resize(107), text += "...";
    std::string out = "line ";
    out += std::to_string(first_line + m.line - 1), out += " (", out += m.kind, out += "): ";
    if (m.kind == "statement") out += "dropped: ";
    out += text;
    return out;
}

}  // namespace attn

#include "common/run/assignments.hpp"

#include <cctype>
#include <sstream>

#include "common/core/error.hpp"

namespace attn {

static std::string trim(const std::string& s) {
    size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
    return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// The function a marker sits in: walking up from the marker, the first code line (not a comment, a
// preprocessor line, `template <...>` or a closing brace) indented LESS than the marker that has a '('
// — its identifier before the '(' is the name (`inline void gru_seq2seq_encode(GRUSeq2Seq& m, ...` ->
// gru_seq2seq_encode; a method `    void step(...) {` above a marker indented 8 -> step).
static std::string enclosing_function(const std::vector<std::string>& lines, size_t at) {
    const size_t marker_indent = lines[at].find_first_not_of(' ');
    for (size_t i = at; i-- > 0;) {
        const std::string& l = lines[i];
        const size_t indent = l.find_first_not_of(" \t");
        if (indent == std::string::npos || indent >= marker_indent) continue;
        const char c = l[indent];
        if (c == '/' || c == '#' || c == '}' || l.compare(indent, 8, "template") == 0) continue;
        size_t p = l.find('(');
        if (p == std::string::npos) continue;
        size_t e = p;
        while (e > 0 && std::isspace((unsigned char)l[e - 1])) e--;
        size_t b = e;
        while (b > 0 && (std::isalnum((unsigned char)l[b - 1]) || l[b - 1] == '_' || l[b - 1] == ':')) b--;
        if (b < e) return l.substr(b, e - b);
    }
    return "(unknown function)";
}

StubbedSource stub_solutions(const std::string& text, const std::string& path) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    StubbedSource out;
    std::ostringstream os;
    size_t begin_line = 0;
    bool inside = false;
    for (size_t i = 0; i < lines.size(); i++) {
        const std::string t = trim(lines[i]);
        std::string where = path + ":" + std::to_string(i + 1);
        if (t == "// BEGIN SOLUTION") {
            if (inside)
                fail(where, "an // END SOLUTION before the next // BEGIN SOLUTION (the one at line " +
                                std::to_string(begin_line + 1) + " is still open)");
            inside = true, begin_line = i;
            std::string fn = enclosing_function(lines, i);
            std::string indent = lines[i].substr(0, lines[i].find('/'));
            out.functions.push_back(fn);
            os << lines[i] << "\n"
               << indent << "attn::fail(\"" << path << ": " << fn << "\", \"not implemented\", "
               << "\"write this body (see the chapter README), then run make test\");\n";
        } else if (t == "// END SOLUTION") {
            if (!inside) fail(where, "a // BEGIN SOLUTION before this // END SOLUTION");
            inside = false;
            os << lines[i] << "\n";
        } else if (!inside) {
            os << lines[i] << "\n";
        }
    }
    if (inside) fail(path + ":" + std::to_string(begin_line + 1), "an // END SOLUTION after this // BEGIN SOLUTION");
    out.text = os.str();
    // the stub calls attn::fail: make sure the file can see it
    if (!out.functions.empty() && text.find("common/core/error.hpp") == std::string::npos) {
        size_t at = out.text.find("#pragma once\n");
        at = at == std::string::npos ? 0 : at + 13;
        out.text.insert(at, "#include \"common/core/error.hpp\"  // for the stubs of make assignments\n");
    }
    if (!text.empty() && text.back() != '\n' && !out.text.empty()) out.text.pop_back();
    return out;
}

}  // namespace attn

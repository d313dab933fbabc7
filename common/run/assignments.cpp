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
static std::string enclosing_function(const std::vector<std::string>& lines, size_t at, size_t* sig_line = nullptr) {
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
        if (b < e) {
            if (sig_line) *sig_line = i;
            return l.substr(b, e - b);
        }
    }
    return "(unknown function)";
}

// The parameter names of the signature that opens at lines[at] (its first '(' to the matching ')',
// over several lines if need be): for each top-level comma-separated parameter, with any default
// value cut, the last identifier. Unnamed parameters give nothing.
static std::vector<std::string> parameter_names(const std::vector<std::string>& lines, size_t at) {
    std::string sig;
    int depth = 0;
    bool open = false;
    for (size_t i = at; i < lines.size(); i++) {
        for (char c : lines[i]) {
            if (!open) {
                if (c == '(') open = true, depth = 1;
                continue;
            }
            if (c == '(' || c == '<' || c == '[' || c == '{') depth++;
            if (c == ')' || c == '>' || c == ']' || c == '}') depth--;
            if (depth == 0) break;
            sig += depth == 1 && c == ',' ? '\x01' : c;  // a top-level comma
        }
        if (open && depth == 0) break;
        sig += ' ';
    }
    std::vector<std::string> names;
    std::string param;
    std::istringstream in(sig);
    while (std::getline(in, param, '\x01')) {
        param = param.substr(0, param.find('='));      // a default value
        param = param.substr(0, param.find('['));      // an array's extent
        size_t e = param.find_last_not_of(" \t");
        if (e == std::string::npos) continue;
        size_t b = e + 1;
        while (b > 0 && (std::isalnum((unsigned char)param[b - 1]) || param[b - 1] == '_')) b--;
        std::string name = param.substr(b, e + 1 - b);
        std::string before = trim(param.substr(0, b));
        // a name follows a type; a lone word is an unnamed parameter's type, and "void" means none
        if (!name.empty() && !std::isdigit((unsigned char)name[0]) && !before.empty() && name != "void") names.push_back(name);
    }
    return names;
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
            size_t sig = i;
            std::string fn = enclosing_function(lines, i, &sig);
            std::string indent = lines[i].substr(0, lines[i].find('/'));
            out.functions.push_back(fn);
            os << lines[i] << "\n";
            std::string unused;  // the stub does not use the parameters yet: say so, so that no warning
            for (const std::string& p : parameter_names(lines, sig)) {
                if (!unused.empty()) unused += ", ";
                unused += "(void)", unused += p;
            }
            if (!unused.empty() && sig != i) os << indent << unused << ";\n";
            os << indent << "attn::fail(\"" << path << ": " << fn << "\", \"not implemented\", "
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

// Each marked body of `text`, in order: the function it is in and its lines (between the markers).
struct SolutionBody {
    std::string function;
    size_t begin = 0, end = 0;  // the lines of the markers
};
static std::vector<SolutionBody> solution_bodies(const std::vector<std::string>& lines, const std::string& path) {
    std::vector<SolutionBody> bodies;
    bool inside = false;
    for (size_t i = 0; i < lines.size(); i++) {
        const std::string t = trim(lines[i]);
        if (t == "// BEGIN SOLUTION") {
            if (inside) fail(path + ":" + std::to_string(i + 1), "an // END SOLUTION before the next // BEGIN SOLUTION");
            bodies.push_back({enclosing_function(lines, i), i, 0}), inside = true;
        } else if (t == "// END SOLUTION") {
            if (!inside) fail(path + ":" + std::to_string(i + 1), "a // BEGIN SOLUTION before this // END SOLUTION");
            bodies.back().end = i, inside = false;
        }
    }
    if (inside) fail(path + ":" + std::to_string(bodies.back().begin + 1), "an // END SOLUTION after this // BEGIN SOLUTION");
    return bodies;
}

static std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines;
}

std::vector<std::string> unwritten_solutions(const std::string& text, const std::string& path) {
    const std::vector<std::string> lines = split_lines(text);
    std::vector<std::string> names;
    for (const SolutionBody& b : solution_bodies(lines, path))
        for (size_t i = b.begin + 1; i < b.end; i++)
            if (lines[i].find("\", \"not implemented\", ") != std::string::npos) {
                if (names.empty() || names.back() != b.function) names.push_back(b.function);
                break;
            }
    return names;
}

// The run-time switch of a switchable splice (once per file; several files may define it).
static const char* const kStudentBodySwitch =
    "#ifndef ATTN_STUDENT_BODY\n"
    "#define ATTN_STUDENT_BODY\n"
    "#include <cstdlib>\n"
    "#include <cstring>\n"
    "#include <string>\n"
    "// autograde: does the student's body of `fn` run? (ATTN_STUDENT=fn1,fn2; else the reference's)\n"
    "// The list is read once; each call is a search without allocation (some bodies run per row).\n"
    "inline bool attn_student_body(const char* fn) {\n"
    "    static const std::string on = [] {\n"
    "        const char* e = std::getenv(\"ATTN_STUDENT\");\n"
    "        return e ? \",\" + std::string(e) + \",\" : std::string();\n"
    "    }();\n"
    "    const size_t n = std::strlen(fn);\n"
    "    for (size_t at = on.find(fn); at != std::string::npos; at = on.find(fn, at + 1))\n"
    "        if (on[at - 1] == ',' && on[at + n] == ',') return true;  // a whole name between commas\n"
    "    return false;\n"
    "}\n"
    "#endif\n";

std::vector<std::pair<size_t, size_t>> solution_body_lines(const std::string& text, const std::string& path,
                                                           const std::string& function) {
    std::vector<std::pair<size_t, size_t>> out;
    for (const SolutionBody& b : solution_bodies(split_lines(text), path))
        if (b.function == function) out.push_back({b.begin + 1, b.end});
    return out;
}

std::string splice_solution(const std::string& reference, const std::string& student, const std::string& function,
                            const std::string& path, bool switchable) {
    const std::vector<std::string> ref = split_lines(reference), stu = split_lines(student);
    const std::vector<SolutionBody> ref_bodies = solution_bodies(ref, path);
    std::vector<SolutionBody> stu_bodies;
    try {
        stu_bodies = solution_bodies(stu, path);
    } catch (const std::exception&) {  // broken markers: none of the student's bodies can be found
    }
    std::vector<const SolutionBody*> theirs;
    for (const SolutionBody& b : stu_bodies)
        if (b.function == function) theirs.push_back(&b);
    std::ostringstream os;
    size_t next = 0, k = 0;
    for (const SolutionBody& b : ref_bodies) {
        if (b.function != function) continue;
        for (; next <= b.begin; next++) os << ref[next] << "\n";  // up to and including BEGIN
        const std::string indent = ref[b.begin].substr(0, ref[b.begin].find('/'));
        if (k < theirs.size() && switchable) {  // if (student's turn) { theirs } else { the reference }
            os << indent << "if (attn_student_body(\"" << function << "\")) {\n";
            for (size_t i = theirs[k]->begin + 1; i < theirs[k]->end; i++) os << stu[i] << "\n";
            os << indent << "} else {\n";
            for (size_t i = b.begin + 1; i < b.end; i++) os << ref[i] << "\n";
            os << indent << "}\n";
        } else if (k < theirs.size()) {
            for (size_t i = theirs[k]->begin + 1; i < theirs[k]->end; i++) os << stu[i] << "\n";
        } else {
            os << indent << "attn::fail(\"" << path << ": " << function << "\", \"not implemented\", "
               << "\"its // BEGIN SOLUTION ... // END SOLUTION markers were not found in the submission\");\n";
        }
        next = b.end, k++;
    }
    for (; next < ref.size(); next++) os << ref[next] << "\n";
    std::string out = os.str();
    if (!reference.empty() && reference.back() != '\n' && !out.empty()) out.pop_back();
    size_t at = out.find("#pragma once\n");
    at = at == std::string::npos ? 0 : at + 13;
    if (k > theirs.size() && reference.find("common/core/error.hpp") == std::string::npos)  // a stub went in
        out.insert(at, "#include \"common/core/error.hpp\"  // for the stub\n");
    if (switchable && !theirs.empty() && out.find("#define ATTN_STUDENT_BODY\n") == std::string::npos)
        out.insert(at, kStudentBodySwitch);
    return out;
}

}  // namespace attn

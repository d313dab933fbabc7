#include "common/run/grading.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/core/error.hpp"
#include "common/run/metrics_json.hpp"

namespace attn {

static std::string trim(const std::string& s) {
    size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
    return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

static std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> parts;
    std::string cur;
    for (char c : s) {
        if (c == sep) parts.push_back(trim(cur)), cur.clear();
        else cur += c;
    }
    parts.push_back(trim(cur));
    return parts;
}

static bool is_identifier(const std::string& s) {
    if (s.empty() || std::isdigit((unsigned char)s[0])) return false;
    for (char c : s)
        if (!std::isalnum((unsigned char)c) && c != '_' && c != ':') return false;
    return true;
}

std::vector<GradedFunction> read_grading_manifest(const std::string& path, const std::string& chapter) {
    std::ifstream in(path);
    if (!in) fail(path, "expected a grading manifest that can be opened", "every graded chapter has chapters/NN_name/grading.txt");
    std::vector<GradedFunction> fns;
    auto check_tests = [&](const std::string& where) {
        if (!fns.empty() && fns.back().tests.empty())
            fail(where, "expected at least one test case (an indented line) for " + fns.back().function);
    };
    std::string line;
    int n = 1;
    for (; std::getline(in, line); n++) {
        const std::string t = trim(line);
        if (t.empty() || t[0] == '#') continue;
        const std::string where = path + ":" + std::to_string(n);
        if (line[0] == ' ' || line[0] == '\t') {  // a test case of the function above
            if (fns.empty()) fail(where, "expected a 'function | points | visibility' line before its test cases");
            fns.back().tests.push_back(t);
            continue;
        }
        check_tests(path + ":" + std::to_string(fns.empty() ? n : fns.back().line));
        std::vector<std::string> f = split(t, '|');
        if (f.size() != 3)
            fail(where, "expected 3 fields 'function | points | visibility', found " + std::to_string(f.size()),
                 "separate the fields with '|'; list the test cases below, one per indented line");
        GradedFunction g;
        g.chapter = chapter, g.function = f[0], g.visibility = f[2], g.line = n;
        if (!is_identifier(g.function)) fail(where, "expected a function name, found '" + f[0] + "'");
        char* end = nullptr;
        g.points = std::strtod(f[1].c_str(), &end);
        if (f[1].empty() || *end != '\0' || !(g.points > 0) || g.points > 1000)
            fail(where, "expected points, a number in (0, 1000], found '" + f[1] + "'");
        if (g.visibility != "visible" && g.visibility != "hidden" && g.visibility != "after_due_date" &&
            g.visibility != "after_published")
            fail(where, "expected visibility visible, hidden, after_due_date or after_published, found '" + f[2] + "'",
                 "Gradescope's four values");
        for (const GradedFunction& other : fns)
            if (other.function == g.function)
                fail(where, "expected each function once, found " + g.function + " again (line " + std::to_string(other.line) + ")");
        fns.push_back(g);
    }
    if (!fns.empty()) check_tests(path + ":" + std::to_string(fns.back().line));
    return fns;
}

static std::string test_name(const GradedResult& r) { return r.fn.chapter.substr(0, 2) + " " + r.fn.function; }

static std::string seconds_text(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", s);
    return buf;
}

std::string gradescope_json(const std::vector<GradedResult>& results, double seconds, bool include_times) {
    double score = 0, max_score = 0;
    std::vector<JsonObject> tests;
    for (const GradedResult& r : results) {
        score += r.score, max_score += r.fn.points;
        JsonObject t;
        t.set("name", test_name(r));
        t.set("number", r.fn.chapter.substr(0, 2));
        t.set("score", r.score), t.set("max_score", r.fn.points);
        t.set("output", r.output), t.set("visibility", r.fn.visibility);
        if (include_times) t.set("execution_time", r.seconds);
        tests.push_back(t);
    }
    JsonObject o;
    o.set("score", score), o.set("max_score", max_score);
    if (include_times) o.set("execution_time", seconds);
    o.set("tests", tests);
    return o.dump(2);
}

std::string xml_escape(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (c == '&') out += "&amp;";
        else if (c == '<') out += "&lt;";
        else if (c == '>') out += "&gt;";
        else if (c == '"') out += "&quot;";
        else if (c == '\'') out += "&apos;";
        else if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') continue;  // not allowed in XML 1.0
        else out += (char)c;
    }
    return out;
}

std::string junit_xml(const std::vector<GradedResult>& results, bool include_times) {
    std::ostringstream os;
    os << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n";
    for (size_t i = 0; i < results.size();) {
        size_t j = i;
        int failures = 0;
        double secs = 0;
        for (; j < results.size() && results[j].fn.chapter == results[i].fn.chapter; j++)
            failures += results[j].score < results[j].fn.points, secs += results[j].seconds;
        os << "  <testsuite name=\"" << xml_escape(results[i].fn.chapter) << "\" tests=\"" << (j - i)
           << "\" failures=\"" << failures << "\"";
        if (include_times) os << " time=\"" << seconds_text(secs) << "\"";
        os << ">\n";
        for (size_t k = i; k < j; k++) {
            const GradedResult& r = results[k];
            os << "    <testcase classname=\"" << xml_escape(r.fn.chapter) << "\" name=\"" << xml_escape(r.fn.function)
               << "\"";
            if (include_times) os << " time=\"" << seconds_text(r.seconds) << "\"";
            if (r.score >= r.fn.points) {
                os << "/>\n";
                continue;
            }
            os << ">\n      <failure message=\"" << xml_escape(r.fn.function) << ": " << r.score << " of " << r.fn.points
               << " points\">" << xml_escape(r.output) << "</failure>\n    </testcase>\n";
        }
        os << "  </testsuite>\n";
        i = j;
    }
    os << "</testsuites>\n";
    return os.str();
}

std::string doctest_filter(const std::string& test_name) {
    std::string out;
    for (char c : test_name) {
        if (c == ',' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

std::vector<std::string> test_case_names(const std::string& source) {
    std::vector<std::string> names;
    const std::string key = "TEST_CASE(\"";
    for (size_t at = source.find(key); at != std::string::npos; at = source.find(key, at + 1)) {
        std::string name;
        size_t i = at + key.size();
        for (; i < source.size() && source[i] != '"'; i++) {
            if (source[i] == '\\' && i + 1 < source.size()) i++;
            name += source[i];
        }
        if (i < source.size()) names.push_back(name);
    }
    return names;
}

std::filesystem::path find_student_file(const std::filesystem::path& submission, const std::filesystem::path& rel,
                                        std::string& note) {
    namespace fs = std::filesystem;
    if (fs::is_regular_file(submission / rel)) return submission / rel;
    std::vector<fs::path> at_path, by_name;
    std::string tail = "/";
    tail += rel.generic_string();
    std::error_code ec;  // an unreadable folder is skipped, not an error
    for (auto it = fs::recursive_directory_iterator(submission, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_directory(ec) && it->path().filename() == "grading") it.disable_recursion_pending();
        if (!it->is_regular_file(ec)) continue;
        const std::string p = it->path().generic_string();
        if (p.size() > tail.size() && p.ends_with(tail)) at_path.push_back(it->path());
        if (it->path().filename() == rel.filename()) by_name.push_back(it->path());
    }
    std::sort(at_path.begin(), at_path.end()), std::sort(by_name.begin(), by_name.end());
    const std::vector<fs::path>& found = !at_path.empty() ? at_path : by_name;
    if (found.size() == 1) {
        note = "note: ", note += rel.generic_string(), note += " was found as ";
        note += fs::relative(found[0], submission).generic_string(), note += "\n";
        return found[0];
    }
    note = "note: ", note += rel.generic_string();
    note += found.empty() ? " is not in the submission" : " is in the submission more than once";
    note += "; graded as unwritten\n";
    return "";
}

}  // namespace attn

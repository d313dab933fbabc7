// Tests for common/run/mutation: the small bugs of `make mutants`.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/run/mutation.hpp"

using namespace attn;

// Every mutant of `code`, as the mutated text.
static std::vector<std::string> mutants(const std::string& code) {
    std::vector<std::string> out;
    for (const Mutation& m : mutations_of(code)) out.push_back(apply_mutation(code, m));
    return out;
}
static bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

TEST_CASE("mutation: each operator of the list, once each, at its place") {
    const std::string code = "for (int i = 0; i < n; i++) s += a[i] * b[i] - c;\n";
    const std::vector<std::string> m = mutants(code);
    CHECK(has(m, "for (int i = 1; i < n; i++) s += a[i] * b[i] - c;\n"));   // constant
    CHECK(has(m, "for (int i = 0; i <= n; i++) s += a[i] * b[i] - c;\n"));  // compare
    CHECK(has(m, "for (int i = 0; i < n; i++) s -= a[i] * b[i] - c;\n"));   // compound
    CHECK(has(m, "for (int i = 0; i < n; i++) s = a[i] * b[i] - c;\n"));    // drop
    CHECK(has(m, "for (int i = 0; i < n; i++) s += a[i + 1] * b[i] - c;\n"));  // index
    CHECK(has(m, "for (int i = 0; i < n; i++) s += a[i] * b[i + 1] - c;\n"));
    CHECK(has(m, "for (int i = 0; i < n; i++) s += a[i] * b[i] + c;\n"));   // sign
    CHECK(m.size() == 7);
}

TEST_CASE("mutation: comments, strings, preprocessor lines, names and templates are left alone") {
    const std::string code =
        "#include <vector>\n"
        "// a + b < c\n"
        "std::vector<float> v2(n);  /* x - y */ fail(\"a + b\", 'x');\n"
        "float eps = 1e-9f; int h = 0x10;\n";
    const std::vector<Mutation> ms = mutations_of(code);
    CHECK(ms.empty());
}

TEST_CASE("mutation: decimals keep their suffix; logic and equality flip; lambdas' captures are no subscripts") {
    const std::vector<std::string> m = mutants("if (a == b && c != d) x *= 0.5f; f([&](int k) { return k; });");
    CHECK(has(m, "if (a != b && c != d) x *= 0.5f; f([&](int k) { return k; });"));
    CHECK(has(m, "if (a == b || c != d) x *= 0.5f; f([&](int k) { return k; });"));
    CHECK(has(m, "if (a == b && c == d) x *= 0.5f; f([&](int k) { return k; });"));
    CHECK(has(m, "if (a == b && c != d) x /= 0.5f; f([&](int k) { return k; });"));
    CHECK(has(m, "if (a == b && c != d) x *= 1.5f; f([&](int k) { return k; });"));
    CHECK(m.size() == 5);
}

TEST_CASE("mutation: the description names the line and shows the mutated code") {
    const std::string code = "int a = 0;\n    if (i >= n) return;\n";
    const std::vector<Mutation> ms = mutations_of(code);
    const auto it = std::find_if(ms.begin(), ms.end(), [](const Mutation& m) { return m.kind == "compare"; });
    REQUIRE(it != ms.end());
    CHECK(it->line == 2);
    CHECK(describe_mutation(code, *it, 40) == "line 41 (compare): if (i > n) return;");
}

TEST_CASE("mutation: a line that is one call or assignment can be dropped; control lines cannot") {
    const std::string code =
        "    linear_forward(out, x, W, b, B, D, H);  // a call\n"
        "    y = x;\n"
        "    for (int i = 0; i < n; i++) f(i);\n"
        "    return y;\n";
    const std::vector<std::string> m = mutants(code);
    CHECK(has(m, "    ;  // (statement dropped)\n    y = x;\n    for (int i = 0; i < n; i++) f(i);\n    return y;\n"));
    CHECK(has(m, "    linear_forward(out, x, W, b, B, D, H);  // a call\n    ;  // (statement dropped)\n"
                 "    for (int i = 0; i < n; i++) f(i);\n    return y;\n"));
    int statements = 0;
    for (const Mutation& mu : mutations_of(code)) statements += mu.kind == "statement";
    CHECK(statements == 2);  // not the for line, not the return
    const Mutation first = mutations_of(code).front();
    REQUIRE(first.kind == "statement");
    CHECK(describe_mutation(code, first, 10) == "line 10 (statement): dropped: linear_forward(out, x, W, b, B, D, H);  // a call");
}

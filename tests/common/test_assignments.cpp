// Tests for common/run/assignments: the stubs of `make assignments`.
#include <doctest/doctest.h>

#include "common/run/assignments.hpp"
#include "common/core/error.hpp"

using namespace attn;

TEST_CASE("assignments: a solution body becomes a stub naming the file and the function") {
    std::string src =
        "// helper\n"
        "template <class F>\n"
        "inline float dot_forward(const float* a, const float* b,\n"
        "                         int n) {\n"
        "    float s = 0;\n"
        "    // BEGIN SOLUTION\n"
        "    for (int i = 0; i < n; i++) s += a[i] * b[i];\n"
        "    // END SOLUTION\n"
        "    return s;\n"
        "}\n"
        "void other() {\n"
        "    int kept = 1;\n"
        "}\n";
    StubbedSource s = stub_solutions(src, "chapters/x/dot.hpp");
    REQUIRE(s.functions.size() == 1);
    CHECK(s.functions[0] == "dot_forward");
    CHECK(s.text.find("s += a[i] * b[i]") == std::string::npos);  // the solution is gone
    CHECK(s.text.find("    attn::fail(\"chapters/x/dot.hpp: dot_forward\", \"not implemented\"") != std::string::npos);
    CHECK(s.text.find("// BEGIN SOLUTION\n    attn::fail") != std::string::npos);  // markers stay, indented stub
    CHECK(s.text.find("    return s;\n}\nvoid other() {\n    int kept = 1;\n}\n") != std::string::npos);
    CHECK(s.text.rfind("#include \"common/core/error.hpp\"", 0) == 0);  // the stub's attn::fail is declared
    StubbedSource h = stub_solutions("#pragma once\nvoid g() {\n  // BEGIN SOLUTION\n  // END SOLUTION\n}\n", "g.hpp");
    CHECK(h.text.rfind("#pragma once\n#include \"common/core/error.hpp\"", 0) == 0);
}

TEST_CASE("assignments: a method's body is named after the method, not the function above the struct") {
    std::string src =
        "inline void helper(int x) {\n"
        "    x++;\n"
        "}\n"
        "struct Decoder {\n"
        "    int n = 0;\n"
        "    void step(const int* tokens,\n"
        "              int count) {\n"
        "        // BEGIN SOLUTION\n"
        "        n += count;\n"
        "        // END SOLUTION\n"
        "    }\n"
        "};\n";
    StubbedSource s = stub_solutions(src, "d.hpp");
    REQUIRE(s.functions.size() == 1);
    CHECK(s.functions[0] == "step");
    CHECK(s.text.find("        attn::fail(\"d.hpp: step\", \"not implemented\"") != std::string::npos);
}

TEST_CASE("assignments: a file without markers is unchanged; unmatched markers are errors with the line") {
    std::string plain = "int f(int x) {\n    return x;\n}";
    StubbedSource s = stub_solutions(plain, "a.cpp");
    CHECK(s.text == plain);
    CHECK(s.functions.empty());
    CHECK_THROWS_WITH_AS(stub_solutions("void f() {\n    // BEGIN SOLUTION\n}\n", "a.cpp"),
                         doctest::Contains("a.cpp:2"), attn::Error);
    CHECK_THROWS_WITH_AS(stub_solutions("void f() {\n    // END SOLUTION\n}\n", "b.cpp"),
                         doctest::Contains("b.cpp:2"), attn::Error);
    CHECK_THROWS_WITH_AS(stub_solutions("void f() {\n  // BEGIN SOLUTION\n  // BEGIN SOLUTION\n}\n", "c.cpp"),
                         doctest::Contains("c.cpp:3"), attn::Error);
}

TEST_CASE("assignments: splice_solution takes one function's body from the student, the rest from the reference") {
    const std::string ref =
        "#pragma once\n#include \"common/core/error.hpp\"\n"
        "inline int f(int x) {\n    // BEGIN SOLUTION\n    return x + 1;\n    // END SOLUTION\n}\n"
        "inline int g(int x) {\n    int y = x;\n    // BEGIN SOLUTION\n    y *= 2;\n    // END SOLUTION\n"
        "    // BEGIN SOLUTION\n    y += 3;\n    // END SOLUTION\n    return y;\n}\n";
    const std::string student =  // f left as the stub, g written (its own way), a helper added outside
        "#pragma once\n#include \"common/core/error.hpp\"\nint helper();\n"
        "inline int f(int x) {\n    // BEGIN SOLUTION\n    attn::fail(\"f\", \"not implemented\");\n    // END SOLUTION\n}\n"
        "inline int g(int x) {\n    int y = x;\n    // BEGIN SOLUTION\n    y = y + y;\n    // END SOLUTION\n"
        "    // BEGIN SOLUTION\n    y = y + 3;\n    // END SOLUTION\n    return y;\n}\n";
    const std::string with_g = splice_solution(ref, student, "g", "x.hpp");
    CHECK(with_g.find("return x + 1;") != std::string::npos);  // f: the reference's
    CHECK(with_g.find("y = y + y;") != std::string::npos);     // g: both of the student's bodies
    CHECK(with_g.find("y = y + 3;") != std::string::npos);
    CHECK(with_g.find("y *= 2;") == std::string::npos);
    CHECK(with_g.find("helper") == std::string::npos);         // outside the markers: the reference's
    const std::string with_f = splice_solution(ref, student, "f", "x.hpp");
    CHECK(with_f.find("not implemented") != std::string::npos);  // the student's stub, as written
    CHECK(with_f.find("y *= 2;") != std::string::npos);
    CHECK(splice_solution(ref, ref, "g", "x.hpp") == ref);  // the reference spliced into itself
    // a student file without g's markers (or none at all): g becomes the stub
    const std::string none = splice_solution(ref, "", "g", "x.hpp");
    CHECK(none.find("x.hpp: g\", \"not implemented\"") != std::string::npos);
    CHECK(none.find("y += 3;") == std::string::npos);
    CHECK(none.find("return x + 1;") != std::string::npos);
    // broken markers in the student's file: no body of theirs is used
    CHECK(splice_solution(ref, "// BEGIN SOLUTION\n", "f", "x.hpp").find("return x + 1;") == std::string::npos);
}

// Tests for common/run/assignments: the stubs of `make assignments`.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

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
    CHECK(s.text.find("// BEGIN SOLUTION\n    (void)") != std::string::npos);  // markers stay, indented stub
    CHECK(s.text.find("    return s;\n}\nvoid other() {\n    int kept = 1;\n}\n") != std::string::npos);
    CHECK(s.text.rfind("#include \"common/core/error.hpp\"", 0) == 0);  // the stub's attn::fail is declared
    // the stub names the parameters it does not use yet, so the student edition builds with -Werror
    CHECK(s.text.find("// BEGIN SOLUTION\n    (void)a, (void)b, (void)n;\n    attn::fail") != std::string::npos);
    StubbedSource h = stub_solutions("#pragma once\nvoid g() {\n  // BEGIN SOLUTION\n  // END SOLUTION\n}\n", "g.hpp");
    CHECK(h.text.rfind("#pragma once\n#include \"common/core/error.hpp\"", 0) == 0);
    CHECK(h.text.find("(void)") == std::string::npos);  // g() has no parameters
    CHECK(stub_solutions("void f() {}\n", "y.hpp").text == "void f() {}\n");  // nothing stubbed: unchanged
    // parameters over several lines, with templates, defaults, arrays and an unnamed one
    const std::string multi =
        "inline void k(std::vector<std::pair<int, int>>& pairs, const float* x,\n"
        "              int n = 3, float w[4], int /*unused*/, double) {\n"
        "    // BEGIN SOLUTION\n    // END SOLUTION\n}\n";
    CHECK(stub_solutions(multi, "k.hpp").text.find("    (void)pairs, (void)x, (void)n, (void)w;\n") != std::string::npos);
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

TEST_CASE("assignments: a switchable splice keeps both bodies, chosen at run time by ATTN_STUDENT") {
    const std::string ref = "#pragma once\ninline int f(int x) {\n    // BEGIN SOLUTION\n    return x + 1;\n    // END SOLUTION\n}\n"
                            "inline int g(int x) {\n    // BEGIN SOLUTION\n    return x;\n    // END SOLUTION\n}\n";
    const std::string student = "#pragma once\ninline int f(int x) {\n    // BEGIN SOLUTION\n    return x - 1;\n    // END SOLUTION\n}\n"
                                "inline int g(int x) {\n    // BEGIN SOLUTION\n    return 2 * x;\n    // END SOLUTION\n}\n";
    std::string both = splice_solution(ref, student, "f", "x.hpp", true);
    both = splice_solution(both, student, "g", "x.hpp", true);
    CHECK(both.find("    if (attn_student_body(\"f\")) {\n    return x - 1;\n    } else {\n    return x + 1;\n    }\n") !=
          std::string::npos);
    CHECK(both.find("    if (attn_student_body(\"g\")) {\n    return 2 * x;\n    } else {\n    return x;\n    }\n") !=
          std::string::npos);
    // the switch is defined once per file, guarded (several spliced headers may meet in one build)
    CHECK(both.find("#define ATTN_STUDENT_BODY\n") == both.rfind("#define ATTN_STUDENT_BODY\n"));
    CHECK(both.find("#ifndef ATTN_STUDENT_BODY\n") > both.find("#pragma once\n"));
    CHECK(both.find("#ifndef ATTN_STUDENT_BODY\n") < both.find("inline int f"));
    // a function whose body the student left out is the stub, not switched
    const std::string stub = splice_solution(ref, "", "f", "x.hpp", true);
    CHECK(stub.find("attn_student_body") == std::string::npos);
}

TEST_CASE("assignments: unwritten_solutions names the functions whose body is still the stub") {
    const std::string src =
        "inline int f(int x) {\n    // BEGIN SOLUTION\n    return x + 1;\n    // END SOLUTION\n}\n"
        "inline int g(int x) {\n    // BEGIN SOLUTION\n    return x;\n    // END SOLUTION\n}\n";
    CHECK(unwritten_solutions(src, "x.hpp").empty());
    const std::string stubbed = stub_solutions(src, "x.hpp").text;
    CHECK(unwritten_solutions(stubbed, "x.hpp") == std::vector<std::string>{"f", "g"});
    CHECK(unwritten_solutions(splice_solution(stubbed, src, "g", "x.hpp"), "x.hpp") == std::vector<std::string>{"f"});
}

// In the student edition of `make assignments`, this test lists every function left to write, at once
// (each chapter's own tests stop at the first stub they reach). In the course itself there are none.
TEST_CASE("assignments: every solution body is written (the student edition lists the ones left)") {
    namespace fs = std::filesystem;
    const fs::path root = fs::path(ATTN_FIXTURES).parent_path().parent_path();
    std::vector<std::string> left;
    for (const char* top : {"chapters", "common"})
        for (const auto& e : fs::recursive_directory_iterator(root / top)) {
            const std::string ext = e.path().extension().string();
            if (ext != ".hpp" && ext != ".cpp") continue;
            std::ifstream in(e.path(), std::ios::binary);
            std::stringstream ss;
            ss << in.rdbuf();
            const std::string rel = fs::relative(e.path(), root).generic_string();
            for (const std::string& fn : unwritten_solutions(ss.str(), rel)) left.push_back(rel + ": " + fn);
        }
    std::string list;
    for (const std::string& l : left) list += "\n  " + l;
    CHECK_MESSAGE(left.empty(), left.size() << " function(s) still to write (see each chapter's README):" << list);
}

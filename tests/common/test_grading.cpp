// Tests for common/run/grading (the autograder's manifests and reports), and the check that every
// chapter's grading.txt agrees with its solution markers and its test suite.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/core/error.hpp"
#include "common/run/assignments.hpp"
#include "common/run/grading.hpp"
#include "tests/temp_files.hpp"

namespace fs = std::filesystem;
using namespace attn;

static std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

TEST_CASE("grading: a manifest line gives the function, points, visibility and test cases") {
    const std::string path = testing::write_temp_file(
        "grading", "good.txt",
        "# comment\n\n"
        "f_forward | 2 | visible\n"
        "    a: one; with a semicolon\n"
        "\tb: two, with a comma\n"
        "f_backward | 1.5 | hidden\n"
        "    c\n");
    std::vector<GradedFunction> m = read_grading_manifest(path, "99_test");
    REQUIRE(m.size() == 2);
    CHECK(m[0].function == "f_forward");
    CHECK(m[0].points == 2);
    CHECK(m[0].visibility == "visible");
    REQUIRE(m[0].tests.size() == 2);
    CHECK(m[0].tests[0] == "a: one; with a semicolon");
    CHECK(m[0].tests[1] == "b: two, with a comma");
    CHECK(m[1].points == 1.5);
    CHECK(m[1].visibility == "hidden");
    CHECK(m[1].line == 6);
}

TEST_CASE("grading: a malformed manifest line is an error naming the file and line") {
    auto error_of = [](const std::string& body) {
        const std::string path = testing::write_temp_file("grading", "bad.txt", body);
        try {
            read_grading_manifest(path, "99_test");
        } catch (const std::exception& e) {
            return std::string(e.what());
        }
        return std::string("(no error)");
    };
    CHECK(error_of("f | 2\n  t\n").find("bad.txt:1") != std::string::npos);                   // 2 fields
    CHECK(error_of("# c\nf | two | visible\n  t\n").find("bad.txt:2") != std::string::npos);  // points
    CHECK(error_of("f | 0 | visible\n  t\n").find("points") != std::string::npos);             // not > 0
    CHECK(error_of("f | 1 | secret\n  t\n").find("visibility") != std::string::npos);
    CHECK(error_of("f | 1 | visible\ng | 1 | visible\n  t\n").find("bad.txt:1: expected at least one test case") !=
          std::string::npos);                                                                      // f has none
    CHECK(error_of("f | 1 | visible\n").find("at least one test case") != std::string::npos);   // the last has none
    CHECK(error_of("  t\nf | 1 | visible\n").find("before its test cases") != std::string::npos);
    CHECK(error_of("f(x) | 1 | visible\n  t\n").find("function name") != std::string::npos);
    CHECK(error_of("f | 1 | visible\n  t\nf | 1 | visible\n  u\n").find("again (line 1)") != std::string::npos);
    CHECK_THROWS(read_grading_manifest(testing::temp_path("grading", "missing.txt"), "99_test"));
}

TEST_CASE("grading: results.json and junit.xml carry every function's points, escaped") {
    GradedFunction a{"09_x", "f_forward", 2, "visible", {"t"}, 1}, b{"09_x", "f_backward", 3, "hidden", {"u"}, 2};
    std::vector<GradedResult> r = {{a, 2, "passed", 0.5}, {b, 0, "expected 1 < 2, got \"3\" & more\x01", 1.0}};
    const std::string json = gradescope_json(r, 9.0, false);
    CHECK(json.find("\"score\": 2") != std::string::npos);
    CHECK(json.find("\"max_score\": 5") != std::string::npos);
    CHECK(json.find("\"name\": \"09 f_backward\"") != std::string::npos);
    CHECK(json.find("\"visibility\": \"hidden\"") != std::string::npos);
    CHECK(json.find("got \\\"3\\\" & more") != std::string::npos);
    CHECK(json.find("execution_time") == std::string::npos);  // deterministic without times
    CHECK(gradescope_json(r, 9.0, true).find("\"execution_time\": 9") != std::string::npos);
    const std::string xml = junit_xml(r, false);
    CHECK(xml.find("<testsuite name=\"09_x\" tests=\"2\" failures=\"1\">") != std::string::npos);
    CHECK(xml.find("<testcase classname=\"09_x\" name=\"f_forward\"/>") != std::string::npos);
    CHECK(xml.find("expected 1 &lt; 2, got &quot;3&quot; &amp; more</failure>") != std::string::npos);
    CHECK(xml.find('\x01') == std::string::npos);
}

TEST_CASE("grading: doctest filters escape commas; TEST_CASE names are read from source") {
    CHECK(doctest_filter("on 1, 2 and 3 threads") == "on 1\\, 2 and 3 threads");
    CHECK(doctest_filter("a\\b") == "a\\\\b");
    const std::vector<std::string> names =
        test_case_names("TEST_CASE(\"one: \\\"quoted\\\"\") {}\n// TEST_CASE(\"two, x\") {\nTEST_CASE(\"three\")");
    REQUIRE(names.size() == 3);
    CHECK(names[0] == "one: \"quoted\"");
    CHECK(names[1] == "two, x");
}

// The manifests, the markers and the tests agree: every function a chapter's manifest grades is one
// its files mark as a solution body, every marked body is graded, and every test case it names exists
// in the chapter's suite (once).
TEST_CASE("grading: every chapter's grading.txt agrees with its solution markers and its tests") {
    const fs::path root = fs::path(ATTN_FIXTURES).parent_path().parent_path();
    int manifests = 0;
    for (const auto& ch : fs::directory_iterator(root / "chapters")) {
        const fs::path manifest = ch.path() / "grading.txt";
        if (!fs::is_regular_file(manifest)) continue;
        manifests++;
        const std::string chapter = ch.path().filename().string();
        CAPTURE(chapter);
        std::set<std::string> marked;
        for (const auto& f : fs::directory_iterator(ch.path()))
            if (f.path().extension() == ".hpp" || f.path().extension() == ".cpp")
                for (const std::string& fn : stub_solutions(slurp(f.path()), f.path().filename().string()).functions)
                    marked.insert(fn);
        std::multiset<std::string> tests;
        for (const auto& f : fs::directory_iterator(root / "tests" / chapter))
            if (f.path().extension() == ".cpp")
                for (const std::string& t : test_case_names(slurp(f.path()))) tests.insert(t);
        std::set<std::string> graded;
        for (const GradedFunction& g : read_grading_manifest(manifest.string(), chapter)) {
            CAPTURE(g.function);
            CHECK_MESSAGE(marked.count(g.function) == 1, "graded but not marked // BEGIN SOLUTION in " << chapter);
            for (const std::string& t : g.tests) CHECK_MESSAGE(tests.count(t) == 1, "no single test case \"" << t << "\"");
            graded.insert(g.function);
        }
        for (const std::string& fn : marked) CHECK_MESSAGE(graded.count(fn) == 1, fn << " is marked but not graded");
    }
    int chapters = 0;
    for (const auto& ch : fs::directory_iterator(root / "chapters")) chapters += ch.is_directory();
    CHECK_MESSAGE(manifests == chapters, "every chapter is an assignment: each needs a grading.txt");
}

TEST_CASE("grading: a submission's file is found at its path, in a folder, or by its name alone") {
    const fs::path dir = fs::path(testing::temp_path("grading", "submissions"));
    fs::remove_all(dir);
    const fs::path rel = "chapters/05_x/pool.hpp";
    auto put = [&](const fs::path& p) {
        fs::create_directories((dir / p).parent_path());
        testing::write_bytes((dir / p).string(), "// " + p.generic_string() + "\n");
    };
    std::string note;
    put("a/" + rel.generic_string());  // a copy of the course
    CHECK(find_student_file(dir / "a", rel, note) == dir / "a" / rel);
    CHECK(note.empty());
    put("b/course-main/" + rel.generic_string());  // a repository's zip, unpacked
    CHECK(find_student_file(dir / "b", rel, note) == dir / "b/course-main" / rel);
    CHECK(note.find("was found as course-main/chapters/05_x/pool.hpp") != std::string::npos);
    put("c/pool.hpp");  // the file alone
    CHECK(find_student_file(dir / "c", rel, note) == dir / "c/pool.hpp");
    put("d/x/pool.hpp"), put("d/y/pool.hpp");  // two candidates: neither is guessed
    CHECK(find_student_file(dir / "d", rel, note).empty());
    CHECK(note.find("more than once; graded as unwritten") != std::string::npos);
    put("e/grading/work/" + rel.generic_string());  // the grader's own copies are never the student's
    CHECK(find_student_file(dir / "e", rel, note).empty());
    CHECK(note.find("is not in the submission; graded as unwritten") != std::string::npos);
    fs::create_directories(dir / "f");  // an empty submission
    CHECK(find_student_file(dir / "f", rel, note).empty());
    fs::remove_all(dir);
}

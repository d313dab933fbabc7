// grader_build.hpp — what the autograder (autograde.cpp) and the mutant runner (mutants.cpp) share:
// compiling a chapter's test files against a copy of the course with this build's compiler and
// library, and running one test case in a child process with a time limit.
#pragma once
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <sys/wait.h>

#include "common/core/error.hpp"
#include "common/run/assignments.hpp"
#include "common/run/grading.hpp"

namespace grader {
namespace fs = std::filesystem;
using namespace attn;

#ifndef ATTN_CXX  // set by CMakeLists.txt: this build's compiler, flags, library and include paths
#error "the grader is built by CMake, which tells it how this build compiles"
#endif

inline std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline std::string quote(const std::string& s) {  // for /bin/sh
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

inline std::string tail(const std::string& s, size_t max_chars) {
    return s.size() <= max_chars ? s : "...\n" + s.substr(s.size() - max_chars);
}

// Runs a shell command; returns its exit status (124: timed out, 128+N: killed by signal N).
inline int run(const std::string& cmd) {
    int st = std::system(cmd.c_str());
    if (st == -1) return -1;
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    return 128 + WTERMSIG(st);
}

struct Setup {
    fs::path root, submission, work;
    double timeout = 120;
    std::string doctest_main;  // the compiled doctest runner, shared by every chapter
    std::string extra_flags;   // added to the test builds' compile and link (mutants --sanitize), or ""
};

// The file of a chapter that holds a function's solution body (relative to the root), or "".
inline fs::path file_of(const fs::path& root, const std::string& chapter, const std::string& function) {
    for (const auto& e : fs::directory_iterator(root / "chapters" / chapter)) {
        const std::string text = read_text(e.path());
        if (text.find("// BEGIN SOLUTION") == std::string::npos) continue;
        const fs::path rel = fs::relative(e.path(), root);
        for (const std::string& fn : stub_solutions(text, rel.generic_string()).functions)
            if (fn == function) return rel;
    }
    return "";
}

// Compiles `sources` (test files of the tree) into exe; "" or the compiler's complaint.
inline std::string build_tests(const Setup& s, const fs::path& tree, const std::vector<fs::path>& sources,
                               const fs::path& exe) {
    // (built with += throughout: GCC 12 warns falsely, -Wrestrict, on long chains of + here)
    std::string cmd = ATTN_CXX;
    cmd += " ", cmd += ATTN_CXX_FLAGS, cmd += s.extra_flags.empty() ? "" : " " + s.extra_flags;
    cmd += " -I", cmd += quote(tree.string());
    cmd += " -I", cmd += quote(ATTN_DOCTEST_INCLUDE), cmd += " -I", cmd += quote(ATTN_STB_INCLUDE);
    cmd += " '-DATTN_FIXTURES=\"", cmd += (tree / "tests/fixtures").string(), cmd += "\"'";
    for (const fs::path& src : sources) cmd += " ", cmd += quote(src.string());
    const fs::path log = exe.string() + ".build.log";
    cmd += " ", cmd += quote(s.doctest_main), cmd += " ", cmd += quote(ATTN_COMMON_LIB);
    cmd += " -lz -pthread -o ", cmd += quote(exe.string()), cmd += " > ", cmd += quote(log.string()), cmd += " 2>&1";
    if (run(cmd) == 0) return "";
    return "did not compile, so it earns no points. The compiler said:\n" + tail(read_text(log), 3000);
}

// One test case in a child process. Returns "" when it passed, else what went wrong.
// env: variables for the child ("ATTN_MUTANT=3 "), or "".
inline std::string run_test(const Setup& s, const fs::path& exe, const std::string& test, const fs::path& log,
                            const std::string& env = "") {
    char limit[32];
    std::snprintf(limit, sizeof limit, "%g", s.timeout);
    const std::string cmd = "cd " + quote(log.parent_path().string()) + " && " + env + "timeout -k 5 " + limit + " " +
                            quote(exe.string()) + " --no-colors --test-case=" + quote(doctest_filter(test)) + " > " +
                            quote(log.string()) + " 2>&1";
    const int rc = run(cmd);
    const std::string out = read_text(log);
    if (out.find("test cases: 0 |") != std::string::npos)
        return "the grader found no test case named \"" + test + "\" (a manifest error: tell your instructor)";
    if (rc == 0) return "";
    std::string what = rc == 124 || rc == 128 + 9 ? "timed out after " + std::string(limit) + " s (an endless loop?)"
                       : rc > 128               ? "crashed (signal " + std::to_string(rc - 128) + ")"
                                                : "failed";
    return "test \"" + test + "\" " + what + ":\n" + tail(out, 4000);
}

using TestFiles = std::vector<std::pair<fs::path, std::vector<std::string>>>;  // a suite's files, their test cases

// The test files that hold any of these test cases.
inline std::vector<fs::path> files_of(const TestFiles& test_files, const std::vector<std::string>& tests) {
    std::vector<fs::path> sources;
    for (const auto& [file, names] : test_files)
        for (const std::string& t : tests)
            if (std::find(names.begin(), names.end(), t) != names.end() &&
                std::find(sources.begin(), sources.end(), file) == sources.end())
                sources.push_back(file);
    return sources;
}

// A function's test cases, run one by one against exe until one fails: "" or what went wrong.
inline std::string run_tests(const Setup& s, const GradedFunction& fn, const fs::path& exe, const std::string& tag,
                             const std::string& env = "") {
    std::string failures;
    for (size_t i = 0; failures.empty() && i < fn.tests.size(); i++)
        failures = run_test(s, exe, fn.tests[i], exe.parent_path() / (tag + "_" + fn.function + "_" + std::to_string(i) + ".log"), env);
    return failures;
}

// A clean copy of the course's code and tests (not its data, builds or runs) in tree.
inline void copy_course(const fs::path& root, const fs::path& tree) {
    fs::remove_all(tree);
    fs::create_directories(tree);
    for (const char* top : {"common", "chapters", "tests"}) fs::copy(root / top, tree / top, fs::copy_options::recursive);
}

// The test files of a chapter's suite in tree, each with its test-case names, in name order.
inline TestFiles chapter_test_files(const fs::path& tree, const std::string& chapter) {
    TestFiles test_files;
    for (const auto& e : fs::directory_iterator(tree / "tests" / chapter))
        if (e.path().extension() == ".cpp") test_files.push_back({e.path(), test_case_names(read_text(e.path()))});
    std::sort(test_files.begin(), test_files.end());
    return test_files;
}

// The chapters with a grading.txt, by name, in order; `only` ("02,05", or "" for all) picks some.
inline std::vector<std::string> graded_chapters(const fs::path& root, const std::string& only) {
    std::vector<std::string> chapters;
    for (const auto& e : fs::directory_iterator(root / "chapters")) {
        const std::string name = e.path().filename().string();
        if (!fs::is_regular_file(e.path() / "grading.txt")) continue;
        if (!only.empty() && ("," + only + ",").find("," + name.substr(0, 2) + ",") == std::string::npos) continue;
        chapters.push_back(name);
    }
    std::sort(chapters.begin(), chapters.end());
    if (chapters.empty()) fail("--chapters", "at least one chapter with a grading.txt, found none for '" + only + "'");
    return chapters;
}

// The doctest runner, compiled once into s.work for every test binary to link.
inline void compile_doctest_main(Setup& s) {
    s.doctest_main = (s.work / "doctest_main.o").string();
    if (run(std::string(ATTN_CXX) + " " + ATTN_CXX_FLAGS + " -I" + quote(ATTN_DOCTEST_INCLUDE) + " -c " +
            quote((s.root / "tests/main.cpp").string()) + " -o " + quote(s.doctest_main)) != 0)
        fail("tests/main.cpp", "the doctest runner to compile", "is doctest-dev installed? (data_tools/install_deps.sh)");
}

}  // namespace grader

// autograde — grade a student's edition of the course, function by function (`make autograde
// SUBMISSION=DIR`).
//
//   build/bin/autograde --submission DIR [--chapters 09,10] [--timeout 120] [--jobs 2]
//
// For each chapter with a manifest (chapters/NN_name/grading.txt, common/run/grading.hpp):
//   1. a clean copy of the course (this repository: the reference) goes to DIR/grading/work/NN_name;
//   2. from DIR, only the chapter's students' files — the files of chapters/NN_name/ that hold
//      // BEGIN SOLUTION markers — are copied over it (a file missing from DIR counts as its stubbed
//      version). Every other file, the tests above all, stays the reference's, and so do the other
//      chapters' files: a broken chapter 02 costs nothing in chapter 05;
//   3. the chapter's test suite is compiled against that copy (a build error costs this chapter's
//      points only);
//   4. every graded function's test cases run, each in a child process with a time limit: a crash, an
//      abort or an endless loop loses that function's points only.
// Writes DIR/grading/results.json (Gradescope's format) and DIR/grading/junit.xml, and prints the
// points per chapter and function.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>

#include "common/core/error.hpp"
#include "common/run/assignments.hpp"
#include "common/run/cli.hpp"
#include "common/run/grading.hpp"

namespace fs = std::filesystem;
using namespace attn;

#ifndef ATTN_CXX  // set by CMakeLists.txt: this build's compiler, flags, library and include paths
#error "autograde is built by CMake, which tells it how this build compiles"
#endif

static std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

static std::string quote(const std::string& s) {  // for /bin/sh
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

static std::string tail(const std::string& s, size_t max_chars) {
    return s.size() <= max_chars ? s : "...\n" + s.substr(s.size() - max_chars);
}

// Runs a shell command; returns its exit status (124: timed out, 128+N: killed by signal N).
static int run(const std::string& cmd) {
    int st = std::system(cmd.c_str());
    if (st == -1) return -1;
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    return 128 + WTERMSIG(st);
}

struct Setup {
    fs::path root, submission, work;
    double timeout = 120;
    std::string doctest_main;  // the compiled doctest runner, shared by every chapter
};

// The students' files of a chapter: its files that hold solution markers.
static std::vector<fs::path> student_files(const fs::path& root, const std::string& chapter) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(root / "chapters" / chapter))
        if (e.is_regular_file() && read_text(e.path()).find("// BEGIN SOLUTION") != std::string::npos)
            files.push_back(fs::relative(e.path(), root));
    std::sort(files.begin(), files.end());
    return files;
}

// Step 1 and 2: the reference course with this chapter's students' files from the submission.
static std::string prepare_tree(const Setup& s, const std::string& chapter, const fs::path& tree) {
    fs::remove_all(tree);
    fs::create_directories(tree);
    for (const char* top : {"common", "chapters", "tests"})
        fs::copy(s.root / top, tree / top, fs::copy_options::recursive);
    std::string notes;
    for (const fs::path& rel : student_files(s.root, chapter)) {
        const fs::path from = s.submission / rel;
        if (fs::is_regular_file(from)) {
            fs::copy_file(from, tree / rel, fs::copy_options::overwrite_existing);
        } else {  // missing: its functions are unwritten
            std::ofstream(tree / rel, std::ios::binary) << stub_solutions(read_text(s.root / rel), rel.generic_string()).text;
            notes += "note: " + rel.generic_string() + " is not in the submission; graded as unwritten\n";
        }
    }
    return notes;
}

// Step 3: the chapter's test suite, compiled against the tree; "" or the compiler's complaint.
static std::string build_suite(const Setup& s, const std::string& chapter, const fs::path& tree, const fs::path& exe) {
    std::string cmd = std::string(ATTN_CXX) + " " + ATTN_CXX_FLAGS + " -I" + quote(tree.string()) + " -I" +
                      quote(ATTN_DOCTEST_INCLUDE) + " -I" + quote(ATTN_STB_INCLUDE) + " '-DATTN_FIXTURES=\"" +
                      (tree / "tests/fixtures").string() + "\"'";
    for (const auto& e : fs::directory_iterator(tree / "tests" / chapter))
        if (e.path().extension() == ".cpp") cmd += " " + quote(e.path().string());
    const fs::path log = tree / "build.log";
    cmd += " " + quote(s.doctest_main) + " " + quote(ATTN_COMMON_LIB) + " -lz -pthread -o " + quote(exe.string()) +
           " > " + quote(log.string()) + " 2>&1";
    if (run(cmd) == 0) return "";
    return "chapter " + chapter + " did not build, so none of its functions earn points. The compiler said:\n" +
           tail(read_text(log), 3000);
}

// Step 4: one test case in a child process. Returns "" when it passed, else what went wrong.
static std::string run_test(const Setup& s, const fs::path& exe, const std::string& test, const fs::path& log) {
    char limit[32];
    std::snprintf(limit, sizeof limit, "%g", s.timeout);
    const std::string cmd = "cd " + quote(log.parent_path().string()) + " && timeout -k 5 " + limit + " " +
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

static std::vector<GradedResult> grade_chapter(const Setup& s, const std::string& chapter,
                                               const std::vector<GradedFunction>& manifest) {
    std::vector<GradedResult> results;
    for (const GradedFunction& fn : manifest) results.push_back({fn, 0, "", 0});
    if (results.empty()) return results;
    const fs::path tree = s.work / chapter, exe = tree / ("test_" + chapter);
    const auto t0 = std::chrono::steady_clock::now();
    const std::string notes = prepare_tree(s, chapter, tree);
    const std::string build_error = build_suite(s, chapter, tree, exe);
    for (GradedResult& r : results) {
        if (!build_error.empty()) {
            r.output = notes + build_error;
            continue;
        }
        const auto t1 = std::chrono::steady_clock::now();
        std::string failures;
        for (size_t i = 0; i < r.fn.tests.size(); i++) {
            std::string f = run_test(s, exe, r.fn.tests[i], tree / ("test_" + std::to_string(r.fn.line) + "_" + std::to_string(i) + ".log"));
            if (!f.empty()) failures += (failures.empty() ? "" : "\n") + f;
        }
        r.score = failures.empty() ? r.fn.points : 0;
        r.output = notes + (failures.empty() ? "passed: " + std::to_string(r.fn.tests.size()) + " test case(s)" : failures);
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    }
    if (!build_error.empty())
        results.front().seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return results;
}

static void print_table(const std::vector<GradedResult>& results) {
    std::printf("\n%-28s %-34s %8s\n", "chapter", "function", "points");
    double score = 0, max_score = 0, ch_score = 0, ch_max = 0;
    for (size_t i = 0; i < results.size(); i++) {
        const GradedResult& r = results[i];
        std::printf("%-28s %-34s %4g/%-4g %s\n", r.fn.chapter.c_str(), r.fn.function.c_str(), r.score, r.fn.points,
                    r.score < r.fn.points ? "FAILED" : "");
        score += r.score, max_score += r.fn.points, ch_score += r.score, ch_max += r.fn.points;
        if (i + 1 == results.size() || results[i + 1].fn.chapter != r.fn.chapter) {
            std::printf("%-28s %-34s %4g/%-4g\n", r.fn.chapter.c_str(), "(chapter total)", ch_score, ch_max);
            ch_score = ch_max = 0;
        }
    }
    std::printf("%-28s %-34s %4g/%-4g\n", "TOTAL", "", score, max_score);
}

int main(int argc, char** argv) try {
    std::string submission, chapters_flag, root = ".";
    double timeout = 120;
    int jobs = 2;
    Cli cli("autograde", "Grade a submission (a student's copy of the course) function by function, with points.");
    cli.flag("submission", &submission, "the student's copy of the course (its chapters/ are read; nothing else)");
    cli.flag("chapters", &chapters_flag, "grade only these chapters, by number: 02,05 (default: every chapter with a grading.txt)");
    cli.flag("root", &root, "the reference course (this repository)");
    cli.flag("timeout", &timeout, "seconds each test case may run before it counts as an endless loop");
    cli.flag("jobs", &jobs, "chapters graded at once");
    cli.range("timeout", 1, 3600), cli.range("jobs", 1, 64);
    cli.parse(argc, argv);
    if (submission.empty()) fail("--submission", "the directory to grade", "make autograde SUBMISSION=path/to/copy");
    if (!fs::is_directory(fs::path(submission) / "chapters"))
        fail(submission, "a copy of the course (with chapters/)", "make assignments writes one: assignments/");
    if (!fs::is_regular_file(fs::path(root) / "CMakeLists.txt"))
        fail(root, "the course repository", "run from the repository root or pass --root");

    Setup s;
    s.root = fs::weakly_canonical(fs::absolute(root)), s.submission = fs::weakly_canonical(fs::absolute(submission)), s.timeout = timeout;
    s.work = s.submission / "grading" / "work";
    fs::create_directories(s.work);
    std::vector<std::string> chapters;
    for (const auto& e : fs::directory_iterator(s.root / "chapters")) {
        const std::string name = e.path().filename().string();
        if (!fs::is_regular_file(e.path() / "grading.txt")) continue;
        if (!chapters_flag.empty() && ("," + chapters_flag + ",").find("," + name.substr(0, 2) + ",") == std::string::npos)
            continue;
        chapters.push_back(name);
    }
    std::sort(chapters.begin(), chapters.end());
    if (chapters.empty()) fail("--chapters", "at least one chapter with a grading.txt, found none for '" + chapters_flag + "'");
    std::vector<std::vector<GradedFunction>> manifests;  // read (and checked) before any work starts
    for (const std::string& ch : chapters)
        manifests.push_back(read_grading_manifest((s.root / "chapters" / ch / "grading.txt").string(), ch));

    const auto t0 = std::chrono::steady_clock::now();
    s.doctest_main = (s.work / "doctest_main.o").string();
    std::printf("grading %s: %zu chapter(s), %d at a time\n", s.submission.c_str(), chapters.size(), jobs);
    if (run(std::string(ATTN_CXX) + " " + ATTN_CXX_FLAGS + " -I" + quote(ATTN_DOCTEST_INCLUDE) + " -c " +
            quote((s.root / "tests/main.cpp").string()) + " -o " + quote(s.doctest_main)) != 0)
        fail("tests/main.cpp", "the doctest runner to compile", "is doctest-dev installed? (data_tools/install_deps.sh)");

    std::vector<std::vector<GradedResult>> per_chapter(chapters.size());
    std::mutex print;
    size_t next = 0;
    auto worker = [&] {
        for (;;) {
            size_t k;
            {
                std::lock_guard<std::mutex> lock(print);
                if (next == chapters.size()) return;
                k = next++;
                std::printf("  %s ...\n", chapters[k].c_str());
                std::fflush(stdout);
            }
            per_chapter[k] = grade_chapter(s, chapters[k], manifests[k]);
        }
    };
    std::vector<std::thread> pool;
    for (int j = 0; j < jobs; j++) pool.emplace_back(worker);
    for (std::thread& t : pool) t.join();
    std::vector<GradedResult> results;
    for (const auto& r : per_chapter) results.insert(results.end(), r.begin(), r.end());
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    print_table(results);
    const fs::path out = s.submission / "grading";
    std::ofstream(out / "results.json") << gradescope_json(results, secs) << "\n";
    std::ofstream(out / "junit.xml") << junit_xml(results);
    std::printf("\nwrote %s and %s (%.0f s)\n", (out / "results.json").c_str(), (out / "junit.xml").c_str(), secs);
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "autograde: error: %s\n", e.what());
    return 1;
}

// autograde — grade a student's edition of the course, function by function (`make autograde
// SUBMISSION=DIR`).
//
//   build/bin/autograde --submission DIR [--chapters 09,10] [--timeout 120] [--jobs 2]
//
// For each chapter with a manifest (chapters/NN_name/grading.txt, common/run/grading.hpp):
//   1. a clean copy of the course (this repository: the reference) in DIR/grading/work/NN_name;
//   2. a graded function whose body in DIR is still the stub of `make assignments` earns nothing,
//      without compiling anything;
//   3. the written functions' bodies — the code between their // BEGIN SOLUTION and // END SOLUTION
//      markers in DIR's copies of the files — go into the reference files, and nothing else from DIR
//      (common/run/assignments.hpp: splice_solution): code outside the markers, the other chapters
//      and the tests stay the reference's, so tests cannot be edited into passing;
//   4. the chapter's test files are compiled against that copy and each graded function's test cases
//      run, each in a child process with a time limit (a crash, an abort or an endless loop fails
//      that test). When every written function passes, those are the grades;
//   5. otherwise each written function is graded again ALONE — its own body beside the reference's
//      for every other function — so a broken or uncompilable body costs only its own points.
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

// The file of a chapter that holds a function's solution body (relative to the root), or "".
static fs::path file_of(const fs::path& root, const std::string& chapter, const std::string& function) {
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
static std::string build_tests(const Setup& s, const fs::path& tree, const std::vector<fs::path>& sources,
                               const fs::path& exe) {
    // (built with += throughout: GCC 12 warns falsely, -Wrestrict, on long chains of + here)
    std::string cmd = ATTN_CXX;
    cmd += " ", cmd += ATTN_CXX_FLAGS, cmd += " -I", cmd += quote(tree.string());
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

using TestFiles = std::vector<std::pair<fs::path, std::vector<std::string>>>;  // a suite's files, their test cases

// The test files that hold any of these test cases.
static std::vector<fs::path> files_of(const TestFiles& test_files, const std::vector<std::string>& tests) {
    std::vector<fs::path> sources;
    for (const auto& [file, names] : test_files)
        for (const std::string& t : tests)
            if (std::find(names.begin(), names.end(), t) != names.end() &&
                std::find(sources.begin(), sources.end(), file) == sources.end())
                sources.push_back(file);
    return sources;
}

// A function's test cases, run one by one against exe until one fails: "" or what went wrong.
static std::string run_tests(const Setup& s, const GradedFunction& fn, const fs::path& exe, const std::string& tag) {
    std::string failures;
    for (size_t i = 0; failures.empty() && i < fn.tests.size(); i++)
        failures = run_test(s, exe, fn.tests[i], exe.parent_path() / (tag + "_" + fn.function + "_" + std::to_string(i) + ".log"));
    return failures;
}

// One graded function of a chapter, as the submission has it.
struct Submitted {
    fs::path rel;          // its file, relative to the root
    std::string student;   // the submission's copy of that file ("" when missing)
    std::string note;      // said in the output
    bool written = false;  // its body is more than the stub
};

static Submitted submitted(const Setup& s, const GradedFunction& fn) {
    Submitted w;
    w.rel = file_of(s.root, fn.chapter, fn.function);
    if (fs::is_regular_file(s.submission / w.rel)) w.student = read_text(s.submission / w.rel);
    else w.note = "note: " + w.rel.generic_string() + " is not in the submission; graded as unwritten\n";
    const std::vector<std::string> unwritten = unwritten_solutions(w.student, w.rel.generic_string());
    w.written = !w.student.empty() && std::find(unwritten.begin(), unwritten.end(), fn.function) == unwritten.end();
    return w;
}

// Writes into the tree the reference files with the student's bodies of the functions in `which`.
static void write_spliced(const Setup& s, const fs::path& tree, const std::vector<GradedFunction>& fns,
                          const std::vector<Submitted>& sub, const std::vector<bool>& which) {
    std::vector<fs::path> files;
    for (const Submitted& w : sub)
        if (std::find(files.begin(), files.end(), w.rel) == files.end()) files.push_back(w.rel);
    for (const fs::path& rel : files) {
        std::string text = read_text(s.root / rel);
        for (size_t k = 0; k < fns.size(); k++)
            if (which[k] && sub[k].rel == rel) text = splice_solution(text, sub[k].student, fns[k].function, rel.generic_string());
        std::ofstream(tree / rel, std::ios::binary) << text;
    }
}

// Steps 2-4 for a chapter. First every written function's body at once (the reference's for the
// unwritten ones): when all of them pass, that is their grade. Otherwise each written function again
// alone, beside reference neighbours, so that a broken one costs only its own points.
static std::vector<GradedResult> grade_chapter(const Setup& s, const std::string& chapter,
                                               const std::vector<GradedFunction>& fns) {
    const fs::path tree = s.work / chapter;
    fs::remove_all(tree);
    fs::create_directories(tree);
    for (const char* top : {"common", "chapters", "tests"}) fs::copy(s.root / top, tree / top, fs::copy_options::recursive);
    TestFiles test_files;
    for (const auto& e : fs::directory_iterator(tree / "tests" / chapter))
        if (e.path().extension() == ".cpp") test_files.push_back({e.path(), test_case_names(read_text(e.path()))});
    std::sort(test_files.begin(), test_files.end());

    std::vector<GradedResult> results;
    std::vector<Submitted> sub;
    std::vector<bool> written;
    std::vector<std::string> all_tests;
    for (const GradedFunction& fn : fns) {
        results.push_back({fn, 0, "", 0});
        sub.push_back(submitted(s, fn));
        written.push_back(sub.back().written);
        if (written.back()) all_tests.insert(all_tests.end(), fn.tests.begin(), fn.tests.end());
        else
            results.back().output = sub.back().note + fn.function + " is not written yet: its body in " +
                                    sub.back().rel.generic_string() + " is still the stub (nothing to compile or run)";
    }
    if (all_tests.empty()) return results;

    auto t0 = std::chrono::steady_clock::now();
    write_spliced(s, tree, fns, sub, written);  // together
    const fs::path joint = tree / "grade_together";
    std::string failed = build_tests(s, tree, files_of(test_files, all_tests), joint);
    for (size_t k = 0; failed.empty() && k < fns.size(); k++)
        if (written[k]) failed = run_tests(s, fns[k], joint, "together");
    if (failed.empty()) {
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        for (size_t k = 0; k < fns.size(); k++)
            if (written[k])
                results[k].score = fns[k].points, results[k].seconds = secs,
                results[k].output = sub[k].note + "passed: " + std::to_string(fns[k].tests.size()) + " test case(s)";
        return results;
    }
    for (size_t k = 0; k < fns.size(); k++) {  // alone
        if (!written[k]) continue;
        t0 = std::chrono::steady_clock::now();
        std::vector<bool> only(fns.size(), false);
        only[k] = true;
        write_spliced(s, tree, fns, sub, only);
        const fs::path exe = tree / ("grade_" + fns[k].function);
        const std::vector<fs::path> sources = files_of(test_files, fns[k].tests);
        std::string f = sources.empty() ? "found none of its test cases (a manifest error)" : build_tests(s, tree, sources, exe);
        if (!f.empty()) f = fns[k].function + " " + f;
        if (f.empty()) f = run_tests(s, fns[k], exe, "alone");
        results[k].score = f.empty() ? fns[k].points : 0;
        results[k].output = sub[k].note + (f.empty() ? "passed: " + std::to_string(fns[k].tests.size()) + " test case(s)" : f);
        results[k].seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
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

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
//   4. the chapter's test files are compiled ONCE against that copy, with each written function's
//      student body beside its reference body, switched at run time (ATTN_STUDENT=fn1,fn2), and each
//      graded function's test cases run, each in a child process with a time limit (a crash, an abort
//      or an endless loop fails that test). A function whose test cases all pass with every student
//      body on has its points;
//   5. a function whose test cases failed (perhaps through a broken neighbour) runs them again ALONE —
//      only its own student body on, the reference's for every other function — so a broken body
//      costs only its own points. When the build does not compile (a body with a syntax error), each
//      written function is graded in a build of its own, so the error costs only its function.
// Writes DIR/grading/results.json (Gradescope's format) and DIR/grading/junit.xml, and prints the
// points per chapter and function.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/core/error.hpp"
#include "common/run/cli.hpp"

#include "data_tools/grader_build.hpp"

using namespace grader;

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
    const fs::path file = find_student_file(s.submission, w.rel, w.note);
    if (!file.empty()) w.student = read_text(file);
    const std::vector<std::string> unwritten = unwritten_solutions(w.student, w.rel.generic_string());
    w.written = !w.student.empty() && std::find(unwritten.begin(), unwritten.end(), fn.function) == unwritten.end();
    return w;
}

// Writes into the tree the reference files with the student's bodies of the functions in `which`
// (switchable: beside the reference's, chosen at run time by ATTN_STUDENT; assignments.hpp).
static void write_spliced(const Setup& s, const fs::path& tree, const std::vector<GradedFunction>& fns,
                          const std::vector<Submitted>& sub, const std::vector<bool>& which, bool switchable) {
    std::vector<fs::path> files;
    for (const Submitted& w : sub)
        if (std::find(files.begin(), files.end(), w.rel) == files.end()) files.push_back(w.rel);
    for (const fs::path& rel : files) {
        std::string text = read_text(s.root / rel);
        for (size_t k = 0; k < fns.size(); k++)
            if (which[k] && sub[k].rel == rel)
                text = splice_solution(text, sub[k].student, fns[k].function, rel.generic_string(), switchable);
        std::ofstream(tree / rel, std::ios::binary) << text;
    }
}

// A function graded in a build of its own: its student body, the reference's for every other.
static std::string grade_in_own_build(const Setup& s, const fs::path& tree, const TestFiles& test_files,
                                      const std::vector<GradedFunction>& fns, const std::vector<Submitted>& sub, size_t k) {
    std::vector<bool> only(fns.size(), false);
    only[k] = true;
    write_spliced(s, tree, fns, sub, only, false);
    const fs::path exe = tree / ("grade_" + fns[k].function);
    const std::vector<fs::path> sources = files_of(test_files, fns[k].tests);
    std::string f = sources.empty() ? "found none of its test cases (a manifest error)" : build_tests(s, tree, sources, exe);
    if (!f.empty()) return fns[k].function + " " + f;
    return run_tests(s, fns[k], exe, "alone");
}

// Steps 2-5 for a chapter. One build holds both bodies of every written function, the student's and
// the reference's, switched at run time (ATTN_STUDENT). A function whose test cases all pass with
// every student body on earns its points; one whose test cases fail — perhaps through a broken
// neighbour it calls — runs them again with only its own student body on, beside reference
// neighbours, so a broken body costs only its own points. When that build does not compile, each
// written function is graded in a build of its own.
static std::vector<GradedResult> grade_chapter(const Setup& s, const std::string& chapter,
                                               const std::vector<GradedFunction>& fns) {
    const fs::path tree = s.work / chapter;
    copy_course(s.root, tree);
    const TestFiles test_files = chapter_test_files(tree, chapter);

    std::vector<GradedResult> results;
    std::vector<Submitted> sub;
    std::vector<bool> written;
    std::vector<std::string> all_tests;
    std::string everyone;  // ATTN_STUDENT: every written function
    for (const GradedFunction& fn : fns) {
        results.push_back({fn, 0, "", 0});
        sub.push_back(submitted(s, fn));
        written.push_back(sub.back().written);
        if (written.back()) {
            all_tests.insert(all_tests.end(), fn.tests.begin(), fn.tests.end());
            everyone += everyone.empty() ? "" : ",", everyone += fn.function;
        } else {
            results.back().output = sub.back().note + fn.function + " is not written yet: its body in " +
                                    sub.back().rel.generic_string() + " is still the stub (nothing to compile or run)";
        }
    }
    if (all_tests.empty()) return results;

    auto t0 = std::chrono::steady_clock::now();
    write_spliced(s, tree, fns, sub, written, true);
    const fs::path exe = tree / "grade";
    const bool built = build_tests(s, tree, files_of(test_files, all_tests), exe).empty();
    const double build_secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (size_t k = 0; k < fns.size(); k++) {
        if (!written[k]) continue;
        t0 = std::chrono::steady_clock::now();
        std::string f = built ? run_tests(s, fns[k], exe, "together", "ATTN_STUDENT=" + quote(everyone) + " ") : "";
        if (built && !f.empty()) f = run_tests(s, fns[k], exe, "alone", "ATTN_STUDENT=" + quote(fns[k].function) + " ");
        if (!built) f = grade_in_own_build(s, tree, test_files, fns, sub, k);
        results[k].score = f.empty() ? fns[k].points : 0;
        results[k].output = sub[k].note + (f.empty() ? "passed: " + std::to_string(fns[k].tests.size()) + " test case(s)" : f);
        results[k].seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() +
                             (built ? build_secs / (double)std::count(written.begin(), written.end(), true) : 0.0);
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
    cli.flag("submission", &submission, "the submission: a copy of the course, or the students' files anywhere in it (found by name); only their solution bodies are read");
    cli.flag("chapters", &chapters_flag, "grade only these chapters, by number: 02,05 (default: every chapter with a grading.txt)");
    cli.flag("root", &root, "the reference course (this repository)");
    cli.flag("timeout", &timeout, "seconds each test case may run before it counts as an endless loop");
    cli.flag("jobs", &jobs, "chapters graded at once");
    cli.range("timeout", 1, 3600), cli.range("jobs", 1, 64);
    cli.parse(argc, argv);
    if (submission.empty()) fail("--submission", "the directory to grade", "make autograde SUBMISSION=path/to/copy");
    if (!fs::is_directory(submission))
        fail(submission, "a directory: a copy of the course, or the students' files (found by name)",
             "make assignments writes one: assignments/");
    if (!fs::is_regular_file(fs::path(root) / "CMakeLists.txt"))
        fail(root, "the course repository", "run from the repository root or pass --root");

    Setup s;
    s.root = fs::weakly_canonical(fs::absolute(root)), s.submission = fs::weakly_canonical(fs::absolute(submission)), s.timeout = timeout;
    s.work = s.submission / "grading" / "work";
    fs::create_directories(s.work);
    const std::vector<std::string> chapters = graded_chapters(s.root, chapters_flag);
    std::vector<std::vector<GradedFunction>> manifests;  // read (and checked) before any work starts
    for (const std::string& ch : chapters)
        manifests.push_back(read_grading_manifest((s.root / "chapters" / ch / "grading.txt").string(), ch));

    const auto t0 = std::chrono::steady_clock::now();
    std::printf("grading %s: %zu chapter(s), %d at a time\n", s.submission.c_str(), chapters.size(), jobs);
    compile_doctest_main(s);

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

// mutants — how strong are the tests? (`make mutants`)
//
//   build/bin/mutants [--chapters 02,05] [--sample 30] [--jobs 2] [--timeout 60] [--report FILE] [--sanitize]
//
// For each graded function of the chapter manifests (chapters/NN_name/grading.txt):
//   1. every small bug of common/run/mutation.hpp in its solution body (flip a sign, < for <=, an
//      index off by one, a dropped +=, a changed constant), or an evenly spread --sample of them;
//   2. ONE test binary for all of them: the body becomes `if (attn_mutant_id() == 1) { mutant 1 }
//      else if ... else { the reference }`, the mutant chosen at run time by ATTN_MUTANT=k — so a
//      function costs one compile, not one per mutant;
//   3. the reference (ATTN_MUTANT=0) must pass the function's test cases; then each mutant runs them,
//      each in a child process with a time limit, until one fails: the mutant is caught. A mutant that
//      crashes or loops is caught too (a student would see the test fail).
//      --sanitize builds the tests (and so the mutated body) under AddressSanitizer + UBSan: a mutant
//      that reads or writes one past a buffer's end, harmless to the numbers, then fails its test.
//      The library the tests link stays as built (not instrumented): only the tests' code is checked.
//      Buffers (Buf) are then allocated to their exact size, not rounded up to 64 bytes, so that one
//      float past the end is outside the allocation.
// The report gives, per function, the share of mutants caught and every survivor: a survivor is a bug
// the tests would let through (or a mutant that changes nothing — look at it).
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/core/error.hpp"
#include "common/run/cli.hpp"
#include "common/run/mutation.hpp"

#include "data_tools/grader_build.hpp"

using namespace grader;

struct FunctionReport {
    GradedFunction fn;
    fs::path file;
    int total = 0, run = 0, caught = 0;  // mutants found, tried (compiled), caught
    int stillborn = 0;                   // chosen but not compilable (pointer + pointer, ...): left out
    std::vector<std::string> survivors;
    std::vector<std::string> equivalent;  // survivors that change nothing (tests/grading/equivalent_mutants.txt)
    std::string error;                   // why the function could not be measured
    double seconds = 0;
};

// One mutant: which body of the function, the mutation, and that body's code.
struct Mutant {
    size_t body = 0;
    Mutation m;
};

static std::string join(const std::vector<std::string>& lines, size_t first, size_t last) {
    std::string code;
    for (size_t i = first; i < last; i++) code += lines[i], code += "\n";
    return code;
}

// The file with each body of the function replaced by the chain of its live mutants (mutant k has
// id k + 1) and, last, the reference body. span[k] receives the 1-based lines of mutant k's branch.
static std::string metamutant(const std::vector<std::string>& lines, const std::vector<std::pair<size_t, size_t>>& bodies,
                              const std::vector<Mutant>& chosen, const std::vector<bool>& alive,
                              std::vector<std::pair<int, int>>& span) {
    std::string out;
    int at_line = 1;  // the line `out` has reached
    auto put = [&](const std::string& text) {
        out += text;
        at_line += (int)std::count(text.begin(), text.end(), '\n');
    };
    span.assign(chosen.size(), {0, 0});
    size_t next = 0;
    for (size_t i = 0; i < lines.size() && next == 0; i++)  // the switch goes right after #pragma once
        if (lines[i] == "#pragma once") next = i + 1;
    put(join(lines, 0, next));
    put("#include <cstdlib>\n"
        "inline int attn_mutant_id() {  // make mutants: the mutant that runs (0: the reference)\n"
        "    static const int id = std::getenv(\"ATTN_MUTANT\") ? std::atoi(std::getenv(\"ATTN_MUTANT\")) : 0;\n"
        "    return id;\n"
        "}\n");
    for (size_t b = 0; b < bodies.size(); b++) {
        const auto [first, last] = bodies[b];
        put(join(lines, next, first));
        const std::string& marker = lines[first - 1];
        const std::string indent = marker.substr(0, marker.find('/'));
        const std::string code = join(lines, first, last);
        for (size_t k = 0; k < chosen.size(); k++) {
            if (chosen[k].body != b || !alive[k]) continue;
            const int from = at_line;
            put(indent + "if (attn_mutant_id() == " + std::to_string(k + 1) + ") {\n");
            put(apply_mutation(code, chosen[k].m));
            span[k] = {from, at_line};
            put(indent + "} else ");
        }
        put("{\n" + code + indent + "}\n");
        next = last;
    }
    put(join(lines, next, lines.size()));
    return out;
}

// The mutants a failed build blames: those whose branch holds a line of `file` the compiler called an
// error. False when an error lies outside every branch (then the build cannot be mended).
static bool blame(const std::string& log, const std::string& file, const std::vector<std::pair<int, int>>& span,
                  std::vector<bool>& alive) {
    std::istringstream in(log);
    bool blamed = false;
    for (std::string l; std::getline(in, l);) {
        const size_t at = l.find(file + ":");
        if (at == std::string::npos || l.find("error") == std::string::npos) continue;
        const int line = std::atoi(l.c_str() + at + file.size() + 1);
        bool inside = false;
        for (size_t k = 0; k < span.size(); k++)  // (a left-out mutant has no branch: span {0, 0})
            if (line >= span[k].first && line <= span[k].second) alive[k] = false, inside = blamed = true;
        if (!inside) return false;
    }
    return blamed;
}

// tests/grading/equivalent_mutants.txt: mutants that change nothing a test could see, each with why —
//   function | the mutated line, as the report shows it | why it is equivalent
struct Equivalent {
    std::string function, code, why;
};
static std::vector<Equivalent> read_equivalents(const fs::path& file) {
    std::vector<Equivalent> out;
    std::istringstream in(read_text(file));
    int n = 0;
    for (std::string l; std::getline(in, l);) {
        n++;
        if (l.empty() || l[0] == '#') continue;
        const size_t a = l.find(" | "), b = l.rfind(" | ");
        if (a == std::string::npos || a == b)
            fail(file.string() + ":" + std::to_string(n), "expected 'function | mutated line | why'");
        out.push_back({l.substr(0, a), l.substr(a + 3, b - a - 3), l.substr(b + 3)});
    }
    return out;
}

static FunctionReport mutate_function(Setup s, const GradedFunction& fn, int sample, const std::vector<Equivalent>& equivalents) {
    const auto t0 = std::chrono::steady_clock::now();
    FunctionReport r;
    r.fn = fn, r.file = file_of(s.root, fn.chapter, fn.function);
    const std::string text = read_text(s.root / r.file);
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    const auto bodies = solution_body_lines(text, r.file.generic_string(), fn.function);
    std::vector<Mutant> all;
    for (size_t b = 0; b < bodies.size(); b++)
        for (const Mutation& m : mutations_of(join(lines, bodies[b].first, bodies[b].second))) all.push_back({b, m});
    r.total = (int)all.size();
    std::vector<Mutant> chosen;  // evenly spread over the bodies' lines
    const size_t n = sample > 0 ? std::min(all.size(), (size_t)sample) : all.size();
    for (size_t j = 0; j < n; j++) chosen.push_back(all[j * all.size() / n]);

    // Build; a mutant that does not compile (a + between two pointers) is left out and the build retried.
    const fs::path tree = s.work / (fn.chapter + "__" + fn.function);
    copy_course(s.root, tree);
    const TestFiles test_files = chapter_test_files(tree, fn.chapter);
    const fs::path exe = tree / "mutants";
    std::vector<bool> alive(chosen.size(), true);
    std::vector<std::pair<int, int>> span;
    for (int attempt = 0; attempt < 6; attempt++) {
        std::ofstream(tree / r.file, std::ios::binary) << metamutant(lines, bodies, chosen, alive, span);
        r.error = build_tests(s, tree, files_of(test_files, fn.tests), exe);
        if (r.error.empty() || !blame(read_text(exe.string() + ".build.log"), r.file.generic_string(), span, alive)) break;
    }
    if (!r.error.empty()) r.error = "the mutants " + r.error;
    r.stillborn = (int)std::count(alive.begin(), alive.end(), false);
    r.run = (int)chosen.size() - r.stillborn;
    const auto t1 = std::chrono::steady_clock::now();
    if (r.error.empty()) {
        const std::string ref = run_tests(s, fn, exe, "reference", "ATTN_MUTANT=0 ");
        if (!ref.empty()) r.error = "the reference body fails its own tests: " + ref;
    }
    // a mutant may loop: allow it 5 times the reference's time (at least 10 s, at most --timeout)
    const double ref_secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    s.timeout = std::min(s.timeout, std::max(10.0, 5 * ref_secs));
    for (size_t k = 0; r.error.empty() && k < chosen.size(); k++) {
        if (!alive[k]) continue;
        const std::string env = "ATTN_MUTANT=" + std::to_string(k + 1) + " ";
        if (!run_tests(s, fn, exe, "mutant" + std::to_string(k + 1), env).empty()) r.caught++;
        else {
            const auto [first, last] = bodies[chosen[k].body];
            const std::string said = describe_mutation(join(lines, first, last), chosen[k].m, (int)first + 1);
            const std::string code = said.substr(said.find("): ") + 3);
            const auto eq = std::find_if(equivalents.begin(), equivalents.end(), [&](const Equivalent& e) {
                return e.function == fn.function && e.code == code;
            });
            if (eq == equivalents.end()) r.survivors.push_back(said);
            else r.equivalent.push_back(said + " — " + eq->why);
        }
    }
    if (!std::getenv("ATTN_MUTANTS_KEEP")) fs::remove_all(tree);  // kept for a look when set
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

static std::string report_text(const std::vector<FunctionReport>& reports, int sample, bool sanitize, double secs) {
    char line[512];
    std::string out = "# Mutants caught by the tests (make mutants)\n\n";
    std::snprintf(line, sizeof line, "%s%s; %.0f s.\n\n", sample > 0 ? ("at most " + std::to_string(sample) +
                  " mutants per function, evenly spread over its body").c_str() : "every mutant of every function",
                  sanitize ? ", the tests built under AddressSanitizer + UBSan (--sanitize)" : "", secs);
    out += line;
    out += "A mutant that changes nothing a test could see (listed, with why, in tests/grading/equivalent_mutants.txt)\n"
           "is left out of the rate: rate = caught / (run − equivalent).\n\n";
    out += "| chapter | function | mutants run (found) | did not compile | equivalent | caught | rate |\n"
           "|---|---|---:|---:|---:|---:|---:|\n";
    int run = 0, caught = 0, equivalent = 0;
    for (const FunctionReport& r : reports) {
        if (!r.error.empty()) {
            out += "| " + r.fn.chapter + " | " + r.fn.function + " | — | — | — | — | not measured |\n";
            continue;
        }
        const int counted = r.run - (int)r.equivalent.size();
        if (counted == 0) {  // a body with nothing to mutate
            std::snprintf(line, sizeof line, "| %s | %s | %d (%d) | %d | %zu | — | no mutants |\n", r.fn.chapter.c_str(),
                          r.fn.function.c_str(), r.run, r.total, r.stillborn, r.equivalent.size());
            out += line;
            continue;
        }
        std::snprintf(line, sizeof line, "| %s | %s | %d (%d) | %d | %zu | %d | %.0f %%%s |\n", r.fn.chapter.c_str(),
                      r.fn.function.c_str(), r.run, r.total, r.stillborn, r.equivalent.size(), r.caught,
                      counted ? 100.0 * r.caught / counted : 100.0, counted && r.caught < 0.9 * counted ? " **below 90 %**" : "");
        out += line;
        run += r.run, caught += r.caught, equivalent += (int)r.equivalent.size();
    }
    std::snprintf(line, sizeof line, "\nIn all: %d of %d mutants caught (%.1f %%), %d equivalent left out.\n", caught,
                  run - equivalent, run > equivalent ? 100.0 * caught / (run - equivalent) : 0.0, equivalent);
    out += line;
    out += "\n## Survivors and errors\n\n";
    for (const FunctionReport& r : reports) {
        if (r.error.empty() && r.survivors.empty() && r.equivalent.empty()) continue;
        out += "### " + r.fn.chapter + ": " + r.fn.function + " (" + r.file.generic_string() + ")\n\n";
        if (!r.error.empty()) out += "```\n" + tail(r.error, 2000) + "\n```\n";
        for (const std::string& sv : r.survivors) out += "- " + sv + "\n";
        for (const std::string& eq : r.equivalent) out += "- equivalent: " + eq + "\n";
        out += "\n";
    }
    return out;
}

int main(int argc, char** argv) try {
    std::string chapters_flag, functions_flag, root = ".", report = "build/mutants.md", work = "build/mutants";
    double timeout = 60;
    int jobs = 2, sample = 0;
    bool sanitize = false;
    Cli cli("mutants", "Measure the tests: small bugs in every graded function's body, and the share the tests catch.");
    cli.flag("chapters", &chapters_flag, "only these chapters, by number: 02,05 (default: every chapter with a grading.txt)");
    cli.flag("functions", &functions_flag, "only these functions: mlp_forward,greedy_decode (default: all)");
    cli.flag("sample", &sample, "at most this many mutants per function, evenly spread (0: all)");
    cli.flag("root", &root, "the course repository");
    cli.flag("work", &work, "scratch directory (one copy of the course per function being measured)");
    cli.flag("report", &report, "the report to write (Markdown)");
    cli.flag("timeout", &timeout, "seconds a test case may run at most");
    cli.flag("jobs", &jobs, "functions measured at once");
    cli.flag("sanitize", &sanitize, "build the tests under AddressSanitizer + UBSan: out-of-bounds mutants fail (slower)");
    cli.range("timeout", 1, 3600), cli.range("jobs", 1, 64), cli.range("sample", 0, 100000);
    cli.parse(argc, argv);
    if (!fs::is_regular_file(fs::path(root) / "CMakeLists.txt"))
        fail(root, "the course repository", "run from the repository root or pass --root");
    Setup s;
    s.root = fs::weakly_canonical(fs::absolute(root)), s.work = fs::weakly_canonical(fs::absolute(work)), s.timeout = timeout;
    if (sanitize) {  // (leaks are not the question here, and LeakSanitizer fails under some tracers)
        // ATTN_EXACT_BUFFERS: a Buf of n floats is allocated with exactly n (not rounded up to 64 bytes),
        // so one past its end is outside the allocation (common/core/buffer.hpp)
        s.extra_flags = "-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -DATTN_EXACT_BUFFERS";
        setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
    }
    fs::create_directories(s.work);
    {
        std::ofstream probe(report, std::ios::app);  // a report that cannot be written must not cost the run
        if (!probe) fail("--report " + report, "a file that can be written", "does its directory exist?");
    }
    std::vector<GradedFunction> fns;  // in chapter order, each chapter's in manifest order
    for (const std::string& ch : graded_chapters(s.root, chapters_flag))
        for (const GradedFunction& fn : read_grading_manifest((s.root / "chapters" / ch / "grading.txt").string(), ch))
            if (functions_flag.empty() || ("," + functions_flag + ",").find("," + fn.function + ",") != std::string::npos)
                fns.push_back(fn);
    if (fns.empty())
        fail("--chapters " + chapters_flag + " --functions " + functions_flag, "at least one graded function",
             "the names are those of the chapters' grading.txt");

    const auto t0 = std::chrono::steady_clock::now();
    const fs::path eq_file = s.root / "tests/grading/equivalent_mutants.txt";
    const std::vector<Equivalent> equivalents = fs::exists(eq_file) ? read_equivalents(eq_file) : std::vector<Equivalent>{};
    compile_doctest_main(s);
    std::printf("mutants: %zu functions, %d at a time%s\n", fns.size(), jobs,
                sample > 0 ? (", at most " + std::to_string(sample) + " mutants each").c_str() : "");
    std::vector<FunctionReport> reports(fns.size());
    std::mutex lock;
    size_t next = 0;
    auto worker = [&] {
        for (;;) {
            size_t k;
            {
                std::lock_guard<std::mutex> g(lock);
                if (next == fns.size()) return;
                k = next++;
            }
            reports[k] = mutate_function(s, fns[k], sample, equivalents);
            std::lock_guard<std::mutex> g(lock);
            const FunctionReport& r = reports[k];
            if (r.error.empty())
                std::printf("  %-28s %-30s %3d of %3zu caught (%d found, %zu equivalent)  %.0f s\n", r.fn.chapter.c_str(),
                            r.fn.function.c_str(), r.caught, r.run - r.equivalent.size(), r.total, r.equivalent.size(), r.seconds);
            else
                std::printf("  %-28s %-30s not measured: %s\n", r.fn.chapter.c_str(), r.fn.function.c_str(),
                            r.error.substr(0, r.error.find('\n')).c_str());
            std::fflush(stdout);
        }
    };
    std::vector<std::thread> pool;
    for (int j = 0; j < jobs; j++) pool.emplace_back(worker);
    for (std::thread& t : pool) t.join();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::ofstream(report) << report_text(reports, sample, sanitize, secs);
    std::printf("wrote %s (%.0f s)\n", report.c_str(), secs);
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "mutants: error: %s\n", e.what());
    return 1;
}

// make_assignments — the student edition of the course (`make assignments`): copies the source tree
// to --out and replaces every // BEGIN SOLUTION ... // END SOLUTION body by a stub that throws
// "not implemented" naming the file and the function (common/run/assignments.hpp). Instructors hand out
// the copy; `make test` in it fails on exactly the functions left to write.
//
//   build/bin/make_assignments --out assignments          (from the repository's root)
#include <algorithm>
#include <cstdio>
#include <map>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/run/assignments.hpp"
#include "common/run/cli.hpp"
#include "common/run/grading.hpp"
#include "common/core/error.hpp"

namespace fs = std::filesystem;
using namespace attn;

struct Stub {
    std::string file;  // relative to the root
    int line = 0;      // of the stub's attn::fail
};

// ASSIGNMENTS.md of the student edition: chapter by chapter, the functions to write, where, for how
// many points, and the test cases that grade each (from the chapters' grading.txt).
static std::string assignments_guide(const fs::path& root, const std::map<std::string, Stub>& stubs) {
    std::string md =
        "# What to write, chapter by chapter\n\n"
        "Every function below has its body replaced by a stub that throws \"not implemented\". Read the\n"
        "chapter's README (its equations and shapes), write the body between the `// BEGIN SOLUTION` and\n"
        "`// END SOLUTION` markers, and check it with its test cases:\n\n"
        "    make test                                  # every suite; test_common lists what is still unwritten\n"
        "    build/bin/test_NN_name --test-case='NAME'  # one test case, as the grader runs it\n\n"
        "Only the code between the markers is graded; the tests and everything else are the course's own.\n"
        "A function earns its points when all its test cases pass, whatever its neighbours do.\n";
    std::vector<fs::path> chapters;
    for (const auto& e : fs::directory_iterator(root / "chapters"))
        if (fs::is_regular_file(e.path() / "grading.txt")) chapters.push_back(e.path());
    std::sort(chapters.begin(), chapters.end());
    for (const fs::path& ch : chapters) {
        const std::string name = ch.filename().string();
        const std::vector<GradedFunction> fns = read_grading_manifest((ch / "grading.txt").string(), name);
        double points = 0;
        for (const GradedFunction& fn : fns) points += fn.points;
        char head[256];
        std::snprintf(head, sizeof head, "\n## %s (%g points; read chapters/%s/README.md)\n\n", name.c_str(), points, name.c_str());
        md += head;
        md += "| function | where | points | its test cases (`build/bin/test_", md += name, md += "`) |\n|---|---|---:|---|\n";
        for (const GradedFunction& fn : fns) {
            const auto it = stubs.find(name + "/" + fn.function);
            std::string where = "?";
            if (it != stubs.end()) where = it->second.file, where += ":", where += std::to_string(it->second.line);
            std::string tests;
            for (const std::string& t : fn.tests) {
                if (!tests.empty()) tests += "<br>";
                tests += t;
            }
            char row[128];
            std::snprintf(row, sizeof row, " | %g | ", fn.points);
            md += "| `", md += fn.function, md += "` | `", md += where, md += "`", md += row, md += tests, md += " |\n";
        }
    }
    return md;
}

int main(int argc, char** argv) try {
    std::string out = "assignments", root = ".";
    Cli cli("make_assignments", "Write the student edition of the course: solution bodies replaced by stubs.");
    cli.flag("out", &out, "directory to write (must not exist, or be a previous make_assignments output)");
    cli.flag("root", &root, "the repository to copy");
    cli.parse(argc, argv);
    if (!fs::exists(fs::path(root) / "CMakeLists.txt") || !fs::exists(fs::path(root) / "common"))
        fail(root, "the course repository (CMakeLists.txt and common/)", "run from the repository root or pass --root");
    if (fs::exists(out) && !fs::exists(fs::path(out) / ".assignments"))
        fail(out, "a new directory (or one written by make_assignments)", "choose another --out; nothing is overwritten");
    fs::remove_all(out);
    int files = 0, stubs = 0;
    std::map<std::string, Stub> where;  // "05_attention_classifier/mean_pool_forward" -> its stub
    for (const char* top : {"CMakeLists.txt", "Makefile", "README.md", ".clang-format", "common", "chapters", "tests",
                            "data_tools"}) {
        fs::path src = fs::path(root) / top;
        if (!fs::exists(src)) continue;
        std::vector<fs::path> items;
        if (fs::is_directory(src))
            for (const auto& e : fs::recursive_directory_iterator(src)) items.push_back(e.path());
        else
            items.push_back(src);
        for (const fs::path& p : items) {
            fs::path rel = fs::relative(p, root), dst = fs::path(out) / rel;
            if (fs::is_directory(p)) {
                fs::create_directories(dst);
                continue;
            }
            fs::create_directories(dst.parent_path());
            std::string ext = p.extension().string();
            if (rel == "README.md") {  // the student edition says so at the top, and where the work is
                std::ifstream in(p, std::ios::binary);
                std::stringstream ss;
                ss << in.rdbuf();
                std::ofstream(dst, std::ios::binary)
                    << "> **Student edition.** The bodies you write are stubs that throw \"not implemented\":\n"
                       "> [ASSIGNMENTS.md](ASSIGNMENTS.md) lists them chapter by chapter, with their points and tests.\n\n"
                    << ss.str();
                continue;
            }
            if (ext != ".hpp" && ext != ".cpp") {
                fs::copy_file(p, dst, fs::copy_options::overwrite_existing);
                continue;
            }
            std::ifstream in(p, std::ios::binary);
            std::stringstream ss;
            ss << in.rdbuf();
            StubbedSource s = stub_solutions(ss.str(), rel.generic_string());
            std::ofstream(dst, std::ios::binary) << s.text;
            files++;
            for (const auto& fn : s.functions) {
                std::printf("  stub: %s  %s\n", rel.generic_string().c_str(), fn.c_str()), stubs++;
                std::string quoted = "\"";  // the stub's "file: function" (+= throughout: GCC 12's false -Wrestrict)
                quoted += rel.generic_string(), quoted += ": ", quoted += fn, quoted += "\"";
                const size_t at = std::min(s.text.find(quoted), s.text.size());
                const int line = 1 + (int)std::count(s.text.begin(), s.text.begin() + (long)at, '\n');
                std::string key = rel.parent_path().filename().string();
                key += "/", key += fn;
                if (*rel.begin() == "chapters" && !where.count(key)) where[key] = {rel.generic_string(), line};
            }
        }
    }
    std::ofstream(fs::path(out) / ".assignments") << "written by build/bin/make_assignments\n";
    std::ofstream(fs::path(out) / "ASSIGNMENTS.md") << assignments_guide(root, where);
    std::printf("%s: %d source files, %d functions to write (what to write: %s/ASSIGNMENTS.md; build it with: make -C %s test)\n",
                out.c_str(), files, stubs, out.c_str(), out.c_str());
    return 0;
} catch (const attn::Error& e) {
    std::fprintf(stderr, "make_assignments: error: %s\n", e.what());
    return 1;
}

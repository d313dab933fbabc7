// make_assignments — the student edition of the course (`make assignments`): copies the source tree
// to --out and replaces every // BEGIN SOLUTION ... // END SOLUTION body by a stub that throws
// "not implemented" naming the file and the function (common/run/assignments.hpp). Instructors hand out
// the copy; `make test` in it fails on exactly the functions left to write.
//
//   build/bin/make_assignments --out assignments          (from the repository's root)
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/run/assignments.hpp"
#include "common/run/cli.hpp"
#include "common/core/error.hpp"

namespace fs = std::filesystem;
using namespace attn;

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
            for (const auto& fn : s.functions) std::printf("  stub: %s  %s\n", rel.generic_string().c_str(), fn.c_str()), stubs++;
        }
    }
    std::ofstream(fs::path(out) / ".assignments") << "written by build/bin/make_assignments\n";
    std::printf("%s: %d source files, %d functions to write (build it with: make -C %s test)\n", out.c_str(), files,
                stubs, out.c_str());
    return 0;
} catch (const attn::Error& e) {
    std::fprintf(stderr, "make_assignments: error: %s\n", e.what());
    return 1;
}

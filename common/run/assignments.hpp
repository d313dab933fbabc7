// assignments.hpp — turning the course into exercises: every body a student writes is wrapped in
//
//     // BEGIN SOLUTION
//     ... the reference code ...
//     // END SOLUTION
//
// and `make assignments` (build/bin/make_assignments) writes a copy of the repository in which each
// such body is replaced by a stub that throws "not implemented", naming the file and the function:
//
//     // BEGIN SOLUTION
//     attn::fail("chapters/01_seq2seq/decoding.hpp: greedy_decode", "not implemented", "write ...");
//     // END SOLUTION
//
// The stubbed tree still builds; `make test` fails on exactly the functions left to write.
#pragma once
#include <string>
#include <vector>

namespace attn {

struct StubbedSource {
    std::string text;                     // the file with every solution body replaced
    std::vector<std::string> functions;   // the functions stubbed, in file order
};

// Replaces each BEGIN/END SOLUTION body of `text` (read from `path`, used in messages) by a stub.
// A BEGIN without its END (or an END without a BEGIN, or nested BEGINs) is an error naming the line.
StubbedSource stub_solutions(const std::string& text, const std::string& path);

}  // namespace attn

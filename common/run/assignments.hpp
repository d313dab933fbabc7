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
#include <utility>
#include <vector>

namespace attn {

struct StubbedSource {
    std::string text;                     // the file with every solution body replaced
    std::vector<std::string> functions;   // the functions stubbed, in file order
};

// Replaces each BEGIN/END SOLUTION body of `text` (read from `path`, used in messages) by a stub.
// A BEGIN without its END (or an END without a BEGIN, or nested BEGINs) is an error naming the line.
StubbedSource stub_solutions(const std::string& text, const std::string& path);

// The functions of `text` whose solution body is still the stub of stub_solutions (a student's
// unwritten functions), in file order.
std::vector<std::string> unwritten_solutions(const std::string& text, const std::string& path);

// The autograder's splice: `reference` with the solution body (or bodies) of one function taken
// from `student` — the k-th marked body of `function` in the student's file replaces the k-th in the
// reference — and every other body left as the reference has it. So a test of that function runs
// the student's code for it alone, beside reference neighbours. A body the student's file lacks (its
// markers removed) becomes the stub. Anything outside the markers is the reference's.
// switchable: keep both bodies, `if (attn_student_body("function")) { student's } else { reference's }`,
// the choice made at run time by ATTN_STUDENT=fn1,fn2 (the functions whose student bodies run) — so
// one build grades the functions together and each alone.
std::string splice_solution(const std::string& reference, const std::string& student, const std::string& function,
                            const std::string& path, bool switchable = false);

// The marked bodies of `function` in `text`, in file order: for each, the 0-based lines strictly
// between its // BEGIN SOLUTION and // END SOLUTION (first, last). For `make mutants`.
std::vector<std::pair<size_t, size_t>> solution_body_lines(const std::string& text, const std::string& path,
                                                           const std::string& function);

}  // namespace attn

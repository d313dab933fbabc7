// grading.hpp — the autograder's bookkeeping (data_tools/autograde.cpp, `make autograde`): each
// chapter's manifest of graded functions, and the two reports a grader writes — Gradescope's
// results.json and a JUnit XML file for CI systems.
//
// A manifest, chapters/NN_name/grading.txt, has for each graded function a line and, below it, its
// test cases, one per indented line:
//
//   # comments start with '#'
//   affine_grid_forward | 2 | visible
//       ch09: affine_grid with the identity puts every point at its pixel centre (align_corners=False)
//
// The function is one whose body the chapter marks // BEGIN SOLUTION ... // END SOLUTION (so
// `make assignments` stubs it); the test cases are doctest TEST_CASE names of the chapter's suite that
// exercise it. The function earns its points when every one of its test cases passes; visibility is
// Gradescope's (visible, hidden, after_due_date, after_published).
#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace attn {

struct GradedFunction {
    std::string chapter;             // "09_spatial_transformer"
    std::string function;            // "affine_grid_forward"
    double points = 0;
    std::string visibility = "visible";
    std::vector<std::string> tests;  // doctest test-case names
    int line = 0;                    // in the manifest, for messages
};

// Reads chapters/<chapter>/grading.txt (path given). A malformed line is an error naming the file and
// line; an empty manifest (comments only) is allowed and grades nothing.
std::vector<GradedFunction> read_grading_manifest(const std::string& path, const std::string& chapter);

// One graded function's outcome.
struct GradedResult {
    GradedFunction fn;
    double score = 0;
    std::string output;   // what the student sees: which test failed, expected vs got, or the build error
    double seconds = 0;
};

// Gradescope's results.json: {"score", "max_score", "execution_time", "tests": [{"name", "score",
// "max_score", "output", "visibility"}, ...]}; times are left out with include_times = false (so two
// gradings of one submission compare equal byte for byte).
std::string gradescope_json(const std::vector<GradedResult>& results, double seconds, bool include_times = true);

// JUnit XML: one <testsuite> per chapter, one <testcase> per graded function, <failure> when it
// earned less than its points.
std::string junit_xml(const std::vector<GradedResult>& results, bool include_times = true);

// A test-case name as a doctest --test-case filter: commas and backslashes escaped (doctest splits
// filters at unescaped commas).
std::string doctest_filter(const std::string& test_name);

// Every TEST_CASE("...") name in a C++ source text (plain string literals with \" and \\ escapes).
std::vector<std::string> test_case_names(const std::string& source);

std::string xml_escape(const std::string& s);

// Where a submission has the students' file `rel` (chapters/05_attention_classifier/attention_pooling.hpp):
// at that path; else at that path inside one folder (a repository's zip: course-main/chapters/...);
// else the one file of that name anywhere in the submission (files uploaded loose). Its grading/
// folder is never searched. "" when none is found, or several; `note` then says which, and it says
// where the file was found when not at its own path.
std::filesystem::path find_student_file(const std::filesystem::path& submission, const std::filesystem::path& rel,
                                        std::string& note);  // & < > " ' as entities; control characters dropped

}  // namespace attn

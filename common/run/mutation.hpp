// mutation.hpp — small deliberate bugs in a solution body, to measure how strong the tests are
// (`make mutants`, data_tools/mutants.cpp). A test suite that lets a mutant through would also let a
// student's bug of that kind through.
//
// The mutations, applied one at a time to code (never inside comments, string or character
// literals, or preprocessor lines):
//   sign        a + b ↔ a - b                      (binary, spaces on both sides, as the course writes it)
//   compound    += ↔ -=,  *= → /=
//   drop        x += e;  →  x = e;                  (the accumulation dropped)
//   compare     < ↔ <=,  > ↔ >=,  == ↔ !=           (spaces on both sides: never a template's <...>)
//   logic       && ↔ ||
//   index       a[i] → a[i + 1]                     (a subscript: '[' right after a name, ')' or ']')
//   constant    an integer n → n + 1; a decimal x.y → (x+1).y, suffix kept  (not in names, not 1e-9)
//   statement   a line that is one call or assignment `f(x);` → `;`  (a declaration dropped does not
//               compile: make mutants leaves such mutants out)
#pragma once
#include <string>
#include <vector>

namespace attn {

struct Mutation {
    size_t at = 0, length = 0;  // the characters replaced, in the code given
    std::string replacement;
    int line = 0;               // 1-based, in the code given
    std::string kind;           // sign, compound, drop, compare, logic, index, constant, statement
};

// Every mutation of `code`, in order of position.
std::vector<Mutation> mutations_of(const std::string& code);

// `code` with mutation m applied.
std::string apply_mutation(const std::string& code, const Mutation& m);

// One line saying what m does: "line 12 (compare): for (int i = 0; i <= n; i++)" — the mutated line.
std::string describe_mutation(const std::string& code, const Mutation& m, int first_line = 1);

}  // namespace attn

// summary.hpp — the model summary printed before training: parameters per layer and in total.
//
//   Model: MLP
//     Linear(784, 256):  200,960 params
//     Linear(256, 10):     2,570 params
//     ---------------------------------
//     total:             203,530 params
//
// Chapters either write the rows by hand (with a description such as "Linear(784, 256)") or let
// summary_from_params() group a ParamSet's entries by layer name ("fc1.weight", "fc1.bias" -> "fc1").
#pragma once
#include <string>
#include <vector>

#include "common/core/params.hpp"

namespace attn {

struct SummaryRow {
    std::string layer;
    long params;
};

std::string with_commas(long n);  // 203530 -> "203,530"
std::string threads_text();       // num_threads() as the programs print it: "1 thread", "2 threads"
std::string summary_str(const std::string& model_name, const std::vector<SummaryRow>& rows);
void print_summary(const std::string& model_name, const std::vector<SummaryRow>& rows);  // to stdout

// One row per prefix before the last '.', in order of first appearance; a name without '.' is its own row.
std::vector<SummaryRow> summary_from_params(const ParamSet& params);

}  // namespace attn

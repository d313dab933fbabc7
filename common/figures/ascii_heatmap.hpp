// ascii_heatmap.hpp — an attention map in the terminal, for a quick look without an image viewer.
//
//                 i   am  not very happ .
//   je          | @   .       .            |
//   ne          |     :   #                |
//   ...
//   ramp " .:-=+*#%@": ' ' = 0.00 (min) ... '@' = 0.93 (max)
//
// Values are shaded on the ramp from their finite min to max; a non-finite value prints '?'.
// Column labels are written across when they fit (each cut to 4 characters), else downwards,
// one character per line (cut to 6). Row labels are cut to 12 characters. Labels are UTF-8 and
// measured in characters, so "très" is 4 wide. Columns beyond max_cols are left out and counted.
#pragma once
#include <string>
#include <vector>

namespace attn {

std::string ascii_heatmap(const float* values, int rows, int cols, const std::vector<std::string>& row_labels,
                          const std::vector<std::string>& col_labels, int max_cols = 60);

}  // namespace attn

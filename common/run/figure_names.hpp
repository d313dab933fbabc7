// figure_names.hpp — one naming rule for every figure a program writes:
//
//   OUT/<chapter>_<dataset>[-quick|-full]_<what>[_<variant>].png
//
//   runs/00_foundations/00_foundations_mnist_loss.png                      the default run
//   runs/00_foundations/00_foundations_mnist-quick_misclassified.png       --quick
//   runs/09_spatial_transformer/09_spatial_transformer_mnist_rectified_rts.png
//   runs/10_recurrent_attention/10_recurrent_attention_translated60-full_glimpses.png   --full
//
// so a figure says which program, data and length of run drew it, and the copies committed in
// figures/ keep the name the program gave them.
//
//   attn::FigureNames fig{f.out, "00_foundations", "mnist", attn::run_tag(f.quick, false)};
//   save_line_plot(fig.path("loss"), ...);
#pragma once
#include <string>

namespace attn {

// "-quick" for --quick, "-full" for --full, "" for the default run.
inline std::string run_tag(bool quick, bool full) { return quick ? "-quick" : full ? "-full" : ""; }

struct FigureNames {
    std::string out;      // the output directory (--out)
    std::string chapter;  // "00_foundations"
    std::string dataset;  // "mnist", "fashion-mnist", "translated60", ...
    std::string tag;      // run_tag(quick, full)

    std::string path(const std::string& what, const std::string& variant = "") const {
        return out + "/" + chapter + "_" + dataset + tag + "_" + what + (variant.empty() ? "" : "_" + variant) + ".png";
    }
};

}  // namespace attn

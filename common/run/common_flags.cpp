// The flags every chapter has (declared in cli.hpp): --data ... --load, and --eval-file.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "common/core/error.hpp"
#include "common/core/thread_pool.hpp"
#include "common/run/checkpoint.hpp"
#include "common/run/cli.hpp"

namespace attn {

void add_common_flags(Cli& cli, CommonFlags& f) {
    if (f.out.empty()) f.out = "runs/" + cli.program();
    if (f.data_choices.empty())
        cli.flag("data", &f.data, "dataset to use; auto: real data when found, else the synthetic task");
    else
        cli.choice("data", &f.data, f.data_choices, "dataset to use; auto: real data when found, else synthetic");
    cli.flag("data-dir", &f.data_dir, "directory with the real datasets (else $ATTN_DATA)");
    cli.flag("epochs", &f.epochs, "passes over the training set");
    cli.range("epochs", 1, 1e6);
    cli.flag("batch", &f.batch, "examples per gradient step");
    cli.range("batch", 1, 1e6);
    cli.flag("lr", &f.lr, "learning rate");
    cli.range("lr", 0, 1000);
    cli.flag("seed", &f.seed, "random seed: same seed, same numbers");
    cli.flag("threads", &f.threads, "worker threads; 0: $ATTN_THREADS if set, else all cores");
    cli.range("threads", 0, 1024);
    cli.flag("quick", &f.quick, "a small run of well under a minute");
    cli.flag("out", &f.out, "directory for metrics.json and figures");
    cli.flag("save", &f.save, "write a checkpoint here after training");
    cli.flag("load", &f.load, "start from this checkpoint");
    if (f.want_eval_file) add_eval_file_flag(cli, f, "also evaluate on this file");
}

void add_eval_file_flag(Cli& cli, CommonFlags& f, const std::string& help) {
    cli.flag("eval-file", &f.eval_file, help);
}

void apply_common_flags(const CommonFlags& f) {
    set_threads(f.threads);
    if (!f.save.empty()) Checkpoint::check_save_path(f.save);  // before any training: a typo costs nothing
    if (!f.load.empty()) {  // before the data is read
        std::error_code ec;
        if (std::filesystem::is_directory(f.load, ec))
            fail("--load " + f.load, "expected a checkpoint file, found a directory", "check the path; --save PATH writes one");
        std::FILE* fp = std::fopen(f.load.c_str(), "rb");
        if (!fp)
            fail("--load " + f.load, std::string("expected a checkpoint file that can be read (") + std::strerror(errno) + ")",
                 "check the path; --save PATH writes one");
        std::fclose(fp);
    }
}

}  // namespace attn

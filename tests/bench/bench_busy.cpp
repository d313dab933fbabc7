// bench_busy — each chapter on a busy machine: its shortened --quick run at the default thread
// count beside the same run on one thread, while a CPU-bound process spins on every core.
//
//   build/bin/bench_busy                  the busy table (the one `make bench` prints)
//   build/bin/bench_busy --idle           the same runs with no competing processes
//   build/bin/bench_busy --bin DIR        time the chapter programs in DIR (e.g. an older build)
//   build/bin/bench_busy --rounds 5 --only 10_recurrent_attention
//
// A laptop always has something else running. The thread pool must then never make the default
// slower than one thread (target: ratio >= 0.9). One line per chapter, in the shape of every
// `bench` line (bench_util.hpp):
//   bench busy/10_recurrent_attention threads=2 ours=… one_thread=… ratio=… wall_s=… cpu_s=… load=…
// ours and one_thread are training samples per second of the whole run (epochs × training
// examples / wall seconds from start to exit: loading, training and evaluation), medians over
// rounds of one run each way; a round runs the default first, the next one thread first, and so
// on. The line ends with the rounds' own ratios, paired=<median>[<lowest>-<highest>]: one thread's
// wall time over the default's in the same round. A VM's speed drifts by 10-25 % within minutes,
// and a pair taken seconds apart shares the drift, so the paired median is the steadier reading
// (stop 41: chapter 03's 30 rounds read 0.964 paired and 0.928 by the ratio of the medians; its
// readings of five rounds each, 0.75-1.10). The competing processes are children
// of this one, in its session: the harder case, where the scheduler shares each core among all
// the tasks one by one (in a session of their own, they would be given half of each core as a
// group). They are stopped after each chapter's rounds.
// The chapters read ATTN_DATA as usual; without it they run on their built-in data.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "common/run/metrics_json.hpp"
#include "tests/bench/bench_util.hpp"

namespace fs = std::filesystem;

namespace {

struct Chapter {
    const char* name;
    std::vector<std::string> args;  // a shortened --quick: a few seconds each
};

const std::vector<Chapter> kChapters = {
    {"00_foundations", {"--quick", "--epochs", "1"}},
    {"01_seq2seq", {"--quick", "--epochs", "1", "--max-pairs", "4000"}},
    {"02_additive_attention", {"--quick", "--epochs", "1", "--max-pairs", "4000"}},
    {"03_multiplicative_attention", {"--quick", "--epochs", "1", "--max-pairs", "4000"}},
    {"04_local_hard_soft_attention", {"--quick", "--epochs", "1", "--max-pairs", "4000"}},
    {"05_attention_classifier", {"--quick", "--epochs", "1", "--pooling", "attention"}},
    {"06_self_attention", {"--quick", "--epochs", "1", "--models", "encoder"}},
    {"07_transformer", {"--quick", "--epochs", "1", "--max-pairs", "4000"}},
    {"08_vision_transformer", {"--quick", "--epochs", "1", "--model", "vit", "--max-train", "4000"}},
    {"09_spatial_transformer", {"--quick", "--epochs", "1", "--model", "stn", "--max-train", "3000"}},
    {"10_recurrent_attention", {"--quick", "--epochs", "1", "--model", "ram", "--max-train", "4000"}},
    {"11_attention_in_cnns", {"--quick", "--epochs", "1", "--model", "cbam", "--max-train", "3000"}},
};

struct Side {
    std::vector<double> wall, cpu;
    double samples = 0;
    int threads = 0;
    std::string data;
};

// One run; false (with the reason printed) when the program failed.
bool run_once(const fs::path& bin, const Chapter& ch, bool one_thread, const fs::path& out, Side& side) {
    std::vector<std::string> argv = {bin.string()};
    argv.insert(argv.end(), ch.args.begin(), ch.args.end());
    if (one_thread) argv.insert(argv.end(), {"--threads", "1"});
    argv.insert(argv.end(), {"--out", out.string()});
    fs::path log = out / "log.txt";
    fs::create_directories(out);
    bench::RunResult r = bench::run_timed(argv, log.string());
    std::string metrics = attn::read_text_file((out / "metrics.json").string());
    if (r.exit_code != 0 || metrics.empty()) {
        std::printf("bench busy/%s error: exit %d, no metrics.json; its output:\n%s\n", ch.name, r.exit_code,
                    attn::read_text_file(log.string()).c_str());
        return false;
    }
    side.wall.push_back(r.wall);
    side.cpu.push_back(r.cpu);
    side.samples = attn::json_first_number(metrics, "epochs") * attn::json_first_number(metrics, "train");
    side.threads = (int)attn::json_first_number(metrics, "threads");
    side.data = attn::json_first_string(metrics, "dataset");
    fs::remove(out / "metrics.json");
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    bool idle = false;
    // Seven rounds: with three, runs of under a second each on a shared 2-core VM read chapter 04 at
    // 0.71 and 1.01 minutes apart (stop 39, a Zen 5); five read 0.97 and 0.98 (results/BENCH_zen5.md),
    // but six readings of five rounds each put chapter 01 at 0.75-1.19 (stops 39-41).
    int rounds = 7;
    std::string only;
    fs::path bin_dir = fs::canonical("/proc/self/exe").parent_path();
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a == "--idle") idle = true;
        else if (a == "--rounds" && i + 1 < argc) rounds = std::max(1, std::atoi(argv[++i]));
        else if (a == "--bin" && i + 1 < argc) bin_dir = argv[++i];
        else if (a == "--only" && i + 1 < argc) only = argv[++i];
        else {
            std::fprintf(stderr, "usage: bench_busy [--idle] [--rounds N] [--bin DIR] [--only CHAPTER]\n");
            return 2;
        }
    }
    const int cores = (int)std::max(1u, std::thread::hardware_concurrency());
    const char* prefix = idle ? "idle" : "busy";
    std::printf("chapters at the default threads vs one thread, %s (%s); training samples per second of\n"
                "the whole run, medians of %d alternating rounds; wall_s and cpu_s per run: default/one thread\n",
                idle ? "no competing process" : "a CPU-bound process spinning on every core",
                (std::to_string(cores) + " cores").c_str(), rounds);
    std::fflush(stdout);
    fs::path tmp = fs::temp_directory_path() / ("attn_bench_busy_" + std::to_string(getpid()));
    bench::CompetingLoad load;
    bool ok = true;
    for (const Chapter& ch : kChapters) {
        if (!only.empty() && only != ch.name) continue;
        fs::path bin = bin_dir / ch.name;
        if (!fs::exists(bin)) {
            std::printf("bench %s/%s skipped: %s not built\n", prefix, ch.name, bin.c_str());
            continue;
        }
        if (!idle) load.start(cores);
        Side def, one;
        bool good = run_once(bin, ch, false, tmp / "warmup", def);  // warm-up: file cache, not counted
        def.wall.clear(), def.cpu.clear();
        auto run_default = [&] { return run_once(bin, ch, false, tmp / "default", def); };
        auto run_one = [&] { return run_once(bin, ch, true, tmp / "one", one); };
        std::vector<double> paired;  // one thread's wall over the default's, per round
        for (int r = 0; good && r < rounds; r++) {
            good = r % 2 == 0 ? run_default() && run_one() : run_one() && run_default();
            if (good) paired.push_back(one.wall.back() / def.wall.back());
        }
        double la = bench::load_average();  // the last minute: the rounds, competing processes included
        load.stop();
        if (!good) {
            ok = false;
            continue;
        }
        double w_def = bench::median(def.wall), w_one = bench::median(one.wall);
        const auto [lo, hi] = std::minmax_element(paired.begin(), paired.end());
        char pr[64];
        std::snprintf(pr, sizeof pr, "paired=%.2f[%.2f-%.2f]", bench::median(paired), *lo, *hi);
        bench::print_line(std::string(prefix) + "/" + ch.name, def.threads, def.samples / w_def, "one_thread",
                          one.samples / w_one, w_def, w_one, bench::median(def.cpu), bench::median(one.cpu), la,
                          std::string(pr) + " data=" + def.data);
    }
    fs::remove_all(tmp);
    return ok ? 0 : 1;
}

// bench_ch06 — chapter 06's training step (the self-attention classifier), ours beside PyTorch's.
//
// One step = forward + backward + gradient clipping + Adam on a batch of 32 AG-News-sized texts
// (T = 12 tokens, valid lengths 6..12, a vocabulary of 4,709 words: the chapter's default run), with the
// chapter's default model: width 64, 4 heads, feed-forward 128, 2 pre-norm encoder layers, learned
// positions, dropout 0.3, attention pooling and a two-layer head. PyTorch (Debian's python3-torch) runs
// the same model in data_tools/torch_bench/encoder.py (nn.TransformerEncoderLayer, norm_first). Our
// rounds run first, then PyTorch's, in one run (not alternating: chapter 00's bench does that); each
// side's number is its median round. One line per thread count, in the shape of bench_util.hpp:
//   bench self_attention threads=N ours=<samples/s> pytorch=<samples/s> ratio=… wall_s=… cpu_s=… load=…
#include <cstdio>
#include <string>
#include <vector>

#include "chapters/06_self_attention/encoder_classifier.hpp"
#include "common/core/thread_pool.hpp"
#include "common/nn/optim.hpp"
#include "tests/bench/bench_util.hpp"

using namespace attn;
using namespace ch06;

namespace {

const int kBatch = 32, kT = 12, kV = 4709, kSteps = 40, kRounds = 5;

struct Ours {
    Rng rng{0};
    Classifier m;
    Adam opt;
    ClassifierActs acts;
    std::vector<int> ids, len, y;
    Ours() {
        ModelConfig cfg;
        cfg.V = kV, cfg.K = 4, cfg.Tmax = kT, cfg.dropout = 0.3f, cfg.pos = PosKind::Learned, cfg.norm = NormPlace::Pre;
        classifier_init(m, cfg, rng, 0.1f);
        opt = make_adam(m.params, 1e-3f);
        ids.assign((size_t)kBatch * kT, 0), len.resize(kBatch), y.resize(kBatch);
        for (int b = 0; b < kBatch; b++) {
            len[b] = rng.randint(kT / 2, kT), y[b] = (int)rng.below(4);
            for (int t = 0; t < len[b]; t++) ids[(size_t)b * kT + t] = rng.randint(4, kV - 1);
        }
    }
    void step() {
        classifier_forward(m, acts, ids.data(), len.data(), y.data(), kBatch, kT, rng, true);
        m.params.zero_grad();
        classifier_backward(m, acts, ids.data(), y.data(), kBatch, kT);
        clip_grad_norm(m.params, 1.0f);
        opt.step(m.params);
    }
};

// PyTorch's rounds: encoder.py reads kRounds step counts from a pipe and answers one line per round.
bool torch_rounds(int threads, std::vector<double>& wall, std::vector<double>& cpu, std::string& ready) {
    std::string cmd = "for i in $(seq " + std::to_string(kRounds) + "); do echo " + std::to_string(kSteps) +
                      "; done | /usr/bin/python3 " ATTN_SOURCE_DIR "/data_tools/torch_bench/encoder.py " +
                      std::to_string(threads) + " " + std::to_string(kBatch) + " " + std::to_string(kT) + " " +
                      std::to_string(kV) + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return false;
    char line[512];
    while (std::fgets(line, sizeof line, p)) {
        double w = 0, c = 0;
        if (std::sscanf(line, "wall=%lf cpu=%lf", &w, &c) == 2) wall.push_back(w), cpu.push_back(c);
        else ready = line;
    }
    pclose(p);
    if (!ready.empty() && ready.back() == '\n') ready.pop_back();
    return (int)wall.size() == kRounds;
}

void bench_threads(int threads) {
    set_threads(threads);
    Ours ours;
    for (int i = 0; i < 10; i++) ours.step();  // warm up
    std::vector<double> wall, cpu, twall, tcpu;
    for (int r = 0; r < kRounds; r++) {
        const double w0 = bench::now_s(), c0 = bench::self_cpu_s();
        for (int i = 0; i < kSteps; i++) ours.step();
        wall.push_back(bench::now_s() - w0), cpu.push_back(bench::self_cpu_s() - c0);
    }
    std::string ready;
    const bool have = torch_rounds(threads, twall, tcpu, ready);
    if (!have) std::printf("PyTorch did not run (%s): our numbers only (Debian: apt-get install python3-torch)\n", ready.c_str());
    else std::printf("PyTorch %s\n", ready.c_str());
    const double samples = (double)kSteps * kBatch, la = bench::load_average();
    const double w_ours = bench::median(wall), w_torch = have ? bench::median(twall) : 0;
    bench::print_line("self_attention", threads, samples / w_ours, "pytorch", have ? samples / w_torch : 0, w_ours,
                      w_torch, bench::median(cpu), have ? bench::median(tcpu) : 0, la, "");
}

}  // namespace

int main() {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    bench::choose_openblas_core();  // for PyTorch's OpenBLAS, inherited by encoder.py
    std::printf("chapter 06 self-attention classifier training step (V %d, T %d, C 64, 4 heads, 2 pre-norm layers, "
                "batch %d, Adam): training samples per second, medians of %d rounds of %d steps\n",
                kV, kT, kBatch, kRounds, kSteps);
    for (int t : {1, 2}) bench_threads(t);
    return 0;
}

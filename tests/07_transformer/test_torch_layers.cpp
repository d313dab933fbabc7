// Chapter 07's layers against PyTorch: chapter 06's encoder layer equals nn.TransformerEncoderLayer and
// chapter 07's decoder layer equals nn.TransformerDecoderLayer (batch_first, dropout 0, ReLU), post-norm
// and pre-norm, with a source padding mask and the decoder's causal mask — outputs, the gradients of the
// inputs (x, and the decoder's memory) and of every parameter. The references are committed in
// tests/fixtures/transformer_layers.txt (data_tools/torch_fixtures/transformer_layers.py, which runs
// PyTorch in float64 on float32 values: the tolerance below measures our float32 rounding alone).
//
// Padding on the query side: PyTorch's key padding masks (src_key_padding_mask, memory_key_padding_mask)
// remove padding KEYS only, as our AttnMask::kv_len does; a padding position's own row is still computed
// (it attends to the real keys). So every position is compared, padding rows included. The one place
// PyTorch differs is nn.TransformerEncoder's inference fast path (eval, no autograd): it packs the batch
// into nested tensors and returns 0 at padding positions. The fixture is computed with autograd, which
// never takes that path; a loss ignores those rows anyway.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "chapters/06_self_attention/encoder_layer.hpp"
#include "chapters/07_transformer/decoder_layer.hpp"
#include "tests/fixture.hpp"

using namespace attn;
using namespace attn::testing;

namespace {

const int kC = 8, kNH = 2, kF = 12;

// Our parameter name for PyTorch's: in_proj is already split into W_q.. b_v by the fixture script.
std::string ours_name(const std::string& torch_name, bool decoder) {
    auto starts = [&](const std::string& p) { return torch_name.rfind(p, 0) == 0; };
    auto rest = [&](const std::string& p) { return torch_name.substr(p.size()); };
    if (starts("self_attn.")) return (decoder ? "self_attn." : "attn.") + rest("self_attn.");
    if (starts("multihead_attn.")) return "cross_attn." + rest("multihead_attn.");
    if (torch_name == "linear1.weight") return "ffn.W1";
    if (torch_name == "linear1.bias") return "ffn.b1";
    if (torch_name == "linear2.weight") return "ffn.W2";
    if (torch_name == "linear2.bias") return "ffn.b2";
    if (starts("norm")) return "ln" + rest("norm");  // norm1.weight -> ln1.weight
    return "";
}

// Every fixture tensor named <prefix>p.<name> copied into our parameter of that name; every one of our
// parameters must receive one (a parameter left at its initial value would make the test meaningless).
void load_params(ParamSet& ps, const Fixture& fx, const std::string& prefix, bool decoder) {
    size_t loaded = 0;
    for (const auto& [key, t] : fx) {
        if (key.rfind(prefix + "p.", 0) != 0) continue;
        const std::string torch_name = key.substr(prefix.size() + 2), ours = ours_name(torch_name, decoder);
        INFO("PyTorch parameter " << torch_name << " -> ours '" << ours << "'");
        const auto* e = ps.find(ours);
        REQUIRE(e);
        REQUIRE(e->size == t.v.size());
        std::copy(t.v.begin(), t.v.end(), ps.data(*e));
        loaded++;
    }
    REQUIRE(loaded == ps.entries().size());
}

// max |ours − ref| relative to the reference's scale (gradients reach ~10; float32 keeps ~7 digits),
// and the reference must not be all zero (it could not tell a missing gradient from a right one).
void check_close(const std::string& what, const float* ours, const FixtureTensor& ref, size_t n, double tol,
                 bool may_be_zero = false) {
    INFO(what);
    REQUIRE(ref.v.size() == n);
    double scale = 0;
    for (float v : ref.v) scale = std::max(scale, (double)std::abs(v));
    if (!may_be_zero) CHECK(scale > 1e-3);
    CHECK(max_abs_diff(ours, ref.v.data(), n) / std::max(1.0, scale) < tol);
}

// Every parameter's gradient against <prefix>d.<torch name>.
void check_param_grads(ParamSet& ps, const Fixture& fx, const std::string& prefix, bool decoder) {
    for (const auto& [key, t] : fx) {
        if (key.rfind(prefix + "d.", 0) != 0) continue;
        const std::string torch_name = key.substr(prefix.size() + 2);
        const auto* e = ps.find(ours_name(torch_name, decoder));
        REQUIRE(e);
        // b_k adds the same q·b_k to every score of a query, which the softmax ignores: its gradient is 0
        const bool b_k = torch_name.size() >= 3 && torch_name.substr(torch_name.size() - 3) == "b_k";
        check_close(prefix + "gradient of " + torch_name, ps.grad_of(*e), t, e->size, 1e-5, b_k);
    }
}

std::vector<int> lengths(const Fixture& fx, const std::string& prefix) {
    const FixtureTensor& t = get(fx, prefix + "len");
    return std::vector<int>(t.v.begin(), t.v.end());
}

}  // namespace

TEST_CASE("torch: chapter 06's encoder layer = nn.TransformerEncoderLayer (post, pre), padding mask, all gradients") {
    const Fixture fx = load_fixture("transformer_layers.txt");
    for (const ch06::NormPlace norm : {ch06::NormPlace::Post, ch06::NormPlace::Pre}) {
        const std::string prefix = norm == ch06::NormPlace::Pre ? "enc_pre_" : "enc_post_";
        INFO("case " << prefix);
        ParamSet ps;
        ch06::EncoderLayer L;
        ch06::encoder_layer_declare(L, ps, "", kC, kNH, kF, norm, 0.0f);
        ps.allocate();
        load_params(ps, fx, prefix, false);
        const FixtureTensor& x = get(fx, prefix + "x");
        const int B = x.shape[0], T = x.shape[1];
        const std::vector<int> len = lengths(fx, prefix);
        REQUIRE((int)len.size() == B);
        Buf xb(x.v.begin(), x.v.end()), y(xb.size()), dx(xb.size(), 0.0f);
        ch06::EncoderCache cache;
        Rng rng(0);
        ch06::encoder_layer_forward(y.data(), cache, L, xb.data(), ch06::AttnMask{len.data(), 1, false}, B, T, rng,
                                    true);  // training mode, dropout 0: the path the backward reads
        check_close("output", y.data(), get(fx, prefix + "out"), y.size(), 2e-6);
        ps.zero_grad();
        const FixtureTensor& R = get(fx, prefix + "R");
        ch06::encoder_layer_backward(dx.data(), L, cache, R.v.data(), xb.data(), B, T);
        check_close("dx", dx.data(), get(fx, prefix + "dx"), dx.size(), 1e-5);
        check_param_grads(ps, fx, prefix, false);
    }
}

TEST_CASE("torch: chapter 07's decoder layer = nn.TransformerDecoderLayer (post, pre), causal and memory masks, all gradients") {
    const Fixture fx = load_fixture("transformer_layers.txt");
    for (const ch06::NormPlace norm : {ch06::NormPlace::Post, ch06::NormPlace::Pre}) {
        const std::string prefix = norm == ch06::NormPlace::Pre ? "dec_pre_" : "dec_post_";
        INFO("case " << prefix);
        ParamSet ps;
        ch07::DecoderLayer L;
        ch07::decoder_layer_declare(L, ps, "", kC, kNH, kF, norm, 0.0f);
        ps.allocate();
        load_params(ps, fx, prefix, true);
        const FixtureTensor &x = get(fx, prefix + "x"), &mem = get(fx, prefix + "mem");
        const int B = x.shape[0], T = x.shape[1], S = mem.shape[1];
        const std::vector<int> src_len = lengths(fx, prefix);
        REQUIRE((int)src_len.size() == B);
        Buf xb(x.v.begin(), x.v.end()), mb(mem.v.begin(), mem.v.end());
        Buf y(xb.size()), dx(xb.size(), 0.0f), dmem(mb.size(), 0.0f);
        ch07::DecoderCache cache;
        Rng rng(0);
        ch07::decoder_layer_forward(y.data(), cache, L, xb.data(), mb.data(), src_len.data(), B, T, S, rng, true);
        check_close("output", y.data(), get(fx, prefix + "out"), y.size(), 2e-6);
        ps.zero_grad();
        const FixtureTensor& R = get(fx, prefix + "R");
        ch07::decoder_layer_backward(dx.data(), dmem.data(), L, cache, R.v.data(), xb.data(), mb.data(), B, T, S);
        check_close("dx", dx.data(), get(fx, prefix + "dx"), dx.size(), 1e-5);
        check_close("dmem", dmem.data(), get(fx, prefix + "dmem"), dmem.size(), 1e-5);
        // padding keys of the memory get no gradient, in both
        for (int b = 0; b < B; b++)
            for (int s = src_len[b]; s < S; s++)
                for (int c = 0; c < kC; c++) CHECK(dmem[((size_t)b * S + s) * kC + c] == 0.0f);
        check_param_grads(ps, fx, prefix, true);
    }
}

// Chapter 11's blocks against PyTorch: common/nn/batchnorm2d equals nn.BatchNorm2d (training output,
// running statistics, evaluation output, gradients), the SE block and the CBAM block equal small torch
// modules written from the papers' equations — outputs, attention weights and every gradient. The
// references are committed in tests/fixtures/cnn_attention.txt (data_tools/torch_fixtures/cnn_attention.py,
// PyTorch in float64 on float32 values: the tolerance measures our float32 rounding alone).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "chapters/11_attention_in_cnns/cbam.hpp"
#include "chapters/11_attention_in_cnns/squeeze_excitation.hpp"
#include "common/nn/batchnorm2d.hpp"
#include "tests/fixture.hpp"

using namespace attn;
using namespace attn::testing;
using namespace ch11;

namespace {

Buf buf(const Fixture& fx, const std::string& name) {
    const FixtureTensor& t = get(fx, name);
    return Buf(t.v.begin(), t.v.end());
}

// every element within atol + rtol·|expected|
void check_close(const std::string& what, const float* ours, const Fixture& fx, const std::string& name,
                 double atol = 2e-5, double rtol = 1e-4) {
    const FixtureTensor& t = get(fx, name);
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < t.v.size(); i++) {
        double err = std::fabs((double)ours[i] - t.v[i]) / (atol + rtol * std::fabs(t.v[i]));
        if (err > worst) worst = err, at = i;
    }
    INFO(what << " vs PyTorch's " << name << ": worst [" << at << "] ours " << ours[at] << " vs " << t.v[at]);
    CHECK(worst <= 1.0);
}

}  // namespace

TEST_CASE("ch11 torch: batch norm equals nn.BatchNorm2d (train output, running stats, eval output, gradients)") {
    Fixture fx = load_fixture("cnn_attention.txt");
    const int B = 3, C = 4, HW = 25;
    Buf x = buf(fx, "bn_x"), g = buf(fx, "bn_weight"), b = buf(fx, "bn_bias"), R = buf(fx, "bn_R");
    Buf out(x.size()), mean(C), rstd(C), rm(C, 0.0f), rv(C, 1.0f);
    batchnorm2d_forward_train(out.data(), mean.data(), rstd.data(), rm.data(), rv.data(), x.data(), g.data(), b.data(),
                              B, C, HW, 0.1f, 1e-5f);
    check_close("bn train out", out.data(), fx, "bn_out");
    check_close("bn running mean", rm.data(), fx, "bn_running_mean");
    check_close("bn running var", rv.data(), fx, "bn_running_var");
    Buf dx(x.size(), 0.0f), dg(C, 0.0f), db(C, 0.0f);
    batchnorm2d_backward(dx.data(), dg.data(), db.data(), R.data(), x.data(), g.data(), mean.data(), rstd.data(), B, C,
                         HW);
    check_close("bn dx", dx.data(), fx, "bn_dx");
    check_close("bn dweight", dg.data(), fx, "bn_dweight");
    check_close("bn dbias", db.data(), fx, "bn_dbias");
    Buf ev(x.size());
    batchnorm2d_forward_eval(ev.data(), x.data(), g.data(), b.data(), rm.data(), rv.data(), B, C, HW, 1e-5f);
    check_close("bn eval out", ev.data(), fx, "bn_eval_out");
}

TEST_CASE("ch11 torch: the SE block equals PyTorch (output, excitation, every gradient)") {
    Fixture fx = load_fixture("cnn_attention.txt");
    const int B = 2, C = 8, Cr = 2, HW = 25;
    Buf x = buf(fx, "se_x"), R = buf(fx, "se_R"), W1 = buf(fx, "se_p.fc1.weight"), b1 = buf(fx, "se_p.fc1.bias");
    Buf W2 = buf(fx, "se_p.fc2.weight"), b2 = buf(fx, "se_p.fc2.bias"), out(x.size());
    SEActs a;
    a.resize(B, C, Cr);
    se_forward(out.data(), a, x.data(), W1.data(), b1.data(), W2.data(), b2.data(), B, C, Cr, HW);
    check_close("SE out", out.data(), fx, "se_out");
    check_close("SE e", a.e.data(), fx, "se_e");
    Buf dx(x.size(), 0.0f), dW1(W1.size(), 0.0f), db1(Cr, 0.0f), dW2(W2.size(), 0.0f), db2(C, 0.0f);
    se_backward(dx.data(), dW1.data(), db1.data(), dW2.data(), db2.data(), a, R.data(), x.data(), W1.data(), W2.data(),
                B, C, Cr, HW);
    check_close("SE dx", dx.data(), fx, "se_dx");
    check_close("SE dW1", dW1.data(), fx, "se_d.fc1.weight");
    check_close("SE db1", db1.data(), fx, "se_d.fc1.bias");
    check_close("SE dW2", dW2.data(), fx, "se_d.fc2.weight");
    check_close("SE db2", db2.data(), fx, "se_d.fc2.bias");
}

TEST_CASE("ch11 torch: the CBAM block equals PyTorch (output, M_c, M_s, every gradient)") {
    Fixture fx = load_fixture("cnn_attention.txt");
    const int B = 2, C = 8, Cr = 2, H = 6, HW = 36, k = 7;
    Buf x = buf(fx, "cbam_x"), R = buf(fx, "cbam_R");
    Buf W1 = buf(fx, "cbam_p.fc1.weight"), b1 = buf(fx, "cbam_p.fc1.bias");
    Buf W2 = buf(fx, "cbam_p.fc2.weight"), b2 = buf(fx, "cbam_p.fc2.bias");
    Buf Ws = buf(fx, "cbam_p.spatial.weight"), bs = buf(fx, "cbam_p.spatial.bias");
    ChannelAttnActs ca;
    SpatialAttnActs sa;
    ca.resize(B, C, Cr), sa.resize(B, HW);
    Buf x1(x.size()), out(x.size());
    channel_attention_forward(x1.data(), ca, x.data(), W1.data(), b1.data(), W2.data(), b2.data(), B, C, Cr, HW);
    spatial_attention_forward(out.data(), sa, x1.data(), Ws.data(), bs.data(), B, C, H, k);
    check_close("CBAM M_c", ca.e.data(), fx, "cbam_mc");
    check_close("CBAM M_s", sa.s.data(), fx, "cbam_ms");
    check_close("CBAM out", out.data(), fx, "cbam_out");
    Buf dx1(x.size(), 0.0f), dx(x.size(), 0.0f), dWs(Ws.size(), 0.0f), dbs(1, 0.0f);
    Buf dW1(W1.size(), 0.0f), db1(Cr, 0.0f), dW2(W2.size(), 0.0f), db2(C, 0.0f);
    spatial_attention_backward(dx1.data(), dWs.data(), dbs.data(), sa, R.data(), x1.data(), Ws.data(), B, C, H, k);
    channel_attention_backward(dx.data(), dW1.data(), db1.data(), dW2.data(), db2.data(), ca, dx1.data(), x.data(),
                               W1.data(), W2.data(), B, C, Cr, HW);
    check_close("CBAM dx", dx.data(), fx, "cbam_dx");
    check_close("CBAM dW1", dW1.data(), fx, "cbam_d.fc1.weight");
    check_close("CBAM db1", db1.data(), fx, "cbam_d.fc1.bias");
    check_close("CBAM dW2", dW2.data(), fx, "cbam_d.fc2.weight");
    check_close("CBAM db2", db2.data(), fx, "cbam_d.fc2.bias");
    check_close("CBAM dWs", dWs.data(), fx, "cbam_d.spatial.weight");
    check_close("CBAM dbs", dbs.data(), fx, "cbam_d.spatial.bias");
}

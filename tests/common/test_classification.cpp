// Tests for the classifier helpers: the classification report by hand (accuracy, per-class
// precision / recall / F1, macro and weighted F1, the confusion matrix; a class never predicted has
// precision 0, not NaN), batches, the epoch's running totals, evaluation over a set, the
// metrics.json schema and the figure names.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "common/core/error.hpp"
#include "common/eval/classification.hpp"
#include "common/run/classifier.hpp"
#include "common/run/classifier_metrics.hpp"
#include "common/run/figure_names.hpp"

using namespace attn;

// ---- the report, by hand ----------------------------------------------------------------------

// labels 0 0 0 1 1 2 2, predictions 0 0 1 1 1 0 1: class 2 is never predicted.
//   confusion (rows true, columns predicted)   0: [2 1 0]   1: [0 2 0]   2: [1 1 0]
//   class 0: precision 2/3, recall 2/3, F1 2/3;   class 1: precision 2/4, recall 2/2, F1 2/3;
//   class 2: precision 0 (never predicted), recall 0/2, F1 0
//   accuracy 4/7, macro F1 (2/3 + 2/3 + 0)/3 = 4/9, weighted F1 (3·2/3 + 2·2/3 + 2·0)/7 = 10/21
static const std::vector<int> kLabels = {0, 0, 0, 1, 1, 2, 2}, kPred = {0, 0, 1, 1, 1, 0, 1};

TEST_CASE("classification: a hand-computed report, with a class that is never predicted") {
    ClassificationReport r = classification_report(kPred, kLabels, 3);
    CHECK(r.count == 7);
    CHECK(r.correct == 4);
    CHECK(r.accuracy == doctest::Approx(4.0 / 7));
    const std::vector<long> confusion = {2, 1, 0, 0, 2, 0, 1, 1, 0};
    CHECK(r.confusion == confusion);
    CHECK(r.confusion_at(2, 0) == 1);
    CHECK(r.per_class[0].precision == doctest::Approx(2.0 / 3));
    CHECK(r.per_class[0].recall == doctest::Approx(2.0 / 3));
    CHECK(r.per_class[0].f1 == doctest::Approx(2.0 / 3));
    CHECK(r.per_class[1].precision == doctest::Approx(0.5));
    CHECK(r.per_class[1].recall == doctest::Approx(1.0));
    CHECK(r.per_class[1].f1 == doctest::Approx(2.0 / 3));
    CHECK(r.per_class[2].predicted == 0);
    CHECK(r.per_class[2].support == 2);
    CHECK(std::isfinite(r.per_class[2].precision));  // 0 / 0 is reported as 0, never NaN
    CHECK(r.per_class[2].precision == 0.0);
    CHECK(r.per_class[2].recall == 0.0);
    CHECK(r.per_class[2].f1 == 0.0);
    CHECK(r.macro_f1 == doctest::Approx(4.0 / 9));
    CHECK(r.weighted_f1 == doctest::Approx(10.0 / 21));
}

TEST_CASE("classification: a class neither labelled nor predicted does not count in the macro F1") {
    ClassificationReport r = classification_report(kPred, kLabels, 4);  // class 3 never occurs
    CHECK(r.macro_f1 == doctest::Approx(4.0 / 9));
    CHECK(r.weighted_f1 == doctest::Approx(10.0 / 21));
    CHECK(r.per_class[3].support == 0);
    CHECK(r.per_class[3].f1 == 0.0);
}

TEST_CASE("classification: perfect predictions, the majority answer, and an empty set") {
    ClassificationReport perfect = classification_report(kLabels, kLabels, 3);
    CHECK(perfect.accuracy == 1.0);
    CHECK(perfect.macro_f1 == doctest::Approx(1.0));
    CHECK(perfect.weighted_f1 == doctest::Approx(1.0));
    // Always "0" on labels 0 0 0 0 1: accuracy 0.8 but class 1 has F1 0.
    //   class 0: precision 4/5, recall 1, F1 8/9;  macro (8/9 + 0)/2 = 4/9;  weighted 4·(8/9)/5 = 32/45
    ClassificationReport majority = classification_report({0, 0, 0, 0, 0}, {0, 0, 0, 0, 1}, 2);
    CHECK(majority.accuracy == doctest::Approx(0.8));
    CHECK(majority.macro_f1 == doctest::Approx(4.0 / 9));
    CHECK(majority.weighted_f1 == doctest::Approx(32.0 / 45));
    ClassificationReport none = classification_report({}, {}, 3);
    CHECK(none.count == 0);
    CHECK(none.accuracy == 0.0);
    CHECK(none.macro_f1 == 0.0);
}

TEST_CASE("classification: lists of different lengths, or a class out of range, are errors") {
    CHECK_THROWS_AS(classification_report({0, 1}, {0}, 2), Error);
    CHECK_THROWS_AS(classification_report({0, 2}, {0, 1}, 2), Error);
    CHECK_THROWS_AS(classification_report({0, 1}, {-1, 1}, 2), Error);
    CHECK_THROWS_AS(classification_report({}, {}, 0), Error);
}

TEST_CASE("classification: argmax takes the first of equal maxima; count_correct and predict_classes by row") {
    const float v[] = {0.1f, 0.7f, 0.7f, 0.2f};
    CHECK(argmax(v, 4) == 1);
    const float scores[] = {0.9f, 0.1f, 0.0f,   // row 0 → 0
                            0.2f, 0.3f, 0.5f,   // row 1 → 2
                            0.4f, 0.4f, 0.2f};  // row 2 → 0 (tie: the first)
    const int y[] = {0, 1, 0};
    CHECK(count_correct(scores, y, 3, 3) == 2);
    int pred[3];
    predict_classes(pred, scores, 3, 3);
    CHECK(pred[0] == 0);
    CHECK(pred[1] == 2);
    CHECK(pred[2] == 0);
}

// ---- batches, the epoch meter, evaluation -----------------------------------------------------

// Five 1×2 images: pixel 0 is the score of class 0, pixel 1 that of class 1.
static ImageSet tiny_set() {
    ImageSet s;
    s.name = "tiny", s.count = 5, s.rows = 1, s.cols = 2, s.num_classes = 2;
    s.pixels = {0.9f, 0.1f, 0.2f, 0.8f, 0.6f, 0.4f, 0.3f, 0.7f, 0.5f, 0.0f};
    s.labels = {0, 1, 1, 1, 0};  // predictions 0 1 0 1 0: sample 2 is wrong
    return s;
}

TEST_CASE("classifier: gather_batch copies the images and labels of idx[i0, i0+B)") {
    ImageSet s = tiny_set();
    std::vector<int> idx = {4, 2, 0};
    float x[4];
    int y[2];
    gather_batch(x, y, s, idx, 1, 2);  // samples 2 and 0
    CHECK(x[0] == 0.6f);
    CHECK(x[1] == 0.4f);
    CHECK(x[2] == 0.9f);
    CHECK(y[0] == 1);
    CHECK(y[1] == 0);
    CHECK(batch_at(5, 4, 2) == 1);
    CHECK(batch_at(5, 0, 2) == 2);
}

TEST_CASE("classifier: shuffled_order is a permutation drawn from the rng; in_order is 0..n-1") {
    Rng a(7), b(7);
    std::vector<int> o = shuffled_order(50, a), p = shuffled_order(50, b);
    CHECK(o == p);
    std::vector<int> sorted = o;
    std::sort(sorted.begin(), sorted.end());
    CHECK(sorted == in_order(50));
    CHECK(o != in_order(50));
}

TEST_CASE("classifier: the epoch meter's mean loss, accuracy and progress text") {
    EpochMeter meter;
    const float scores[] = {0.9f, 0.1f, 0.2f, 0.8f, 0.6f, 0.4f};
    const int y[] = {0, 1, 1};
    meter.add(2.0f, scores, y, 2, 2);      // both right, mean loss 2
    meter.add(0.5f, scores + 4, y + 2, 1, 2);  // wrong, loss 0.5
    EpochStats st = meter.stats();
    CHECK(st.loss == doctest::Approx((2.0 * 2 + 0.5) / 3));
    CHECK(st.acc == doctest::Approx(2.0 / 3));
    CHECK(st.seconds >= 0);
    CHECK(meter.progress() == "loss=1.500, acc=0.667");
    CHECK(epoch_line(st, st) == "loss=1.500, acc=0.667 | val_loss=1.500, val_acc=0.667");
}

TEST_CASE("classifier: evaluate_images batches the whole set in order, sums the losses, keeps predictions") {
    ImageSet s = tiny_set();
    std::vector<int> seen_B;
    auto forward = [&](const float* x, const int* y, int B, double& loss_sum) {
        seen_B.push_back(B);
        for (int b = 0; b < B; b++) loss_sum += y[b] + 1;  // per-sample loss: label + 1
        return x;                                         // the pixels are the scores (B,2)
    };
    std::vector<int> pred;
    EpochStats st = evaluate_images(s, 2, 2, forward, &pred);
    CHECK(seen_B == std::vector<int>{2, 2, 1});
    CHECK(pred == std::vector<int>{0, 1, 0, 1, 0});
    CHECK(st.acc == doctest::Approx(0.8));
    CHECK(st.loss == doctest::Approx((1 + 2 + 2 + 2 + 1) / 5.0));

    ModelResult r;
    r.name = "toy", r.key = "toy";
    r.predictions = pred;
    r.set_test(st, s.labels, 2);
    CHECK(r.report.correct == 4);
    CHECK(r.report.confusion_at(1, 0) == 1);
    r.predictions.pop_back();
    CHECK_THROWS_AS(r.set_test(st, s.labels, 2), Error);
}

TEST_CASE("classifier: evaluate_batches takes any batches of indices and puts each prediction at its sample") {
    ImageSet s = tiny_set();  // the scores of sample i are its two pixels
    const std::vector<std::vector<int>> batches = {{3, 0}, {4}, {2, 1}};
    std::vector<float> scores;
    auto forward = [&](const std::vector<int>& idx, double& loss_sum) {
        scores.clear();
        for (int i : idx) scores.insert(scores.end(), s.image(i), s.image(i) + 2), loss_sum += i;  // loss: the index
        return scores.data();
    };
    std::vector<int> pred;
    EpochStats st = evaluate_batches(batches, s.labels, 2, forward, &pred);
    CHECK(pred == std::vector<int>{0, 1, 0, 1, 0});
    CHECK(st.acc == doctest::Approx(0.8));
    CHECK(st.loss == doctest::Approx((0 + 1 + 2 + 3 + 4) / 5.0));
    CHECK(batches_in_order(5, 2) == std::vector<std::vector<int>>{{0, 1}, {2, 3}, {4}});
    CHECK(batches_in_order(0, 2).empty());
}

// ---- metrics.json and figure names ------------------------------------------------------------

TEST_CASE("classifier metrics: the header, a model's object, the headline, eval_file") {
    ModelResult r;
    r.name = "RAM", r.key = "ram";
    r.predictions = kPred;
    EpochStats te;
    te.acc = 4.0 / 7, te.loss = 1.25;
    r.set_test(te, kLabels, 3);
    r.add_epoch(EpochStats{2.0, 0.5, 4.0}, EpochStats{1.5, 0.6, 0}, 1000);
    CHECK(r.images_per_second() == doctest::Approx(250.0));

    JsonObject j = classifier_metrics({"10_recurrent_attention", "mnist", "src", 100, 10, 7, 1, 42, 3.5});
    set_headline(j, r);
    j.set(r.key, model_metrics(r, {"zero", "one", "two"}));
    j.set("eval_file", eval_file_metrics(r.report));
    for (const char* k : {"chapter", "dataset", "source", "train", "val", "test", "epochs", "threads", "seed",
                          "seconds", "model", "test_accuracy", "test_error_percent", "test_macro_f1",
                          "test_weighted_f1", "metric", "ram", "eval_file"})
        CHECK_MESSAGE(j.has(k), k);
    const std::string s = j.dump(0);
    CHECK(s.find("\"metric\": \"test_accuracy\"") != std::string::npos);
    CHECK(s.find("\"model\": \"RAM\"") != std::string::npos);
    CHECK(s.find("\"confusion\": {\"zero\": [2, 1, 0], \"one\": [0, 2, 0], \"two\": [1, 1, 0]}") != std::string::npos);
    CHECK(s.find("\"two\": {\"precision\": 0, \"recall\": 0, \"f1\": 0, \"support\": 2}") != std::string::npos);
    CHECK(s.find("\"train_loss\": [2]") != std::string::npos);
    CHECK(s.find("\"val_accuracy\": [0.6]") != std::string::npos);
    CHECK(s.find("\"eval_file\": {\"accuracy\": ") != std::string::npos);
    JsonObject bad;
    CHECK_THROWS_AS(set_headline(bad, r, "test_bleu"), Error);  // the metric must name a key that is there
}

TEST_CASE("figure names: OUT/<chapter>_<dataset>[-quick|-full]_<what>[_<variant>].png") {
    CHECK(run_tag(false, false) == "");
    CHECK(run_tag(true, false) == "-quick");
    CHECK(run_tag(false, true) == "-full");
    FigureNames a{"runs/00_foundations", "00_foundations", "mnist", ""};
    CHECK(a.path("loss") == "runs/00_foundations/00_foundations_mnist_loss.png");
    FigureNames b{"out", "10_recurrent_attention", "translated60", run_tag(false, true)};
    CHECK(b.path("glimpses") == "out/10_recurrent_attention_translated60-full_glimpses.png");
    FigureNames c{"out", "09_spatial_transformer", "mnist", run_tag(true, false)};
    CHECK(c.path("rectified", "seed") == "out/09_spatial_transformer_mnist-quick_rectified_seed.png");
}

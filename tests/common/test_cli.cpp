// Tests for the command-line parser: every accepted form, every rejected one, the usage text,
// the common chapter flags, and parse()'s exit codes (in a forked child).
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <initializer_list>
#include <string>
#include <vector>

#include "common/run/cli.hpp"
#include "common/core/error.hpp"

using namespace attn;

namespace {
// argv from a list of words (argv[0] is the program).
struct Args {
    std::vector<std::string> words;
    std::vector<char*> ptrs;
    Args(std::initializer_list<const char*> w) {
        words.push_back("prog");
        for (const char* s : w) words.push_back(s);
        for (auto& s : words) ptrs.push_back(s.data());
        ptrs.push_back(nullptr);
    }
    int argc() const { return (int)words.size(); }
    char** argv() { return ptrs.data(); }
};

struct Fixture {
    Cli cli{"prog", "A test program."};
    int epochs = 10;
    long seed = 42;
    float lr = 1e-3f;
    double tol = 0.5;
    std::string name = "model";
    std::string mode = "fast";
    bool quick = false;
    std::vector<std::string> refs{"default.txt"};
    Fixture() {
        cli.flag("epochs", &epochs, "number of epochs");
        cli.flag("seed", &seed, "random seed");
        cli.flag("lr", &lr, "learning rate");
        cli.flag("tol", &tol, "tolerance");
        cli.flag("name", &name, "run name");
        cli.choice("mode", &mode, {"fast", "slow"}, "speed");
        cli.flag("quick", &quick, "quick run");
        cli.flag_list("ref", &refs, "reference file");
    }
    // Parse and return the error ("" on success).
    std::string parse(Args a) {
        std::string err;
        bool ok = cli.try_parse(a.argc(), a.argv(), &err);
        CHECK(ok == err.empty());
        return err;
    }
};

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("cli: values as `--name value` and `--name=value`, defaults kept otherwise") {
    Fixture f;
    CHECK(f.parse({"--epochs", "5", "--lr=0.01", "--seed", "-3", "--quick", "--mode", "slow", "--name=a=b"}) == "");
    CHECK(f.epochs == 5);
    CHECK(f.lr == doctest::Approx(0.01f));
    CHECK(f.seed == -3);  // a negative number is a value, not a flag
    CHECK(f.quick);
    CHECK(f.mode == "slow");
    CHECK(f.name == "a=b");  // only the first '=' splits
    CHECK(f.tol == 0.5);
    CHECK(f.refs == std::vector<std::string>{"default.txt"});
    CHECK(f.cli.was_set("epochs"));
    CHECK_FALSE(f.cli.was_set("tol"));
    CHECK_FALSE(f.cli.help_requested());
    CHECK_THROWS_AS(f.cli.was_set("nope"), Error);
}

TEST_CASE("cli: a bool flag takes no value but accepts =true/=false; lists repeat") {
    Fixture f;
    f.quick = true;
    CHECK(f.parse({"--quick=false", "--ref", "a.txt", "--ref=b.txt"}) == "");
    CHECK_FALSE(f.quick);
    CHECK(f.refs == std::vector<std::string>{"a.txt", "b.txt"});  // the defaults were replaced
    Fixture g;
    CHECK(g.parse({"--epochs", "3", "--epochs", "4"}) == "");
    CHECK(g.epochs == 4);  // the last one wins
}

TEST_CASE("cli: malformed numbers are errors naming the flag and the value") {
    struct Case {
        std::initializer_list<const char*> args;
        const char* expect;
    };
    for (const Case& c : {
             Case{{"--epochs", "abc"}, "--epochs: expected an integer"},
             Case{{"--epochs", "1.5"}, "got '1.5'"},
             Case{{"--epochs", "10x"}, "got '10x'"},
             Case{{"--epochs", " 5"}, "--epochs: expected an integer"},
             Case{{"--epochs="}, "got ''"},
             Case{{"--epochs", "99999999999"}, "expected an integer in [-2147483648, 2147483647]"},
             Case{{"--seed", "99999999999999999999"}, "--seed: expected an integer"},
             Case{{"--lr", "1e"}, "--lr: expected a finite number, got '1e'"},
             Case{{"--lr", "0.1.2"}, "got '0.1.2'"},
             Case{{"--lr", "nan"}, "--lr: expected a finite number"},
             Case{{"--lr", "inf"}, "--lr: expected a finite number"},
             Case{{"--lr", "1e39"}, "--lr: expected a finite number"},  // overflows a float
             Case{{"--tol", "1e400"}, "--tol: expected a finite number"},
         }) {
        Fixture f;
        std::string err = f.parse(c.args);
        INFO(err);
        CHECK(contains(err, c.expect));
        CHECK(contains(err, "HINT"));
    }
    Fixture f;
    CHECK(f.parse({"--tol", "1e39", "--lr", "-2.5e-3"}) == "");  // fine for a double; negative fine
    CHECK(f.tol == 1e39);
    CHECK(f.lr == doctest::Approx(-2.5e-3f));
}

TEST_CASE("cli: unknown flags, missing values, bad choices and positional arguments are errors") {
    struct Case {
        std::initializer_list<const char*> args;
        const char* expect;
    };
    for (const Case& c : {
             Case{{"--epoch", "3"}, "unknown flag --epoch (HINT: did you mean --epochs?"},
             Case{{"--bogus"}, "unknown flag --bogus (HINT: run with --help"},
             Case{{"-x"}, "unknown flag --x"},
             Case{{"--epochs"}, "--epochs: expected a value after it"},
             Case{{"--epochs", "--quick"}, "--epochs: expected a value after it"},
             Case{{"--mode", "medium"}, "--mode: expected one of fast, slow, got 'medium'"},
             Case{{"--quick=maybe"}, "--quick: expected no value, or true/false"},
             Case{{"extra"}, "unexpected argument 'extra'"},
             Case{{"--epochs", "3", "4"}, "unexpected argument '4'"},
             Case{{"--"}, "unexpected argument '--'"},
             Case{{"-5"}, "unexpected argument '-5'"},
         }) {
        Fixture f;
        std::string err = f.parse(c.args);
        INFO(err);
        CHECK(contains(err, c.expect));
    }
}

TEST_CASE("cli: --help anywhere wins; the usage lists every flag with type, default and help, aligned") {
    Fixture f;
    CHECK(f.parse({"--epochs", "abc", "--help"}) == "");
    CHECK(f.cli.help_requested());
    std::string u = f.cli.usage();
    INFO(u);
    CHECK(contains(u, "usage: prog [options]"));
    CHECK(contains(u, "A test program."));
    CHECK(contains(u, "--epochs INT"));
    CHECK(contains(u, "number of epochs (default: 10)"));
    CHECK(contains(u, "--lr NUMBER"));
    CHECK(contains(u, "(default: 0.001)"));
    CHECK(contains(u, "--mode {fast,slow}"));
    CHECK(contains(u, "--ref STR"));
    CHECK(contains(u, "(repeatable) (default: default.txt)"));
    CHECK(contains(u, "-h, --help"));
    // The help column starts at the same place on every line.
    size_t col_epochs = u.find("number of epochs") - u.rfind('\n', u.find("number of epochs"));
    size_t col_quick = u.find("quick run") - u.rfind('\n', u.find("quick run"));
    CHECK(col_epochs == col_quick);
}

TEST_CASE("cli: declaration mistakes are caught at once") {
    Cli cli("p", "");
    int a = 1, b = 2;
    std::string s = "x";
    cli.flag("a", &a, "");
    CHECK_THROWS_AS(cli.flag("a", &b, ""), Error);          // twice
    CHECK_THROWS_AS(cli.flag("help", &b, ""), Error);       // reserved
    CHECK_THROWS_AS(cli.flag("--b", &b, ""), Error);        // dashes
    CHECK_THROWS_AS(cli.choice("c", &s, {"y", "z"}, ""), Error);  // default not allowed
    CHECK_THROWS_AS(cli.range("c", 0, 1), Error);           // undeclared
}

TEST_CASE("cli: range checks apply to given values") {
    Cli cli("p", "");
    int n = 5;
    cli.flag("n", &n, "count");
    cli.range("n", 1, 10);
    std::string err;
    Args bad{"--n", "0"};
    CHECK_FALSE(cli.try_parse(bad.argc(), bad.argv(), &err));
    CHECK(contains(err, "--n: expected a value in [1, 10], got '0'"));
    Args good{"--n", "10"};
    CHECK(cli.try_parse(good.argc(), good.argv(), &err));
    CHECK(n == 10);
}

TEST_CASE("cli: the common chapter flags") {
    Cli cli("02_additive_attention", "");
    CommonFlags f;
    f.epochs = 7;
    add_common_flags(cli, f);
    CHECK(f.out == "runs/02_additive_attention");
    std::string err;
    Args a{"--data", "synthetic", "--data-dir", "/d", "--epochs", "3", "--batch", "64", "--lr", "0.5",
           "--seed", "7", "--threads", "2", "--quick", "--out", "o", "--save", "s.bin", "--load", "l.bin"};
    REQUIRE(cli.try_parse(a.argc(), a.argv(), &err));
    CHECK(f.data == "synthetic");
    CHECK(f.data_dir == "/d");
    CHECK(f.epochs == 3);
    CHECK(f.batch == 64);
    CHECK(f.lr == doctest::Approx(0.5f));
    CHECK(f.seed == 7);
    CHECK(f.threads == 2);
    CHECK(f.quick);
    CHECK(f.out == "o");
    CHECK(f.save == "s.bin");
    CHECK(f.load == "l.bin");
    CHECK(contains(cli.usage(), "(default: 7)"));  // the chapter's default is shown

    for (auto bad : {Args{"--eval-file", "x.tsv"}, Args{"--epochs", "0"}, Args{"--batch", "-1"},
                     Args{"--threads", "-2"}, Args{"--lr", "-1"}}) {
        Cli c2("p", "");
        CommonFlags f2;
        add_common_flags(c2, f2);
        CHECK_FALSE(c2.try_parse(bad.argc(), bad.argv(), &err));
    }
    Cli c3("p", "");
    CommonFlags f3;
    f3.want_eval_file = true;
    f3.data_choices = {"auto", "mnist", "fashion"};
    add_common_flags(c3, f3);
    Args e{"--eval-file", "pairs.tsv", "--data", "fashion"};
    CHECK(c3.try_parse(e.argc(), e.argv(), &err));
    CHECK(f3.eval_file == "pairs.tsv");
    Args bad_data{"--data", "cifar"};
    CHECK_FALSE(c3.try_parse(bad_data.argc(), bad_data.argv(), &err));
    CHECK(contains(err, "expected one of auto, mnist, fashion"));
}

// parse() itself exits: run it in a child process and look at its status and output.
static int run_parse(Args a, std::string* output) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    std::fflush(stdout), std::fflush(stderr);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 1), dup2(fds[1], 2);
        close(fds[0]);
        Cli cli("prog", "");
        int n = 1;
        cli.flag("n", &n, "count");
        cli.parse(a.argc(), a.argv());
        std::fflush(stdout);
        _exit(n == 3 ? 0 : 1);  // a good parse returns here
    }
    close(fds[1]);
    output->clear();
    char buf[4096];
    ssize_t k;
    while ((k = read(fds[0], buf, sizeof buf)) > 0) output->append(buf, (size_t)k);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_CASE("cli: parse() exits 0 after --help and 2 after an error, printing the usage") {
    std::string out;
    CHECK(run_parse({"--n", "3"}, &out) == 0);
    CHECK(run_parse({"--help"}, &out) == 0);
    CHECK(contains(out, "usage: prog [options]"));
    CHECK(run_parse({"-h"}, &out) == 0);
    CHECK(run_parse({"--n", "x"}, &out) == 2);
    CHECK(contains(out, "prog: error: --n: expected an integer"));
    CHECK(contains(out, "usage: prog [options]"));
}

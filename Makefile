# Attention from Scratch — every command a user types is a target here.
# The build itself is defined once, in CMakeLists.txt; these targets only drive it.
#
#   make                  build everything (Release, -O3 -march=native)
#   make chapters         build only the chapter programs
#   make run              the course tour: every chapter in --quick mode, then a summary table
#   make run CHAPTER=00_foundations   one chapter's full default run
#   make test             build and run every test suite
#   make bench            speed: ours beside PyTorch, each chapter on a busy machine, matmul, loaders
#   make test-sanitize    the whole suite under AddressSanitizer + UBSan
#   make test-tsan        the whole suite under ThreadSanitizer (data races in the thread pool and its users)
#   make fuzz             every loader under libFuzzer + ASan + UBSan (clang), FUZZ_SECONDS each (default 60)
#   make results          every chapter's default run, collected into results/RESULTS.md
#   make seeds CHAPTER=NN_name   one chapter's run with seeds 42, 1, 2: its headline as mean ± sd (ARGS, SEEDS)
#   make assignments      the student edition in assignments/: solution bodies become "not implemented" stubs
#   make autograde SUBMISSION=DIR   grade a student's copy function by function (CHAPTERS=09,10 for some)
#   make autograder-zip   the Gradescope package, build/autograder.zip (CHAPTERS=05 for some, TIMEOUT=120)
#   make mutants          how strong the tests are: small bugs in every graded body, the share caught (SANITIZE=1: under ASan)
#   make format           clang-format every source file
#   make clean            remove build directories
#
# Switches: WERROR=1 (warnings are errors), THREADS=N (ATTN_THREADS for runs), ARGS="..." (extra
# flags for `make run CHAPTER=...`).

BUILD      ?= build
SAN_BUILD  ?= build-sanitize
TSAN_BUILD ?= build-tsan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
WERROR     ?= 0
CMAKE_OPTS  = -DCMAKE_BUILD_TYPE=Release -DWERROR=$(if $(filter 1,$(WERROR)),ON,OFF)
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CHAPTER    ?=
ARGS       ?=
OUT        ?= runs

.PHONY: all deps build chapters run test bench bench-deps test-sanitize test-tsan fuzz assignments autograde autograder-zip mutants results seeds format clean

all: build

# Install the Debian packages we need, only when something is missing.
deps:
	@data_tools/install_deps.sh --check >/dev/null 2>&1 || data_tools/install_deps.sh

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_OPTS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Only the chapter programs (and the library they link): what the tour needs, no tests or benchmarks.
chapters: deps
	@cmake -S . -B $(BUILD) $(CMAKE_OPTS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target chapters

# The tour (no CHAPTER): each chapter --quick, then the summary. With CHAPTER: its full default run.
run: chapters
ifeq ($(CHAPTER),)
	@data_tools/tour.sh $(BUILD)/bin $(OUT)
else
	@$(BUILD)/bin/$(CHAPTER) --out $(OUT)/$(CHAPTER) $(ARGS)
endif

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Speed, in lines of one shape that every model adds to (tests/bench/bench_util.hpp):
#   bench NAME threads=N ours=<samples/s> OTHER=<samples/s> ratio=<ours/OTHER> wall_s=… cpu_s=… load=…
# mlp, ch01_seq2seq, ch02_bahdanau, ch03_luong, ch05_attention, …, ch09_stn, ch10_ram: each chapter's
# training step beside the same model in PyTorch (when python3-torch is installed: data_tools/torch_bench/),
# with its matrix products' GFLOP/s against the machine's measured FMA peak;
# busy/CHAPTER: each chapter's default thread count beside one thread while a CPU-bound process spins on
# every core (5–10 minutes on 2 cores); then matmul GFLOP/s beside OpenBLAS (when installed) and loader
# speed. The `bench` lines are repeated at the end, and data_tools/bench_table.sh writes them as tables
# into results/BENCH.md (with the date, the CPU and the number of cores).
bench: SHELL := /bin/bash
bench: .SHELLFLAGS := -o pipefail -c
bench-deps: deps
	@data_tools/install_deps.sh --bench
bench: bench-deps build
	@for b in $(BUILD)/bin/bench_*; do echo "== $$b"; $$b || exit 1; done | tee $(BUILD)/bench.txt
	@echo "== summary"; grep '^bench ' $(BUILD)/bench.txt
	@data_tools/bench_table.sh $(BUILD)/bench.txt results/BENCH.md

test-sanitize: deps
	@cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g" -DSANITIZE=ON -DWERROR=$(if $(filter 1,$(WERROR)),ON,OFF) >/dev/null
	@cmake --build $(SAN_BUILD) -j $(JOBS)
	@cd $(SAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

# ThreadSanitizer: every suite, the chapter programs included (-O1: TSan's own advice; slower than
# `make test`, several minutes on 2 cores). The grader is left out, as under test-sanitize: it links the
# tests it compiles against this build's library. halt_on_error: the first race fails its suite.
test-tsan: deps
	@cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g" -DTSAN=ON -DWERROR=$(if $(filter 1,$(WERROR)),ON,OFF) >/dev/null
	@cmake --build $(TSAN_BUILD) -j $(JOBS)
	@cd $(TSAN_BUILD) && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" ctest --output-on-failure -j $(JOBS)

# Fuzzing: tests/fuzz/fuzz_<loader>.cpp built with clang's libFuzzer, ASan and UBSan, each run for
# FUZZ_SECONDS from its seed corpus; corpora and any finding in $(FUZZ_BUILD)/runs (data_tools/fuzz.sh).
fuzz:
	@data_tools/install_deps.sh --fuzz
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g" -DFUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzzers
	@data_tools/fuzz.sh $(FUZZ_BUILD)/bin $(FUZZ_BUILD)/runs $(FUZZ_SECONDS)

# The student edition: a copy of the course in ASSIGN (default assignments/) whose solution bodies are
# stubs that throw "not implemented"; its `make test` fails on exactly the functions left to write.
ASSIGN ?= assignments
assignments: build
	@$(BUILD)/bin/make_assignments --out $(ASSIGN)

# Grading: each chapter with a grading.txt is built from this repository with only SUBMISSION's
# students' files of that chapter, its graded test cases run one by one under a time limit, and
# SUBMISSION/grading/ gets results.json (Gradescope) and junit.xml (data_tools/autograde.cpp).
SUBMISSION ?= assignments
CHAPTERS   ?=
autograde: build
	@$(BUILD)/bin/autograde --submission $(SUBMISSION) $(if $(CHAPTERS),--chapters $(CHAPTERS))

# The Gradescope package: the course, setup.sh and run_autograder (data_tools/gradescope/), and the
# chapters to grade; Gradescope unpacks it, runs setup.sh once, then run_autograder per submission.
TIMEOUT ?= 120
autograder-zip:
	@data_tools/autograder_zip.sh $(BUILD)/autograder.zip "$(CHAPTERS)" "$(TIMEOUT)"

# Test strength: every graded function's body mutated (common/run/mutation.hpp), the mutants compiled
# once per function and run against its test cases; the report, $(BUILD)/mutants.md, lists the share
# caught per function and every survivor (data_tools/mutants.cpp). SAMPLE=N: at most N per function.
# SANITIZE=1: the mutants' tests built under AddressSanitizer + UBSan, so a read or write one past a
# buffer's end fails even when it changes no number (about 2.5 times the time).
SAMPLE ?= 0
SANITIZE ?= 0
mutants: build
	@$(BUILD)/bin/mutants --work $(BUILD)/mutants --report $(BUILD)/mutants.md --sample $(SAMPLE) $(if $(CHAPTERS),--chapters $(CHAPTERS)) $(if $(filter 1,$(SANITIZE)),--sanitize)

results: chapters
	@data_tools/results.sh $(BUILD)/bin results

# One chapter over several seeds (data_tools/seeds.sh): its runs in $(OUT)/<chapter>_seeds/seed_S,
# the table and mean ± sd in $(OUT)/<chapter>_seeds/seeds.md. ARGS adds flags, SEEDS="42 1 2" the seeds.
SEEDS ?= 42 1 2
seeds: chapters
	@test -n "$(CHAPTER)" || { echo "make seeds: name a chapter, e.g. make seeds CHAPTER=00_foundations" >&2; exit 2; }
	@SEEDS="$(SEEDS)" data_tools/seeds.sh $(BUILD)/bin $(CHAPTER) $(OUT)/$(CHAPTER)_seeds $(ARGS)

format:
	@find common chapters data_tools tests -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)

# The two commands: `make run` and `make test`. Each installs the missing Debian
# packages (build-aux/debian-packages.txt), configures and builds with meson.
BUILD ?= build
SANBUILD ?= build-san
MESON_OPTS ?=

.PHONY: all deps build run test sanitize bench bench-smoke install clean

all: build

deps:
	@sh build-aux/install-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

# meson devenv points GSETTINGS_SCHEMA_DIR and friends at the build tree.
run: build
	meson devenv -C $(BUILD) app/ember

# Every test: the normal build, the engine's tests again under ASan+UBSan,
# then one closing line "N passed, N failed".
test: build
	@sh build-aux/setup-npm.sh
	@sh build-aux/run-tests.sh $(BUILD) $(SANBUILD)

$(SANBUILD)/build.ninja:
	CC=clang meson setup $(SANBUILD) -Dbuildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false -Dgui=false $(MESON_OPTS)

sanitize: deps $(SANBUILD)/build.ninja
	ninja -C $(SANBUILD)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C $(SANBUILD) --suite engine --print-errorlogs

bench: build
	@sh tests/bench/run.sh $(BUILD)

bench-smoke: build
	@EMBER_BENCH_SMOKE=1 sh tests/bench/run.sh $(BUILD)

install: build
	meson install -C $(BUILD)

clean:
	rm -rf $(BUILD) $(SANBUILD)

# vmm - build, test and demo. `make` builds ./vmm (static aarch64); `make test` runs
# the unit tests, the layering check and the nested boot tests; `make run` boots a demo
# guest to a shell.

ARCH := arm64
HOST_ARCH := $(shell uname -m)
ifeq ($(HOST_ARCH),aarch64)
CROSS ?=
RUN_AARCH64 ?=
else
# Cross-compile; KVM headers come from the arm64 sysroot, never the host's.
CROSS ?= aarch64-linux-gnu-
# The arm64 multiarch libc (libc6:arm64, which libcmocka0:arm64 brings) with its own ld.so:
# the cross sysroot's older ld.so with the newer multiarch libc hangs in pthread_create.
RUN_AARCH64 ?= qemu-aarch64-static -L /
endif
CC := $(CROSS)gcc

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -D_GNU_SOURCE -MMD -MP
# zlib and libzstd: gzip, zstd and EFI zboot kernels (decomp.c).
LDLIBS := -lfdt -luring -lzstd -lz -lpthread

# Arch files are chosen here, not by #ifdef.
LIB_SRCS := cli.c cli_net.c cli_lkvm.c vm.c vm_run.c util.c mem.c bus.c outq.c term.c emit.c probe.c console.c report.c command.c describe.c control.c control_dtb.c seccomp.c \
	decomp.c \
	$(wildcard arch/$(ARCH)/*.c) $(wildcard irqchip/*.c) $(wildcard fdt/*.c) \
	$(wildcard devices/*.c) $(wildcard virtio/*.c)
OBJDIR := build
LIB_OBJS := $(LIB_SRCS:%.c=$(OBJDIR)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(OBJDIR)/tests/%)

.PHONY: all deps test unit layers boot-test run bench clean hostile fuzz fuzz-build fuzz-deps

all: deps vmm

# Install the toolchain and libraries when something is missing (scripts/setup.sh).
deps:
	@command -v $(CC) >/dev/null 2>&1 && command -v qemu-system-aarch64 >/dev/null 2>&1 && \
	  echo '#include <libfdt.h>\n#include <cmocka.h>' | true && \
	  $(CC) -print-file-name=libfdt.a | grep -q / && \
	  test -e "$$($(CC) -print-file-name=libfdt.a)" && \
	  test -e "$$($(CC) -print-file-name=libcmocka.so)" && \
	  test -e "$$($(CC) -print-file-name=libz.a)" && test -e "$$($(CC) -print-file-name=libzstd.a)" && \
	  command -v zstd >/dev/null 2>&1 || bash scripts/setup.sh

vmm: $(OBJDIR)/vmm.o $(LIB_OBJS)
	$(CC) -static -o $@ $^ $(LDLIBS)

$(OBJDIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# Unit tests link the VMM's objects and cmocka (Debian ships cmocka as a shared library only).
# A test may stand in for KVM at the ioctl boundary: TEST_LDFLAGS_<test> = -Wl,--wrap=ioctl.
# Test support objects: tests/unit/*.c not named test_* are built like the VMM's objects
# and linked only into the tests that list them, TEST_SUPPORT_<test> = <names without .c>.
# The PCI and virtio tests share the fake KVM (tests/fake/kvm_ioctl.c: __wrap_ioctl, the
# ioeventfd registry, the one the fuzzers use too; fake_kvm.c: questions about its records)
# and the fixtures (pci_fixture.c: fake RAM and VM, ECAM/BAR, driver steps).
PCI_TESTS := test_info_pci test_pci_cfg test_pci_fdt test_pci_intx test_pci_bar_race test_msix test_virtio_pci \
	test_virtio_console test_virtio_mmio test_virtio_net test_virtio_vsock
$(foreach t,$(PCI_TESTS),$(eval TEST_LDFLAGS_$(t) := -Wl,--wrap=ioctl))
$(foreach t,$(PCI_TESTS),$(eval TEST_SUPPORT_$(t) := fake_kvm pci_fixture))
test_support_objs = $(foreach s,$(TEST_SUPPORT_$(1)),$(OBJDIR)/tests/unit/$(s).o)
$(foreach t,$(PCI_TESTS),$(eval $(OBJDIR)/tests/$(t): $(call test_support_objs,$(t))))
# test_cpu_features records the vCPU ioctls itself.
TEST_LDFLAGS_test_cpu_features := -Wl,--wrap=ioctl
FAKE_KVM_OBJ := $(OBJDIR)/tests/fake/kvm_ioctl.o
$(PCI_TESTS:%=$(OBJDIR)/tests/%): $(FAKE_KVM_OBJ)
# Tests of device models that submit I/O (qemu-user has no io_uring) link the fuzzers' fake
# VM instead of the I/O thread and seccomp (tests/fuzz/fake_vm.c: KVM at ioctl accept-all,
# log_at quiet unless VMM_FUZZ_LOG=1, submissions queued until the test completes them).
FAKE_VM_TESTS := test_blk test_board
FAKE_VM_REPLACES := $(OBJDIR)/virtio/iothread.o $(OBJDIR)/seccomp.o $(OBJDIR)/arch/$(ARCH)/seccomp_arch.o
$(FAKE_VM_TESTS:%=$(OBJDIR)/tests/%): $(OBJDIR)/tests/fuzz/fake_vm.o $(FAKE_KVM_OBJ)
$(foreach t,$(FAKE_VM_TESTS),$(eval TEST_LDFLAGS_$(t) := -Wl,--wrap=ioctl,--wrap=log_at))
test_objs = $(if $(filter $(1),$(FAKE_VM_TESTS)),$(filter-out $(FAKE_VM_REPLACES),$(LIB_OBJS)) \
	$(OBJDIR)/tests/fuzz/fake_vm.o $(FAKE_KVM_OBJ),$(LIB_OBJS) $(if $(filter $(1),$(PCI_TESTS)),$(FAKE_KVM_OBJ)))
# Every test may build its devices' environment with tests/fake/test_env.c (the fuzzers' too).
TEST_ENV_OBJ := $(OBJDIR)/tests/fake/test_env.o
$(OBJDIR)/tests/%: tests/unit/%.c $(LIB_OBJS) $(TEST_ENV_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(call test_support_objs,$*) $(call test_objs,$*) $(TEST_ENV_OBJ) $(TEST_LDFLAGS_$*) \
		$(LDLIBS) -lcmocka

unit: deps $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; timeout -k 10 300 $(RUN_AARCH64) ./$$t; done

# The hostile guest (issue 7): a bare-metal --kernel-format=raw payload that attacks the
# devices from inside. Freestanding: no libc, general registers only (no FP/SIMD state
# to set up), strictly aligned accesses (with the MMU off all memory is Device memory).
HOSTILE_SRCS := $(wildcard tests/hostile/*.c) tests/hostile/start.S
HOSTILE_OBJS := $(patsubst tests/hostile/%,$(OBJDIR)/hostile/%.o,$(HOSTILE_SRCS))
HOSTILE_CFLAGS := -O2 -g -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -ffreestanding \
	-nostdlib -mgeneral-regs-only -mstrict-align -fno-stack-protector -fno-pic \
	-fno-tree-loop-distribute-patterns -MMD -MP

hostile: $(OBJDIR)/hostile/hostile.bin

$(OBJDIR)/hostile/%.o: tests/hostile/%
	@mkdir -p $(dir $@)
	$(CC) $(HOSTILE_CFLAGS) -c -o $@ $<

$(OBJDIR)/hostile/hostile.elf: $(HOSTILE_OBJS) tests/hostile/hostile.lds
	$(CC) -nostdlib -static -no-pie -Wl,--build-id=none -Wl,--no-warn-rwx-segments -T tests/hostile/hostile.lds -o $@ $(HOSTILE_OBJS)

$(OBJDIR)/hostile/hostile.bin: $(OBJDIR)/hostile/hostile.elf
	$(CROSS)objcopy -O binary $< $@

boot-test: deps vmm hostile
	bash tests/boot/run.sh

# Include edges between the layers (HACKING): no new cycle, arch/ path or upward include
# beyond scripts/layers.baseline, and none of those fixed but still listed.
layers:
	python3 scripts/check-layers

test: unit layers boot-test

run: deps vmm
	bash tests/boot/demo.sh

# Benchmarks print figures (never pass/fail): boot times, exits per I/O, throughput, RSS.
bench: deps vmm
	bash tests/bench/run.sh

# ---- make fuzz: libFuzzer targets for the x86_64 host (clang), not part of make test ----
# Each tests/fuzz/fuzz_<name>.c runs FUZZ_SECONDS on a copy of tests/fuzz/corpus/<name>/;
# a crash fails the run (its reproducer is left in build/fuzz/). KVM and the I/O thread are
# faked (tests/fake/kvm_ioctl.c, shared with the unit tests; tests/fuzz/fake_vm.c); KVM headers are the arm64 ones, through build/fuzz/include/asm.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR := $(OBJDIR)/fuzz
FUZZ_ASM ?= /usr/aarch64-linux-gnu/include/asm
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -D_GNU_SOURCE -MMD -MP \
	-g -O1 -fno-omit-frame-pointer $(FUZZ_SAN) -I$(FUZZ_DIR)/include
# Debian's libfdt-dev is not multi-arch: the amd64 runtime library is linked by its soname.
FUZZ_LDLIBS ?= -l:libfdt.so.1 -lzstd -lz -lpthread
FUZZ_LIB_OBJS := $(filter-out $(FUZZ_DIR)/virtio/iothread.o $(FUZZ_DIR)/seccomp.o $(FUZZ_DIR)/arch/$(ARCH)/seccomp_arch.o,$(LIB_SRCS:%.c=$(FUZZ_DIR)/%.o)) \
	$(patsubst %.c,$(FUZZ_DIR)/%.o,$(filter-out tests/fuzz/fuzz_%.c,$(wildcard tests/fuzz/*.c)) $(wildcard tests/fake/*.c))
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)

# clang with libFuzzer, the arm64 UAPI headers, liburing.h, libfdt, zlib and libzstd; else scripts/setup.sh.
fuzz-deps:
	@command -v $(FUZZ_CC) >/dev/null 2>&1 && test -d $(FUZZ_ASM) && test -e /usr/include/liburing.h && \
	  test -e /usr/include/libfdt.h && test -e /usr/include/zlib.h && test -e /usr/include/zstd.h && printf 'int LLVMFuzzerTestOneInput(void) { return 0; }\n' | \
	  $(FUZZ_CC) -x c -fsanitize=fuzzer,address -o /dev/null - $(FUZZ_LDLIBS) 2>/dev/null || bash scripts/setup.sh

$(FUZZ_DIR)/include/asm: | fuzz-deps
	@mkdir -p $(dir $@)
	ln -sfn $(FUZZ_ASM) $@

$(FUZZ_DIR)/%.o: %.c | $(FUZZ_DIR)/include/asm
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJS)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ -Wl,--wrap=ioctl,--wrap=log_at $(FUZZ_LDLIBS)

# Keep the objects: they are shared by every target.
.SECONDARY: $(FUZZ_LIB_OBJS) $(FUZZ_TARGETS:%=$(FUZZ_DIR)/tests/fuzz/fuzz_%.o)

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@bash tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_DIR) $(FUZZ_TARGETS)

clean:
	rm -rf $(OBJDIR) vmm

-include $(shell find $(OBJDIR) -name '*.d' 2>/dev/null)

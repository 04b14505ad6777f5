# vmm - build, test and demo. `make` builds ./vmm (static aarch64); `make test` runs
# the unit tests and the nested boot tests; `make run` boots a demo guest to a shell.

ARCH := arm64
HOST_ARCH := $(shell uname -m)
ifeq ($(HOST_ARCH),aarch64)
CROSS ?=
RUN_AARCH64 ?=
else
# Cross-compile; KVM headers come from the arm64 sysroot, never the host's.
CROSS ?= aarch64-linux-gnu-
RUN_AARCH64 ?= qemu-aarch64-static -L /usr/aarch64-linux-gnu
endif
CC := $(CROSS)gcc

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -D_GNU_SOURCE -MMD -MP
LDLIBS := -lfdt -luring -lpthread

# Arch files are chosen here, not by #ifdef.
LIB_SRCS := cli.c vm.c util.c term.c probe.c console.c report.c command.c control.c seccomp.c \
	$(wildcard arch/$(ARCH)/*.c) $(wildcard irqchip/*.c) $(wildcard fdt/*.c) \
	$(wildcard devices/*.c) $(wildcard virtio/*.c)
OBJDIR := build
LIB_OBJS := $(LIB_SRCS:%.c=$(OBJDIR)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(OBJDIR)/tests/%)

.PHONY: all deps test unit boot-test run bench clean hostile

all: deps vmm

# Install the toolchain and libraries when something is missing (scripts/setup.sh).
deps:
	@command -v $(CC) >/dev/null 2>&1 && command -v qemu-system-aarch64 >/dev/null 2>&1 && \
	  echo '#include <libfdt.h>\n#include <cmocka.h>' | true && \
	  $(CC) -print-file-name=libfdt.a | grep -q / && \
	  test -e "$$($(CC) -print-file-name=libfdt.a)" && \
	  test -e "$$($(CC) -print-file-name=libcmocka.so)" || bash scripts/setup.sh

vmm: $(OBJDIR)/vmm.o $(LIB_OBJS)
	$(CC) -static -o $@ $^ $(LDLIBS)

$(OBJDIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# Unit tests link the VMM's objects and cmocka (Debian ships cmocka as a shared library only).
# A test may stand in for KVM at the ioctl boundary: TEST_LDFLAGS_<test> = -Wl,--wrap=ioctl.
TEST_LDFLAGS_test_pci := -Wl,--wrap=ioctl
$(OBJDIR)/tests/%: tests/unit/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIB_OBJS) $(TEST_LDFLAGS_$*) $(LDLIBS) -lcmocka

unit: deps $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; timeout 300 $(RUN_AARCH64) ./$$t; done

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

test: unit boot-test

run: deps vmm
	bash tests/boot/demo.sh

# Benchmarks print figures (never pass/fail): boot times, exits per I/O, throughput, RSS.
bench: deps vmm
	bash tests/bench/run.sh

clean:
	rm -rf $(OBJDIR) vmm

-include $(shell find $(OBJDIR) -name '*.d' 2>/dev/null)

/* cli_lkvm.h - kvmtool's command line: `vmm run` taking `lkvm run` spellings, and vmm
 * invoked under the name lkvm behaving as kvmtool's lkvm where the two differ. */
#ifndef VMM_CLI_LKVM_H
#define VMM_CLI_LKVM_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"

/* kvmtool's exit codes (util/parse-options.c, kvm-cmd.c): a usage error, `run --help` or
 * an unknown option exits 129; an unknown command (and `lkvm --help`) prints the command
 * list and exits EINVAL. */
#define LKVM_EXIT_USAGE      129
#define LKVM_EXIT_NO_COMMAND 22

#define LKVM_MAX_ARGS    512
#define LKVM_CMDLINE_MAX 2048 /* kvmtool's real_cmdline[] */

/* One `run` command line in kvmtool's spelling, translated into vmm's. */
struct lkvm_run {
	int argc;
	char *argv[LKVM_MAX_ARGS + 1]; /* vmm's `run` argv (argv[0] "run"), NULL-terminated */
	char *owned[LKVM_MAX_ARGS];    /* the strings the translation made (freed by cli_lkvm_free) */
	unsigned nr_owned;
	bool persona;     /* invoked as lkvm: lkvm's defaults and kernel parameters */
	bool help;        /* lkvm run --help / -h (persona only: vmm's --help stays vmm's) */
	bool nodefaults;  /* --nodefaults: no kernel parameters but -p's */
	bool cpus_given, mem_given;
	const char *params; /* persona: -p/--params, combined with kvmtool's defaults */
	int log_level;      /* --loglevel error|warning: that level; -1 unchanged */
	char cmdline[LKVM_CMDLINE_MAX];
};

/* True when argv0's base name is "lkvm" (a link or copy named so). */
bool cli_lkvm_invoked(const char *argv0);
/* Translate `run` arguments (argv[0] "run") written for lkvm into vmm's into lr; persona:
 * invoked as lkvm. 0, or -EINVAL/-E2BIG with one line naming the option in err. */
int cli_lkvm_translate(int argc, char **argv, bool persona, struct lkvm_run *lr, char *err, size_t errlen);
/* After cli_parse_run on lr->argv: what vmm's parser cannot say (--nodefaults; as lkvm:
 * kvmtool's kernel parameters, vCPU and RAM defaults, a headerless kernel loaded raw). */
void cli_lkvm_apply(struct lkvm_run *lr, struct vm_config *cfg);
/* Free what cli_lkvm_translate made; lr's argv and cfg strings from it are gone after. */
void cli_lkvm_free(struct lkvm_run *lr);
/* vmm's `run` exit code as lkvm reports it (usage 129, a guest reset ends the session: 0). */
int cli_lkvm_exit_code(int vmm_code);
/* kvmtool's `lkvm run` usage text (the options vmm takes) on stream (stderr in kvmtool). */
void cli_lkvm_run_usage(void *stream);
/* vmm invoked as lkvm: help, version and run (run_fn runs `run` argv as lkvm and returns
 * vmm's exit code); the exit code as lkvm's. */
int cli_lkvm_main(int argc, char **argv, int (*run_fn)(int argc, char **argv, void *ctx), void *ctx);

#endif

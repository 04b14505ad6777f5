/* vm_run.c - a VM running: the vCPU threads, the kick, pause and resume, the signals, the
 * event loop and its deadlines, and vm_run. vm.c builds and destroys the VM. */
#include "vm.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "arch.h"
#include "console.h"
#include "control.h"
#include "seccomp.h"
#include "virtio/iothread.h"
#include "term.h"
#include "util.h"

/* The signal that kicks a vCPU thread out of KVM_RUN. */
#define SIG_VCPU_KICK SIGUSR1

static void vcpu_kick_handler(int sig)
{
	(void)sig; /* only there to make KVM_RUN return -EINTR */
}

static void *vcpu_thread_start(void *arg)
{
	struct vcpu *v = arg;
	char name[16];
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIG_VCPU_KICK);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	/* From here on: KVM_RUN on this vCPU and what its MMIO exits do (seccomp.c). */
	snprintf(name, sizeof(name), "vcpu%u", v->id);
	if (seccomp_thread_enter(SC_ROLE_VCPU, name, (const int[SC_VCPU_NR_FDS]){ v->fd, v->vm->vm_fd }, SC_VCPU_NR_FDS)) {
		vm_request_stop(v->vm, VMM_EXIT_ERROR);
		return NULL;
	}
	return vcpu_thread(arg);
}

/* Kick every vCPU thread out of KVM_RUN (it then looks at stopping / pause_requested). */
static void vm_kick_vcpus(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (!v->thread_started)
			continue;
		/* immediate_exit covers a thread about to enter KVM_RUN; the signal one inside it. */
		v->run->immediate_exit = 1;
		pthread_kill(v->thread, SIG_VCPU_KICK);
	}
}

void vm_vcpu_park(struct vcpu *v)
{
	struct vm *vm = v->vm;

	pthread_mutex_lock(&vm->pause_lock);
	vm->nr_parked++;
	pthread_cond_broadcast(&vm->pause_cond);
	while (atomic_load(&vm->pause_requested) && !atomic_load(&vm->stopping))
		pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
	vm->nr_parked--;
	v->run->immediate_exit = 0;
	pthread_mutex_unlock(&vm->pause_lock);
}

/* Wait (bounded) until every started vCPU thread is parked; lock held. */
static int vm_wait_parked(struct vm *vm)
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 5;
	while (vm->nr_parked < vm->nr_vcpus && !atomic_load(&vm->stopping))
		if (pthread_cond_timedwait(&vm->pause_cond, &vm->pause_lock, &deadline) == ETIMEDOUT)
			return -ETIMEDOUT;
	return atomic_load(&vm->stopping) ? -ECANCELED : 0;
}

int vm_pause(struct vm *vm)
{
	int ret;

	pthread_mutex_lock(&vm->pause_lock);
	if (vm->paused) {
		pthread_mutex_unlock(&vm->pause_lock);
		return -EALREADY;
	}
	atomic_store(&vm->pause_requested, true);
	pthread_mutex_unlock(&vm->pause_lock);
	vm_kick_vcpus(vm);
	pthread_mutex_lock(&vm->pause_lock);
	ret = vm_wait_parked(vm);
	if (ret) {
		atomic_store(&vm->pause_requested, false);
		pthread_cond_broadcast(&vm->pause_cond);
	} else {
		vm->paused = true;
	}
	pthread_mutex_unlock(&vm->pause_lock);
	/* The virtual counter keeps counting in KVM: note where the guest stopped. */
	if (!ret && (!vm->nr_vcpus || vcpu_counter_get(&vm->vcpus[0], &vm->paused_counter)))
		vm->paused_counter = 0;
	return ret;
}

int vm_resume(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	if (!vm->paused) {
		pthread_mutex_unlock(&vm->pause_lock);
		return -EALREADY;
	}
	/* Put the counter back where it stopped, on every vCPU, before any of them runs. */
	for (unsigned i = 0; vm->paused_counter && i < vm->nr_vcpus; i++)
		vcpu_counter_set(&vm->vcpus[i], vm->paused_counter);
	vm->paused = false;
	atomic_store(&vm->pause_requested, false);
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
	return 0;
}

static int vm_start_vcpus(struct vm *vm)
{
	pthread_attr_t attr;
	int ret = 0;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 1 << 20);
	for (unsigned i = 0; i < vm->nr_vcpus && !ret; i++) {
		ret = -pthread_create(&vm->vcpus[i].thread, &attr, vcpu_thread_start, &vm->vcpus[i]);
		if (ret)
			log_err("vcpu%u: pthread_create: %s", i, strerror(-ret));
		else
			vm->vcpus[i].thread_started = true;
	}
	pthread_attr_destroy(&attr);
	return ret;
}

static void vm_stop_vcpus(struct vm *vm)
{
	atomic_store(&vm->stopping, true);
	pthread_mutex_lock(&vm->pause_lock);
	pthread_cond_broadcast(&vm->pause_cond); /* parked vCPUs leave too */
	pthread_mutex_unlock(&vm->pause_lock);
	vm_kick_vcpus(vm);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		if (vm->vcpus[i].thread_started) {
			pthread_join(vm->vcpus[i].thread, NULL);
			vm->vcpus[i].thread_started = false;
		}
	}
}

/* Block the signals the event loop reads from a signalfd, and the vCPU kick; -errno on failure. */
static int vm_setup_signals(sigset_t *loop_set)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = vcpu_kick_handler; /* no SA_RESTART: KVM_RUN must return */
	if (sigaction(SIG_VCPU_KICK, &sa, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(loop_set);
	sigaddset(loop_set, SIGINT);
	sigaddset(loop_set, SIGTERM);
	sigaddset(loop_set, SIGHUP);
	block = *loop_set;
	sigaddset(&block, SIG_VCPU_KICK);
	return -pthread_sigmask(SIG_BLOCK, &block, NULL);
}

/*
 * The event loop on the main thread: console input into the UART, signals,
 * and the stop request. Input waits while the UART FIFO is full, so nothing
 * typed or piped in is dropped.
 */
/* Seconds a panicked guest may go on printing (its backtrace) before it is stopped. */
#define PANIC_GRACE_S 5.0

/* The longest poll: the loop wakes and computes the deadline again after it. */
#define POLL_MAX_MS (24 * 3600 * 1000)

int vm_poll_timeout_ms(double wait_s)
{
	/* poll(2) takes an int of ms: a --timeout of 597 hours or more made (int)(wait * 1000)
	 * + 1 overflow (negative: wait forever). Rounded up, so the deadline has passed then. */
	if (wait_s < 0)
		return -1;
	if (wait_s >= POLL_MAX_MS / 1000.0)
		return POLL_MAX_MS;
	return (int)(wait_s * 1000) + 1;
}

/* Poll timeout in ms until the next deadline (--timeout, panic grace), -1 for none;
 * stops the VM when one has passed. */
static int vm_next_deadline(struct vm *vm, bool input_pending)
{
	double now = vm_uptime(vm), wait = -1, t_panic = atomic_load(&vm->t_panic);

	if (vm->cfg->timeout_ms) {
		double left = vm->cfg->timeout_ms / 1000.0 - now;

		if (left <= 0) {
			vm_request_stop(vm, VMM_EXIT_TIMEOUT);
			return 0;
		}
		wait = left;
	}
	if (t_panic) {
		double left = t_panic + PANIC_GRACE_S - now;

		if (left <= 0) {
			vm_request_stop(vm, VMM_EXIT_PANIC);
			return 0;
		}
		if (wait < 0 || left < wait)
			wait = left;
	}
	if (input_pending && (wait < 0 || wait > 0.01))
		wait = 0.01;
	return vm_poll_timeout_ms(wait);
}

/* Console input: the escape and monitor first, then the guest's console device. */
static void vm_console_input(struct vm *vm, uint8_t *buf, size_t *pending, size_t *done)
{
	size_t n;

	if (!*done)
		*pending = control_console_filter(vm->control, vm, buf, *pending);
	n = *pending ? vm->console_in(vm->console_dev, buf + *done, *pending) : 0;
	*done += n;
	*pending -= n;
	if (!*pending)
		*done = 0;
}

/*
 * The event loop on the main thread: console input, the control socket, signals,
 * deadlines and the stop request. Input waits while the guest's receive buffer is
 * full, so nothing typed or piped in is dropped.
 */
static void vm_event_loop(struct vm *vm, int sig_fd)
{
	struct pollfd pfd[3 + 1 + CONTROL_MAX_CLIENTS];
	uint8_t buf[256];
	size_t pending = 0, done = 0;
	bool stdin_open = true;

	for (;;) {
		int timeout = vm_next_deadline(vm, pending != 0);
		unsigned nctl;

		if (atomic_load(&vm->stopping))
			return;
		pfd[0] = (struct pollfd){ .fd = vm->event_fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = sig_fd, .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = (stdin_open && !pending) ? STDIN_FILENO : -1, .events = POLLIN };
		nctl = control_pollfds(vm->control, pfd + 3, ARRAY_SIZE(pfd) - 3);
		if (poll(pfd, 3 + nctl, timeout) < 0 && errno != EINTR) {
			log_err("vm: poll: %s", strerror(errno));
			vm_request_stop(vm, VMM_EXIT_ERROR);
			return;
		}
		if (pfd[0].revents) {
			uint64_t n;

			(void)!read(vm->event_fd, &n, sizeof(n)); /* a stop or a new deadline */
		}
		if (pfd[1].revents) {
			struct signalfd_siginfo si;

			if (read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
				log_info("vm: %s: stopping the guest; its disk I/O is finished and synced first",
					strsignal(si.ssi_signo));
				vm_request_stop(vm, VMM_EXIT_SIGNAL + si.ssi_signo);
			}
		}
		if (pfd[2].revents) {
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

			if (n > 0)
				pending = n;
			else if (n == 0 || (errno != EINTR && errno != EAGAIN))
				stdin_open = false; /* EOF (e.g. </dev/null in CI): the guest runs on */
		}
		if (pending)
			vm_console_input(vm, buf, &pending, &done);
		control_serve(vm->control, vm, pfd + 3, nctl);
	}
}

/* What the console saw, decided on here (console.h; called with the console's lock held,
 * on the thread that printed the line): the exit code, the panic grace period. */
static void vm_console_event(void *arg, enum console_event ev, double t)
{
	struct vm *vm = arg;
	double none = 0;

	switch (ev) {
	case CONSOLE_FAIL_ON_MATCHED:
		vm_request_stop(vm, VMM_EXIT_FAIL_ON);
		break;
	case CONSOLE_PANIC_BANNER:
		/* Keep the backtrace: the stop comes with the guest's reset, or after a grace period. */
		if (atomic_compare_exchange_strong(&vm->t_panic, &none, t))
			vm_wake(vm); /* the event loop now has a deadline */
		break;
	case CONSOLE_EXPECT_MATCHED:
		vm_request_stop(vm, VMM_EXIT_POWEROFF);
		break;
	}
}

int vm_run(struct vm *vm)
{
	struct term term = { .fd = -1 };
	sigset_t loop_set;
	int sig_fd = -1, ret, code;

	ret = vm_setup_signals(&loop_set);
	if (!ret) {
		sig_fd = signalfd(-1, &loop_set, SFD_CLOEXEC);
		if (sig_fd < 0)
			ret = -errno;
	}
	if (ret) {
		log_err("vm: signal setup: %s", strerror(-ret));
		return VMM_EXIT_ERROR;
	}
	ret = control_open(vm, vm->cfg->name, &vm->control);
	if (ret) {
		close(sig_fd);
		return VMM_EXIT_ERROR;
	}
	if (term_raw(&term, STDIN_FILENO) < 0)
		log_warn("console: cannot put the terminal in raw mode; input is line-buffered");
	/* The console reports to this VM while it runs: attached before any thread can print,
	 * detached below before vm_run returns, so no event reaches a VM being torn down (the
	 * console outlives it, across --reboot=restart, and the I/O thread may still print
	 * until vm_stop_io). */
	atomic_store(&vm->t_panic, 0);
	if (vm->console)
		console_attach(vm->console, &(struct console_listener){ .event = vm_console_event, .arg = vm,
								      .t0 = vm->cfg->t_exec });
	ret = vm->io ? iothread_start(vm->io) : 0;
	if (!ret)
		ret = vm_start_vcpus(vm);
	/* Setup is over: the event loop and the teardown after it get the main thread's list. */
	if (!ret) {
		int fds[SC_MAIN_NR_FDS] = { [SC_MAIN_VM_FD] = vm->vm_fd, [SC_MAIN_GIC_FD] = vm->irq.dev_fd,
					    [SC_MAIN_ITS_FD] = vm->irq.its_fd, [SC_MAIN_TTY_FD] = STDIN_FILENO };

		control_seccomp_fds(vm->control, &fds[SC_MAIN_CTL_DIR_FD], &fds[SC_MAIN_CTL_LISTEN_FD]);
		ret = seccomp_thread_enter(SC_ROLE_MAIN, "main", fds, SC_MAIN_NR_FDS);
	}
	if (ret)
		vm_request_stop(vm, VMM_EXIT_ERROR);
	else
		vm_event_loop(vm, sig_fd);
	vm_stop_vcpus(vm);
	term_restore(&term);
	control_close(vm->control);
	vm->control = NULL;
	close(sig_fd);
	if (vm->console) {
		console_flush(vm->console); /* a last line's match still counts */
		console_detach(vm->console);
	}
	vm->t_end = vm_uptime(vm);
	code = atomic_load(&vm->exit_code);
	if (code < 0)
		code = VMM_EXIT_ERROR;
	/* --expect: a guest that powered off without printing it failed the test. */
	if (code == VMM_EXIT_POWEROFF && vm->cfg->expect && vm->console && !console_nr_matches(vm->console))
		code = VMM_EXIT_NO_EXPECT;
	return code;
}

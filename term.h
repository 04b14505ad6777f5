/* term.h - the host terminal: raw mode while a guest owns the console. */
#ifndef VMM_TERM_H
#define VMM_TERM_H

#include <stdbool.h>
#include <termios.h>

struct term {
	int fd;
	bool raw;
	struct termios saved;
};

/* If fd is a terminal, save its settings and make it raw; 0 or -errno. Not a tty: no-op. */
int term_raw(struct term *t, int fd);
/* Restore what term_raw saved; safe to call more than once. */
void term_restore(struct term *t);

#endif

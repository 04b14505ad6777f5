/* term.c - raw mode on the controlling terminal, always restored. */
#include "term.h"

#include <errno.h>
#include <unistd.h>

int term_raw(struct term *t, int fd)
{
	struct termios raw;

	t->fd = fd;
	t->raw = false;
	if (!isatty(fd))
		return 0;
	if (tcgetattr(fd, &t->saved) < 0)
		return -errno;
	raw = t->saved;
	/* Every key (Ctrl-C included) goes to the guest. Output keeps ONLCR so the
	 * VMM's own messages end lines properly; the guest's \r\n is unharmed. */
	cfmakeraw(&raw);
	raw.c_oflag |= OPOST | ONLCR;
	if (tcsetattr(fd, TCSANOW, &raw) < 0)
		return -errno;
	t->raw = true;
	return 0;
}

void term_restore(struct term *t)
{
	if (t->raw) {
		tcsetattr(t->fd, TCSANOW, &t->saved);
		t->raw = false;
	}
}

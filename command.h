/* command.h - control commands: one line in, a reply whose last line is "ok" or "error: why".
 * The same commands serve the control socket, `vmm monitor` and the console escape. */
#ifndef VMM_COMMAND_H
#define VMM_COMMAND_H

struct vm;
struct strbuf;

#include <stdbool.h>

#define COMMAND_LINE_MAX 1024

/* Run one command line against vm (on the event-loop thread); the reply goes to out. */
void command_run(struct vm *vm, const char *line, struct strbuf *out);
/* Does command name describe state, so that "name --json" gives its description as one
 * line of JSON (emit.h) before the "ok"? */
bool command_describes(const char *name);

#endif

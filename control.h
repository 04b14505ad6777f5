/* control.h - the control socket of a running VM, its clients, and the console escape.
 * Protocol: one command per line; each reply's last line is "ok" or "error: <reason>". */
#ifndef VMM_CONTROL_H
#define VMM_CONTROL_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct control;
struct strbuf;

#define CONTROL_MAX_CLIENTS 16
/* The console escape: Ctrl-A, then c (monitor on/off), a (a literal Ctrl-A), x (stop --force). */
#define CONSOLE_ESCAPE 0x01

/* The private socket directory ($XDG_RUNTIME_DIR/vmm, /run/vmm as root, else ~/.vmm), created
 * 0700; 0 or -errno with a reason in err. */
int control_dir(char *buf, size_t len, char *err, size_t errlen);
/* Listen on DIR/NAME.sock (0600), clearing a stale socket; a live one means the name is taken.
 * 0 or -errno (logged). */
int control_open(struct vm *vm, const char *name, struct control **out);
/* The fds the main thread's seccomp filter names: the control directory (the socket is
 * removed with unlinkat in it) and the listening socket. */
void control_seccomp_fds(const struct control *c, int *dir_fd, int *listen_fd);
/* Close every connection and remove the socket. Safe on NULL. */
void control_close(struct control *c);
/* Fill pfd with the listening socket and the clients; returns how many. */
unsigned control_pollfds(struct control *c, struct pollfd *pfd, unsigned max);
/* Serve what poll reported on the fds control_pollfds gave (event-loop thread). */
void control_serve(struct control *c, struct vm *vm, const struct pollfd *pfd, unsigned n);
/* Console input: take out the escape sequences and monitor typing; the bytes left for the
 * guest are compacted at the front of buf. Returns their number. */
size_t control_console_filter(struct control *c, struct vm *vm, uint8_t *buf, size_t len);

/* Client: connect to the VM called name; the fd or -errno with a reason in err. */
int control_connect(const char *name, char *err, size_t errlen);
/* Client: send one command line, collect the reply up to its ok/error line. 0 for ok, 1 for an
 * error reply, -errno if the connection failed. */
int control_request(int fd, const char *line, struct strbuf *reply);

/* Client: a command line that is "info dtb FILE" (three words) gives FILE, copied to buf
 * (len bytes); anything else NULL. The client sends "info dtb" and writes FILE itself. */
const char *control_dtb_file(const char *line, char *buf, size_t len);
/* Client: the DTB of an `info dtb` reply (its "dtb:" base64 lines, checked against the size
 * line) written to path; 0 or -errno with a reason in err. *size gets the bytes written. */
int control_save_dtb(const struct strbuf *reply, const char *path, size_t *size, char *err, size_t errlen);
/* Write a DTB of len bytes to path (created 0644, truncated): --dump-dtb and the clients.
 * 0 or -errno with a reason in err. */
int dtb_write_file(const char *path, const void *buf, size_t len, char *err, size_t errlen);

#endif

/* ptystall.c - run a command on a terminal whose reader stalls, as an ssh session whose
 * network stopped: stdin and stdout are a pty slave, stderr goes to a file, and nobody ever
 * reads the master. Exits with the command's status (128 + signal if it was killed).
 * usage: ptystall STDERR-FILE COMMAND [ARGS...] */
#define _GNU_SOURCE /* posix_openpt, ptsname */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int master, slave, err, status;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: ptystall STDERR-FILE COMMAND [ARGS...]\n");
		return 2;
	}
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master)) {
		perror("ptystall: posix_openpt");
		return 2;
	}
	pid = fork();
	if (pid < 0) {
		perror("ptystall: fork");
		return 2;
	}
	if (pid == 0) {
		setsid();
		slave = open(ptsname(master), O_RDWR);
		err = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (slave < 0 || err < 0) {
			perror("ptystall: open");
			_exit(2);
		}
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(err, 2);
		close(master);
		execvp(argv[2], argv + 2);
		perror("ptystall: exec");
		_exit(127);
	}
	/* The master stays open and unread until the command ends. */
	if (waitpid(pid, &status, 0) < 0) {
		perror("ptystall: waitpid");
		return 2;
	}
	close(master);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

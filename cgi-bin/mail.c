/*
 * mail.c: hand a mail to the host's sendmail program.  The command (a
 * setting, e.g. "/usr/sbin/sendmail -t -i") runs under /bin/sh -c with
 * the whole message on its standard input: recipients come from the
 * message's headers (-t), never from the command line, so nothing a user
 * typed reaches the shell.  Its output goes to /dev/null (in plain CGI
 * the standard output is the HTTP answer).  Knows nothing of chat.
 */
#define _GNU_SOURCE		/* pipe2 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mail.h"
#include "util.h"

extern char	**environ;

#define MAIL_WAIT_MS	10000		/* sendmail must be done by then */

/* Write all of p to fd: 0 or -1. */
static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Wait for pid up to MAIL_WAIT_MS (a hung sendmail must not keep the
 * worker), then kill it.  Its exit status, or -1.
 */
static int
reap(pid_t pid)
{
	struct timespec	 ts = { 0, 10 * 1000 * 1000 };
	int		 st, i;
	pid_t		 got;

	for (i = 0; i < MAIL_WAIT_MS / 10; i++) {
		if ((got = waitpid(pid, &st, WNOHANG)) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		if (got == -1 && errno != EINTR)
			return -1;
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	return -1;
}

/*
 * Run cmd with message msg (n bytes, headers, a blank line, the body) on
 * its standard input.  0 when it exited 0, else -1 (logged).
 */
int
mail_send(const char *cmd, const char *msg, size_t n)
{
	posix_spawn_file_actions_t fa;
	char		*argv[] = { "sh", "-c", (char *)cmd, NULL };
	int		 fd[2], rc, st;
	pid_t		 pid;

	if (pipe2(fd, O_CLOEXEC) == -1) {
		LOG("mail: pipe: %s", strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd[0], 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	rc = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fd[0]);
	if (rc != 0) {
		close(fd[1]);
		LOG("mail: cannot run /bin/sh: %s", strerror(rc));
		return -1;
	}
	rc = write_all(fd[1], msg, n);
	close(fd[1]);
	if ((st = reap(pid)) != 0 || rc == -1) {
		LOG("mail: \"%s\" failed (exit status %d)", cmd, st);
		return -1;
	}
	return 0;
}

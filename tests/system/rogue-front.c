/*
 * A front gone bad, for tests/system/split-rogue-front.sh: tanbad starts it in
 * place of tanbad-front ($TANBA_FRONT_PROGRAM) and it does, on the control
 * link (launcher.h), what a compromised front could. It serves no client.
 * $TB_ROGUE_MODE says what; each event goes as a line to $TB_ROGUE_LOG:
 *   storm   ready, then asks for 6 signers in a row, closing each channel
 *           at once: "signer PID ASKED ANSWERED" per answer (the
 *           CLOCK_MONOTONIC seconds before the ask and after the answer)
 *   hold    ready, asks for a signer, keeps its channel (so it runs on),
 *           "waiting", asks the parent to wait 10 s for it: "reply STATUS";
 *           "hup" whenever SIGHUP comes
 *   chatter ready twice, then unknown commands: "sent N" for each accepted
 * Then it waits for SIGTERM (its default action ends it).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CTL 3		/* TB_FRONT_CTL_FD */

static int logfd = -1;

static void
say(const char *text)
{
	(void)!write(logfd, text, strlen(text));
}

static void
on_hup(int sig)
{
	(void)sig;
	say("hup\n");
}

/* An answer of the parent's: its number, and the descriptor with it (or -1). */
static int
answer(int32_t *v, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { v, sizeof(*v) };
	struct msghdr mh;
	struct cmsghdr *c;
	ssize_t n;

	*fd = -1;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	while ((n = recvmsg(CTL, &mh, MSG_CMSG_CLOEXEC)) == -1 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(*v))
		return -1;
	c = CMSG_FIRSTHDR(&mh);
	if (c != NULL && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(c), sizeof(*fd));
	return 0;
}

static int
cmd(const void *buf, size_t len)
{
	return send(CTL, buf, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

int
main(void)
{
	const char *mode = getenv("TB_ROGUE_MODE"), *log = getenv("TB_ROGUE_LOG");
	unsigned char w[1 + sizeof(int32_t)];
	struct sigaction sa;
	struct timespec asked, got;
	char line[96];
	int32_t v;
	int i, fd;

	if (mode == NULL || log == NULL ||
	    (logfd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) == -1)
		return 2;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	if (cmd("R", 1) != 0)
		return 1;
	if (strcmp(mode, "storm") == 0) {
		for (i = 0; i < 6; i++) {
			clock_gettime(CLOCK_MONOTONIC, &asked);
			if (cmd("S", 1) != 0 || answer(&v, &fd) != 0)
				return 1;
			clock_gettime(CLOCK_MONOTONIC, &got);
			if (fd != -1)
				close(fd);
			snprintf(line, sizeof(line), "signer %ld %ld.%09ld %ld.%09ld\n", (long)v,
			    (long)asked.tv_sec, asked.tv_nsec, (long)got.tv_sec, got.tv_nsec);
			say(line);
		}
	} else if (strcmp(mode, "hold") == 0) {
		if (cmd("S", 1) != 0 || answer(&v, &fd) != 0)
			return 1;
		say("waiting\n");
		w[0] = 'W';
		v = 10000;
		memcpy(w + 1, &v, sizeof(v));
		if (cmd(w, sizeof(w)) != 0 || answer(&v, &i) != 0)
			return 1;
		snprintf(line, sizeof(line), "reply %ld\n", (long)v);
		say(line);
	} else if (strcmp(mode, "chatter") == 0) {
		for (i = 0; i < 100; i++) {
			if (cmd(i == 0 ? "R" : "X", 1) != 0)
				break;
			snprintf(line, sizeof(line), "sent %d\n", i);
			say(line);
		}
	}
	for (;;)
		pause();
}

/*
 * Log sink for every tanba program. Lines are one per event, prefixed by
 * the level and the function; syslog when running as a daemon.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "tb_err.h"
#include "tb_log.h"

static enum tb_log_level log_level = TB_LOG_INFO;
static int log_syslog;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void
tb_log_init(const char *ident, int use_syslog, enum tb_log_level level)
{
	log_level = level;
	log_syslog = use_syslog;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
tb_log_set_level(enum tb_log_level level)
{
	log_level = level;
}

enum tb_log_level
tb_log_get_level(void)
{
	return log_level;
}

int
tb_log_level_parse(const char *name, enum tb_log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(name, level_names[i]) == 0) {
			*out = (enum tb_log_level)i;
			return 0;
		}
	}
	return TB_ERR_INVALID_ARG;
}

void
tb_log(enum tb_log_level level, const char *func, int code, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char msg[1024];
	va_list ap;
	size_t len;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (code != 0) {
		len = strlen(msg);
		snprintf(msg + len, sizeof(msg) - len, ": %s", tb_err_str(code));
	}
	if (log_syslog) {
		syslog(prio[level], "%s: %s", func, msg);
		return;
	}
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s: %s: %s\n", level_names[level], func, msg);
	pthread_mutex_unlock(&log_lock);
}

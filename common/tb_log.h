/*
 * Logging with context: each macro names the calling function. A log line
 * never carries a PIN, a private key or a document's content.
 */
#ifndef TB_LOG_H
#define TB_LOG_H

enum tb_log_level {
	TB_LOG_ERROR = 0,
	TB_LOG_WARN = 1,
	TB_LOG_INFO = 2,
	TB_LOG_DEBUG = 3,
};

/* Where log lines go: stderr (default) or syslog with the given ident. */
void tb_log_init(const char *ident, int use_syslog, enum tb_log_level level);
void tb_log_set_level(enum tb_log_level level);
int tb_log_level_parse(const char *name, enum tb_log_level *out);
enum tb_log_level tb_log_get_level(void);

void tb_log(enum tb_log_level level, const char *func, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* code is a tb_err code (0 for none); its text is appended to the line. */
#define tb_error_f(code, ...) tb_log(TB_LOG_ERROR, __func__, (code), __VA_ARGS__)
#define tb_warn_f(code, ...) tb_log(TB_LOG_WARN, __func__, (code), __VA_ARGS__)
#define tb_info_f(...) tb_log(TB_LOG_INFO, __func__, 0, __VA_ARGS__)
#define tb_debug_f(...) do { \
	if (tb_log_get_level() >= TB_LOG_DEBUG) \
		tb_log(TB_LOG_DEBUG, __func__, 0, __VA_ARGS__); \
} while (0)

#endif

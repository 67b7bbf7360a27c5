/*
 * A PKCS#11 module for tests only: it loads the real module named by
 * P11FAULT_MODULE (SoftHSM2 by default), forwards every v2.40 call to it,
 * and injects the faults that the control file P11FAULT_CONTROL asks for
 * (docs/FAULTS.md). It must never be installed or named in a production
 * configuration, and must never change a call it was not told to fault.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

#define DEFAULT_MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define CONTROL_MAX 4096

/* What the control file asks for; replaced whole when its content changes. */
struct faults {
	unsigned long fail_nth;		/* 0: off; else the Nth C_Sign since the change */
	CK_RV fail_nth_rv;
	int fail_all;
	CK_RV fail_all_rv;
	int invalidate;			/* one-shot on change */
	int removed;
	unsigned long sleep_ms;
	unsigned long sleep_nth;	/* 0: every C_Sign sleeps; else only the Nth */
	unsigned long token_info_sleep_ms;	/* a slow C_GetTokenInfo: a token hard to reach */
	int too_small;
	int logout;			/* one-shot on change */
};

struct tracked {
	CK_SESSION_HANDLE h;
	CK_SLOT_ID slot;
	int doomed;
};

/* Counters written to P11FAULT_STATS. */
struct stats {
	unsigned long sign_calls, sign_init_calls, open_session_calls;
	unsigned long close_session_calls, login_calls, get_token_info_calls;
	unsigned long faults_injected, sessions_invalidated, logouts, control_changes;
	unsigned long control_errors;
};

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static CK_FUNCTION_LIST *real;		/* set once by load_real, then read-only */

/*
 * One reload at a time, so that a thread holding an older read of the
 * control file can never put back faults a newer read replaced.
 */
static pthread_mutex_t reload_lock = PTHREAD_MUTEX_INITIALIZER;
static char control_seen[CONTROL_MAX + 1];	/* under reload_lock */

/* Guards everything below. Never held across a call into the real module. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct faults cur;
static unsigned long signs_since_change;	/* what the nth rules count */
static int logout_pending;
static struct tracked *sessions;
static size_t nsessions, sessions_cap;
static struct stats st;

/* Serialises writers of the stats file. */
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;

static void
load_real(void)
{
	const char *path = getenv("P11FAULT_MODULE");
	void *dl;
	CK_C_GetFunctionList get;
	CK_FUNCTION_LIST *list = NULL;

	if (path == NULL || *path == '\0')
		path = DEFAULT_MODULE;
	/* Kept mapped until exit: the real module may own threads or atexit hooks. */
	if ((dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(stderr, "p11fault: %s\n", dlerror());
		return;
	}
	*(void **)&get = dlsym(dl, "C_GetFunctionList");
	if (get == NULL || get(&list) != CKR_OK || list == NULL) {
		fprintf(stderr, "p11fault: %s: no usable C_GetFunctionList\n", path);
		return;
	}
	real = list;
}

static const struct {
	const char *name;
	CK_RV rv;
} rv_names[] = {
#define RVN(x) { #x, x }
	RVN(CKR_OK), RVN(CKR_HOST_MEMORY), RVN(CKR_SLOT_ID_INVALID),
	RVN(CKR_GENERAL_ERROR), RVN(CKR_FUNCTION_FAILED), RVN(CKR_ARGUMENTS_BAD),
	RVN(CKR_CANT_LOCK), RVN(CKR_DATA_INVALID), RVN(CKR_DATA_LEN_RANGE),
	RVN(CKR_DEVICE_ERROR), RVN(CKR_DEVICE_MEMORY), RVN(CKR_DEVICE_REMOVED),
	RVN(CKR_FUNCTION_CANCELED), RVN(CKR_KEY_HANDLE_INVALID),
	RVN(CKR_KEY_FUNCTION_NOT_PERMITTED), RVN(CKR_MECHANISM_INVALID),
	RVN(CKR_OBJECT_HANDLE_INVALID), RVN(CKR_OPERATION_ACTIVE),
	RVN(CKR_OPERATION_NOT_INITIALIZED), RVN(CKR_PIN_INCORRECT), RVN(CKR_PIN_LOCKED),
	RVN(CKR_SESSION_CLOSED), RVN(CKR_SESSION_COUNT), RVN(CKR_SESSION_HANDLE_INVALID),
	RVN(CKR_TOKEN_NOT_PRESENT), RVN(CKR_TOKEN_NOT_RECOGNIZED),
	RVN(CKR_USER_NOT_LOGGED_IN), RVN(CKR_BUFFER_TOO_SMALL),
	RVN(CKR_CRYPTOKI_NOT_INITIALIZED), RVN(CKR_FUNCTION_NOT_SUPPORTED),
#undef RVN
};

/* "CKR_DEVICE_ERROR" or a number ("0x30", "48"). */
static int
parse_rv(const char *s, CK_RV *out)
{
	size_t i;
	char *end;
	unsigned long v;

	for (i = 0; i < sizeof(rv_names) / sizeof(rv_names[0]); i++) {
		if (strcmp(s, rv_names[i].name) == 0) {
			*out = rv_names[i].rv;
			return 0;
		}
	}
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	*out = (CK_RV)v;
	return 0;
}

static int
parse_ulong(const char *s, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/*
 * One line: a directive with an optional "=value", then "key=value"
 * options. Returns -1 for anything not understood, so that a typo in a
 * test shows up in control_errors instead of silently injecting nothing.
 */
static int
parse_line(char *line, struct faults *f)
{
	char *save = NULL, *word, *val, *opt;
	CK_RV rv = CKR_DEVICE_ERROR;
	unsigned long nth = 0, n = 0;
	int has_rv = 0, has_nth = 0;

	if ((word = strtok_r(line, " \t\r", &save)) == NULL || word[0] == '#')
		return 0;
	if ((val = strchr(word, '=')) != NULL)
		*val++ = '\0';
	while ((opt = strtok_r(NULL, " \t\r", &save)) != NULL) {
		if (strncmp(opt, "rv=", 3) == 0 && parse_rv(opt + 3, &rv) == 0)
			has_rv = 1;
		else if (strncmp(opt, "nth=", 4) == 0 && parse_ulong(opt + 4, &nth) == 0 &&
		    nth > 0)
			has_nth = 1;
		else
			return -1;
	}
	if (strcmp(word, "sign_fail_nth") == 0) {
		if (val == NULL || parse_ulong(val, &n) != 0 || n == 0 || has_nth)
			return -1;
		f->fail_nth = n;
		f->fail_nth_rv = rv;
	} else if (strcmp(word, "sign_fail_all") == 0 && val == NULL && !has_nth) {
		f->fail_all = 1;
		f->fail_all_rv = rv;
	} else if (strcmp(word, "sign_sleep_ms") == 0 && !has_rv) {
		if (val == NULL || parse_ulong(val, &n) != 0 || n > 600000)
			return -1;
		f->sleep_ms = n;
		f->sleep_nth = nth;
	} else if (strcmp(word, "token_info_sleep_ms") == 0 && !has_rv && !has_nth) {
		if (val == NULL || parse_ulong(val, &n) != 0 || n > 600000)
			return -1;
		f->token_info_sleep_ms = n;
	} else if (val == NULL && !has_rv && !has_nth) {
		if (strcmp(word, "invalidate_sessions") == 0)
			f->invalidate = 1;
		else if (strcmp(word, "token_removed") == 0)
			f->removed = 1;
		else if (strcmp(word, "sign_buffer_too_small") == 0)
			f->too_small = 1;
		else if (strcmp(word, "logout") == 0)
			f->logout = 1;
		else
			return -1;
	} else
		return -1;
	return 0;
}

/* Writes the counters to P11FAULT_STATS (replaced whole by rename). */
static void
stats_write(void)
{
	const char *path = getenv("P11FAULT_STATS");
	char tmp[4200];
	struct stats s;
	FILE *fp;

	if (path == NULL || *path == '\0')
		return;
	pthread_mutex_lock(&stats_lock);
	pthread_mutex_lock(&lock);
	s = st;
	pthread_mutex_unlock(&lock);
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	if ((fp = fopen(tmp, "w")) != NULL) {
		fprintf(fp,
		    "sign_calls=%lu\nsign_init_calls=%lu\nopen_session_calls=%lu\n"
		    "close_session_calls=%lu\nlogin_calls=%lu\nget_token_info_calls=%lu\n"
		    "faults_injected=%lu\nsessions_invalidated=%lu\nlogouts=%lu\n"
		    "control_changes=%lu\ncontrol_errors=%lu\n",
		    s.sign_calls, s.sign_init_calls, s.open_session_calls,
		    s.close_session_calls, s.login_calls, s.get_token_info_calls,
		    s.faults_injected, s.sessions_invalidated, s.logouts, s.control_changes,
		    s.control_errors);
		if (fclose(fp) == 0)
			(void)rename(tmp, path);
		else
			(void)unlink(tmp);
	}
	pthread_mutex_unlock(&stats_lock);
}

/*
 * Reads the control file again. When its content changed, the faults are
 * replaced, the nth counters restart, and the one-shot directives fire.
 */
static void
control_reload(void)
{
	const char *path = getenv("P11FAULT_CONTROL");
	char buf[CONTROL_MAX + 1], copy[CONTROL_MAX + 1], shown[CONTROL_MAX + 1];
	char *line, *save = NULL;
	struct faults f;
	size_t n = 0, i;
	FILE *fp;
	unsigned long errors = 0;

	buf[0] = '\0';
	pthread_mutex_lock(&reload_lock);
	if (path != NULL && *path != '\0' && (fp = fopen(path, "r")) != NULL) {
		n = fread(buf, 1, CONTROL_MAX, fp);
		buf[n] = '\0';
		fclose(fp);
	}
	if (strcmp(buf, control_seen) == 0) {
		pthread_mutex_unlock(&reload_lock);
		return;
	}
	memcpy(control_seen, buf, n + 1);

	memset(&f, 0, sizeof(f));
	memcpy(copy, buf, n + 1);
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		memcpy(shown, line, strlen(line) + 1);
		if (parse_line(line, &f) != 0) {
			fprintf(stderr, "p11fault: control line not understood: %s\n", shown);
			errors++;
		}
	}

	pthread_mutex_lock(&lock);
	/*
	 * A removed token forgets its sessions: once it is back, each one
	 * answers its next call with CKR_SESSION_HANDLE_INVALID.
	 */
	if (f.invalidate || (f.removed && !cur.removed))
		for (i = 0; i < nsessions; i++)
			sessions[i].doomed = 1;
	cur = f;
	signs_since_change = 0;
	st.control_changes++;
	st.control_errors += errors;
	logout_pending = f.logout;
	pthread_mutex_unlock(&lock);
	pthread_mutex_unlock(&reload_lock);
	stats_write();
}

/*
 * A session that an invalidate_sessions directive doomed answers its next
 * call with CKR_SESSION_HANDLE_INVALID, once, and is closed in the real
 * module as a token would have lost it.
 */
static CK_RV
session_check(CK_SESSION_HANDLE h)
{
	size_t i;
	int doomed = 0;

	pthread_mutex_lock(&lock);
	for (i = 0; i < nsessions; i++) {
		if (sessions[i].h == h) {
			if (sessions[i].doomed) {
				doomed = 1;
				sessions[i] = sessions[--nsessions];
				st.sessions_invalidated++;
			}
			break;
		}
	}
	pthread_mutex_unlock(&lock);
	if (!doomed)
		return CKR_OK;
	(void)real->C_CloseSession(h);
	stats_write();
	return CKR_SESSION_HANDLE_INVALID;
}

/* Drops the real module's login once after a logout directive appeared. */
static void
logout_apply(CK_SESSION_HANDLE h)
{
	int go;

	pthread_mutex_lock(&lock);
	go = logout_pending;
	logout_pending = 0;
	if (go)
		st.logouts++;
	pthread_mutex_unlock(&lock);
	if (go) {
		(void)real->C_Logout(h);
		stats_write();
	}
}

static void
session_track(CK_SESSION_HANDLE h, CK_SLOT_ID slot)
{
	struct tracked *n;
	size_t cap;

	pthread_mutex_lock(&lock);
	if (nsessions == sessions_cap) {
		cap = sessions_cap == 0 ? 16 : sessions_cap * 2;
		if ((n = realloc(sessions, cap * sizeof(*n))) == NULL) {
			/* Untracked: it can then never be invalidated, nothing worse. */
			pthread_mutex_unlock(&lock);
			return;
		}
		sessions = n;
		sessions_cap = cap;
	}
	sessions[nsessions].h = h;
	sessions[nsessions].slot = slot;
	sessions[nsessions].doomed = 0;
	nsessions++;
	pthread_mutex_unlock(&lock);
}

static void
session_untrack(CK_SESSION_HANDLE h)
{
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < nsessions; i++) {
		if (sessions[i].h == h) {
			sessions[i] = sessions[--nsessions];
			break;
		}
	}
	pthread_mutex_unlock(&lock);
}

static int
is_removed(void)
{
	int r;

	pthread_mutex_lock(&lock);
	r = cur.removed;
	pthread_mutex_unlock(&lock);
	return r;
}

static void
sleep_ms(unsigned long ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * Ends the real module's sign operation after an injected failure, as
 * PKCS#11 v2.40 5.12 says any C_Sign result other than CKR_BUFFER_TOO_SMALL
 * (or a length query) does; the signature made here is thrown away.
 */
static void
sign_terminate(CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG data_len)
{
	CK_ULONG len = 0;
	CK_BYTE *tmp;

	if (real->C_Sign(h, data, data_len, NULL, &len) != CKR_OK || len == 0 ||
	    len > 65536 || (tmp = malloc(len)) == NULL)
		return;
	(void)real->C_Sign(h, data, data_len, tmp, &len);
	memset(tmp, 0, len);
	free(tmp);
}

/* ---- The entry points ---------------------------------------------------- */

#define NEED_REAL() do { if (real == NULL) return CKR_GENERAL_ERROR; } while (0)

/* Plain forwarding. */
#define FWD(name, decl, args)						\
static CK_RV								\
fault_##name decl							\
{									\
	NEED_REAL();							\
	return real->name args;						\
}

/* Forwarding of a call on a session, which may have been invalidated. */
#define FWD_S(name, decl, args)						\
static CK_RV								\
fault_##name decl							\
{									\
	CK_RV rv;							\
	NEED_REAL();							\
	if (is_removed())						\
		return CKR_DEVICE_REMOVED;				\
	if ((rv = session_check(h)) != CKR_OK)				\
		return rv;						\
	return real->name args;						\
}

/* The caller's arguments go through unchanged, locking flags included. */
static CK_RV
fault_C_Initialize(CK_VOID_PTR args)
{
	NEED_REAL();
	return real->C_Initialize(args);
}

static CK_RV
fault_C_Finalize(CK_VOID_PTR reserved)
{
	CK_RV rv;

	NEED_REAL();
	if ((rv = real->C_Finalize(reserved)) == CKR_OK) {
		pthread_mutex_lock(&lock);
		nsessions = 0;
		pthread_mutex_unlock(&lock);
	}
	return rv;
}

FWD(C_GetInfo, (CK_INFO_PTR info), (info))
FWD(C_GetSlotList, (CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count),
    (present, list, count))
FWD(C_GetSlotInfo, (CK_SLOT_ID slot, CK_SLOT_INFO_PTR info), (slot, info))

static CK_RV
fault_C_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
	unsigned long sleep;

	NEED_REAL();
	control_reload();
	pthread_mutex_lock(&lock);
	st.get_token_info_calls++;
	sleep = cur.token_info_sleep_ms;
	pthread_mutex_unlock(&lock);
	stats_write();
	if (sleep > 0)
		sleep_ms(sleep);
	if (is_removed())
		return CKR_TOKEN_NOT_PRESENT;
	return real->C_GetTokenInfo(slot, info);
}

FWD(C_WaitForSlotEvent, (CK_FLAGS flags, CK_SLOT_ID_PTR slot, CK_VOID_PTR reserved),
    (flags, slot, reserved))
FWD(C_GetMechanismList, (CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count),
    (slot, list, count))
FWD(C_GetMechanismInfo, (CK_SLOT_ID slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info),
    (slot, type, info))
FWD(C_InitToken, (CK_SLOT_ID slot, CK_UTF8CHAR_PTR pin, CK_ULONG len, CK_UTF8CHAR_PTR label),
    (slot, pin, len, label))
FWD_S(C_InitPIN, (CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR pin, CK_ULONG len), (h, pin, len))
FWD_S(C_SetPIN, (CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR old, CK_ULONG old_len,
    CK_UTF8CHAR_PTR pin, CK_ULONG len), (h, old, old_len, pin, len))

static CK_RV
fault_C_OpenSession(CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify,
    CK_SESSION_HANDLE_PTR out)
{
	CK_RV rv;

	NEED_REAL();
	control_reload();
	pthread_mutex_lock(&lock);
	st.open_session_calls++;
	pthread_mutex_unlock(&lock);
	stats_write();
	if (is_removed())
		return CKR_TOKEN_NOT_PRESENT;
	if ((rv = real->C_OpenSession(slot, flags, app, notify, out)) != CKR_OK)
		return rv;
	session_track(*out, slot);
	logout_apply(*out);
	return CKR_OK;
}

static CK_RV
fault_C_CloseSession(CK_SESSION_HANDLE h)
{
	CK_RV rv;

	NEED_REAL();
	pthread_mutex_lock(&lock);
	st.close_session_calls++;
	pthread_mutex_unlock(&lock);
	if ((rv = session_check(h)) != CKR_OK)
		return rv;
	session_untrack(h);
	return real->C_CloseSession(h);
}

static CK_RV
fault_C_CloseAllSessions(CK_SLOT_ID slot)
{
	size_t i;

	NEED_REAL();
	pthread_mutex_lock(&lock);
	for (i = 0; i < nsessions;) {
		if (sessions[i].slot == slot)
			sessions[i] = sessions[--nsessions];
		else
			i++;
	}
	pthread_mutex_unlock(&lock);
	return real->C_CloseAllSessions(slot);
}

static CK_RV
fault_C_GetSessionInfo(CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR info)
{
	CK_RV rv;

	NEED_REAL();
	control_reload();
	if (is_removed())
		return CKR_DEVICE_REMOVED;
	if ((rv = session_check(h)) != CKR_OK)
		return rv;
	logout_apply(h);
	return real->C_GetSessionInfo(h, info);
}

FWD_S(C_GetOperationState, (CK_SESSION_HANDLE h, CK_BYTE_PTR state, CK_ULONG_PTR len),
    (h, state, len))
FWD_S(C_SetOperationState, (CK_SESSION_HANDLE h, CK_BYTE_PTR state, CK_ULONG len,
    CK_OBJECT_HANDLE enc, CK_OBJECT_HANDLE auth), (h, state, len, enc, auth))

static CK_RV
fault_C_Login(CK_SESSION_HANDLE h, CK_USER_TYPE type, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	CK_RV rv;

	NEED_REAL();
	control_reload();
	pthread_mutex_lock(&lock);
	st.login_calls++;
	pthread_mutex_unlock(&lock);
	stats_write();
	if (is_removed())
		return CKR_DEVICE_REMOVED;
	if ((rv = session_check(h)) != CKR_OK)
		return rv;
	logout_apply(h);
	return real->C_Login(h, type, pin, len);
}

FWD_S(C_Logout, (CK_SESSION_HANDLE h), (h))
FWD_S(C_CreateObject, (CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR t, CK_ULONG n,
    CK_OBJECT_HANDLE_PTR o), (h, t, n, o))
FWD_S(C_CopyObject, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t,
    CK_ULONG n, CK_OBJECT_HANDLE_PTR no), (h, o, t, n, no))
FWD_S(C_DestroyObject, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o), (h, o))
FWD_S(C_GetObjectSize, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ULONG_PTR size),
    (h, o, size))
FWD_S(C_GetAttributeValue, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t,
    CK_ULONG n), (h, o, t, n))
FWD_S(C_SetAttributeValue, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t,
    CK_ULONG n), (h, o, t, n))
FWD_S(C_FindObjectsInit, (CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR t, CK_ULONG n), (h, t, n))
FWD_S(C_FindObjects, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR o, CK_ULONG max,
    CK_ULONG_PTR n), (h, o, max, n))
FWD_S(C_FindObjectsFinal, (CK_SESSION_HANDLE h), (h))
FWD_S(C_EncryptInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k),
    (h, m, k))
FWD_S(C_Encrypt, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
    CK_ULONG_PTR out_len), (h, in, in_len, out, out_len))
FWD_S(C_EncryptUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len,
    CK_BYTE_PTR out, CK_ULONG_PTR out_len), (h, in, in_len, out, out_len))
FWD_S(C_EncryptFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR out_len),
    (h, out, out_len))
FWD_S(C_DecryptInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k),
    (h, m, k))
FWD_S(C_Decrypt, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
    CK_ULONG_PTR out_len), (h, in, in_len, out, out_len))
FWD_S(C_DecryptUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len,
    CK_BYTE_PTR out, CK_ULONG_PTR out_len), (h, in, in_len, out, out_len))
FWD_S(C_DecryptFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR out_len),
    (h, out, out_len))
FWD_S(C_DigestInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m), (h, m))
FWD_S(C_Digest, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
    CK_ULONG_PTR out_len), (h, in, in_len, out, out_len))
FWD_S(C_DigestUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len),
    (h, in, in_len))
FWD_S(C_DigestKey, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE k), (h, k))
FWD_S(C_DigestFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR out_len),
    (h, out, out_len))

static CK_RV
fault_C_SignInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	CK_RV rv;

	NEED_REAL();
	control_reload();
	pthread_mutex_lock(&lock);
	st.sign_init_calls++;
	pthread_mutex_unlock(&lock);
	stats_write();
	if (is_removed())
		return CKR_DEVICE_REMOVED;
	if ((rv = session_check(h)) != CKR_OK)
		return rv;
	logout_apply(h);
	return real->C_SignInit(h, m, k);
}

static CK_RV
fault_C_Sign(CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG data_len, CK_BYTE_PTR sig,
    CK_ULONG_PTR sig_len)
{
	CK_RV rv, inject = CKR_OK;
	unsigned long n, sleep = 0;
	int too_small = 0, removed = 0;
	CK_ULONG need = 0;

	NEED_REAL();
	control_reload();
	/* A removed token answers CKR_DEVICE_REMOVED below, doomed session or not. */
	if (!is_removed()) {
		if ((rv = session_check(h)) != CKR_OK)
			return rv;
		logout_apply(h);
	}
	/* Decided under the lock so that exactly one call is the Nth. */
	pthread_mutex_lock(&lock);
	st.sign_calls++;
	n = ++signs_since_change;
	if (cur.sleep_nth == 0 || cur.sleep_nth == n)
		sleep = cur.sleep_ms;
	if (cur.removed) {
		removed = 1;
		inject = CKR_DEVICE_REMOVED;
	} else if (cur.fail_all)
		inject = cur.fail_all_rv;
	else if (cur.fail_nth != 0 && cur.fail_nth == n)
		inject = cur.fail_nth_rv;
	else if (cur.too_small && sig != NULL)
		too_small = 1;
	if (inject != CKR_OK || too_small)
		st.faults_injected++;
	pthread_mutex_unlock(&lock);
	stats_write();

	if (sleep > 0)
		sleep_ms(sleep);
	if (inject != CKR_OK) {
		if (!removed)
			sign_terminate(h, data, data_len);
		return inject;
	}
	if (too_small) {
		/* The operation stays active, as after a real CKR_BUFFER_TOO_SMALL. */
		if (real->C_Sign(h, data, data_len, NULL, &need) == CKR_OK)
			*sig_len = need;
		return CKR_BUFFER_TOO_SMALL;
	}
	return real->C_Sign(h, data, data_len, sig, sig_len);
}

FWD_S(C_SignUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len), (h, in, in_len))
FWD_S(C_SignFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR out_len),
    (h, out, out_len))
FWD_S(C_SignRecoverInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k),
    (h, m, k))
FWD_S(C_SignRecover, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len,
    CK_BYTE_PTR out, CK_ULONG_PTR out_len), (h, in, in_len, out, out_len))
FWD_S(C_VerifyInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k),
    (h, m, k))
FWD_S(C_Verify, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR sig,
    CK_ULONG sig_len), (h, in, in_len, sig, sig_len))
FWD_S(C_VerifyUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len),
    (h, in, in_len))
FWD_S(C_VerifyFinal, (CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG sig_len),
    (h, sig, sig_len))
FWD_S(C_VerifyRecoverInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k),
    (h, m, k))
FWD_S(C_VerifyRecover, (CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG sig_len,
    CK_BYTE_PTR out, CK_ULONG_PTR out_len), (h, sig, sig_len, out, out_len))
FWD_S(C_DigestEncryptUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len,
    CK_BYTE_PTR out, CK_ULONG_PTR out_len), (h, in, in_len, out, out_len))
FWD_S(C_DecryptDigestUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len,
    CK_BYTE_PTR out, CK_ULONG_PTR out_len), (h, in, in_len, out, out_len))
FWD_S(C_SignEncryptUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len,
    CK_BYTE_PTR out, CK_ULONG_PTR out_len), (h, in, in_len, out, out_len))
FWD_S(C_DecryptVerifyUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len,
    CK_BYTE_PTR out, CK_ULONG_PTR out_len), (h, in, in_len, out, out_len))
FWD_S(C_GenerateKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR t,
    CK_ULONG n, CK_OBJECT_HANDLE_PTR k), (h, m, t, n, k))
FWD_S(C_GenerateKeyPair, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pt,
    CK_ULONG pn, CK_ATTRIBUTE_PTR st_, CK_ULONG sn, CK_OBJECT_HANDLE_PTR pub,
    CK_OBJECT_HANDLE_PTR priv), (h, m, pt, pn, st_, sn, pub, priv))
FWD_S(C_WrapKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE wk,
    CK_OBJECT_HANDLE k, CK_BYTE_PTR out, CK_ULONG_PTR out_len),
    (h, m, wk, k, out, out_len))
FWD_S(C_UnwrapKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE uk,
    CK_BYTE_PTR in, CK_ULONG in_len, CK_ATTRIBUTE_PTR t, CK_ULONG n,
    CK_OBJECT_HANDLE_PTR k), (h, m, uk, in, in_len, t, n, k))
FWD_S(C_DeriveKey, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE base,
    CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR k), (h, m, base, t, n, k))
FWD_S(C_SeedRandom, (CK_SESSION_HANDLE h, CK_BYTE_PTR seed, CK_ULONG len), (h, seed, len))
FWD_S(C_GenerateRandom, (CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG len), (h, out, len))
FWD_S(C_GetFunctionStatus, (CK_SESSION_HANDLE h), (h))
FWD_S(C_CancelFunction, (CK_SESSION_HANDLE h), (h))

static CK_RV fault_C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out);

/* v2.40: the real module's version is not claimed, only the interface's. */
static CK_FUNCTION_LIST fault_list = {
	.version = { 2, 40 },
#define E(name) .name = fault_##name
	E(C_Initialize), E(C_Finalize), E(C_GetInfo), E(C_GetFunctionList),
	E(C_GetSlotList), E(C_GetSlotInfo), E(C_GetTokenInfo), E(C_GetMechanismList),
	E(C_GetMechanismInfo), E(C_InitToken), E(C_InitPIN), E(C_SetPIN),
	E(C_OpenSession), E(C_CloseSession), E(C_CloseAllSessions), E(C_GetSessionInfo),
	E(C_GetOperationState), E(C_SetOperationState), E(C_Login), E(C_Logout),
	E(C_CreateObject), E(C_CopyObject), E(C_DestroyObject), E(C_GetObjectSize),
	E(C_GetAttributeValue), E(C_SetAttributeValue), E(C_FindObjectsInit),
	E(C_FindObjects), E(C_FindObjectsFinal), E(C_EncryptInit), E(C_Encrypt),
	E(C_EncryptUpdate), E(C_EncryptFinal), E(C_DecryptInit), E(C_Decrypt),
	E(C_DecryptUpdate), E(C_DecryptFinal), E(C_DigestInit), E(C_Digest),
	E(C_DigestUpdate), E(C_DigestKey), E(C_DigestFinal), E(C_SignInit), E(C_Sign),
	E(C_SignUpdate), E(C_SignFinal), E(C_SignRecoverInit), E(C_SignRecover),
	E(C_VerifyInit), E(C_Verify), E(C_VerifyUpdate), E(C_VerifyFinal),
	E(C_VerifyRecoverInit), E(C_VerifyRecover), E(C_DigestEncryptUpdate),
	E(C_DecryptDigestUpdate), E(C_SignEncryptUpdate), E(C_DecryptVerifyUpdate),
	E(C_GenerateKey), E(C_GenerateKeyPair), E(C_WrapKey), E(C_UnwrapKey),
	E(C_DeriveKey), E(C_SeedRandom), E(C_GenerateRandom), E(C_GetFunctionStatus),
	E(C_CancelFunction), E(C_WaitForSlotEvent),
#undef E
};

static CK_RV
fault_C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out)
{
	if (out == NULL)
		return CKR_ARGUMENTS_BAD;
	pthread_once(&load_once, load_real);
	if (real == NULL)
		return CKR_GENERAL_ERROR;
	*out = &fault_list;
	return CKR_OK;
}

/* The one exported symbol (built with -fvisibility=hidden). */
__attribute__((visibility("default"))) CK_RV
C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out)
{
	return fault_C_GetFunctionList(out);
}

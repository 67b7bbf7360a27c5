/*
 * The seccomp sandbox of tanbad's processes: an allow-list of system calls
 * per process role, applied once that process has opened what it needs and
 * dropped its privileges. A call outside the list kills the whole process.
 * It never loosens a filter already in place (filters only stack).
 */
#ifndef TB_SANDBOX_H
#define TB_SANDBOX_H

#include "conf.h"
#include "tb_err.h"

typedef enum tb_sandbox_role {
	/* Parses clients' frames, JSON, CMS and certificates, fetches CRLs and
	 * OCSP answers over the network, keeps the CRL disk cache. */
	TB_SANDBOX_FRONT = 1,
	/* Holds the PKCS#11 module and its sessions, signs digests, writes the
	 * audit trail: no network, no new processes. */
	TB_SANDBOX_SIGNER = 2,
	/* Starts and reaps the front and the signer: a denylist of what no
	 * tanba program calls (ptrace, mount, kexec, bpf, module loading,
	 * keyctl, namespaces, ...), inherited by both, which add their own
	 * allow-lists on top. */
	TB_SANDBOX_PARENT = 3
} tb_sandbox_role;

/* So that callers can test for a role with #ifdef. */
#define TB_SANDBOX_FRONT TB_SANDBOX_FRONT
#define TB_SANDBOX_SIGNER TB_SANDBOX_SIGNER
#define TB_SANDBOX_PARENT TB_SANDBOX_PARENT

/*
 * Installs role's filter on the calling process (every thread of it) after
 * setting PR_SET_NO_NEW_PRIVS. cfg may turn it off: [daemon] sandbox = no
 * for the front and the parent, [token] sandbox = no for the signer (logged at warning
 * level; a NULL cfg means on). Returns 0 or TB_ERR_INTERNAL naming the step.
 */
int tb_sandbox_apply(tb_sandbox_role role, const tb_config *cfg, tb_error *err);

/* Installs role's filter whatever the configuration says (tests, and the above). */
int tb_sandbox_install(tb_sandbox_role role, tb_error *err);

/* "front", "signer" or "parent". */
const char *tb_sandbox_role_name(tb_sandbox_role role);

#endif

/*
 * The signer process: the only tanbad process that loads the PKCS#11
 * module, reads the PIN file, holds token sessions and writes the audit
 * trail. It reads fixed-format records (signchan.h) from its socketpair
 * and nothing else; it never parses JSON, CMS or a client's frame.
 */
#ifndef TB_SIGNER_PROC_H
#define TB_SIGNER_PROC_H

/* The name the signer process carries (comm, and argv[0] after exec). */
#define TB_SIGNER_PROC_NAME "tanbad-signer"

/*
 * Runs the signer on channel fd with the configuration at config_path:
 * opens the audit trail and the tokens, drops privileges, tells the front
 * it is ready (or why it is not), then serves until the channel closes.
 * foreground keeps logging on stderr. Returns the process exit status.
 */
int tb_signer_proc_main(int fd, const char *config_path, int debug, int foreground);

#endif

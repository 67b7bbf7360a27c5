/* The programs of tanbad: where the parent finds the front's and the signer's. */
#ifndef TB_PROGRAMS_H
#define TB_PROGRAMS_H

#include <stddef.h>

/*
 * The path of the signer program: $TANBA_SIGNER_PROGRAM when it is an
 * absolute path (tests), else tanbad-signer beside this program's own file
 * when there is one (a build tree), else the installed one (TB_SIGNER_PATH,
 * under libexec).
 */
void tb_signer_program(char *buf, size_t len);
/* The same for the front: $TANBA_FRONT_PROGRAM, tanbad-front, TB_FRONT_PATH. */
void tb_front_program(char *buf, size_t len);

#endif

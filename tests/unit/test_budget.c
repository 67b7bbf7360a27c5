/*
 * Unit tests of the per-client budgets (daemon/front/budget.c): records made per
 * uid and per TLS [client] name and dropped when empty, reservations held
 * to the client's budget and to all clients', and given back.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <string.h>

#include "../daemon/front/budget.h"
#include "check_run.h"

START_TEST(peers)
{
	tb_budget *b = tb_budget_new();
	tb_peer *u, *again, *t, *t2;

	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(u = tb_budget_peer_uid(b, 1000));
	ck_assert_ptr_eq(again = tb_budget_peer_uid(b, 1000), u);
	/* A TLS name is never the uid of the same digits. */
	ck_assert_ptr_nonnull(t = tb_budget_peer_tls(b, "1000"));
	ck_assert_ptr_ne(t, u);
	ck_assert_ptr_nonnull(t2 = tb_budget_peer_tls(b, "portal"));
	ck_assert_ptr_ne(t2, t);
	ck_assert_uint_eq(tb_budget_peers(b), 3);
	/* Held while it holds something, dropped when it holds nothing. */
	u->conns = 1;
	tb_budget_peer_release(b, u);
	ck_assert_uint_eq(tb_budget_peers(b), 3);
	u->conns = 0;
	tb_budget_peer_release(b, u);
	tb_budget_peer_release(b, t);
	ck_assert_uint_eq(tb_budget_peers(b), 1);
	ck_assert_ptr_eq(tb_budget_peer_tls(b, "portal"), t2);
	tb_budget_peer_release(b, NULL);
	tb_budget_free(b);
	tb_budget_free(NULL);
}
END_TEST

START_TEST(reservations)
{
	tb_budget *b = tb_budget_new();
	tb_peer *a = tb_budget_peer_uid(b, 1), *c = tb_budget_peer_uid(b, 2);
	tb_error err;

	/* Per client 100, all clients 150. */
	ck_assert_int_eq(tb_budget_reserve(b, a, 60, 100, 150, &err), 0);
	ck_assert_int_eq(tb_budget_reserve(b, a, 40, 100, 150, &err), 0);
	ck_assert_int_eq(tb_budget_reserve(b, a, 1, 100, 150, &err), TB_ERR_BUSY);
	ck_assert_ptr_nonnull(strstr(err.detail, "max_buffered_bytes_per_client"));
	ck_assert_uint_eq(a->buffered, 100);
	ck_assert_int_eq(tb_budget_reserve(b, c, 50, 100, 150, &err), 0);
	ck_assert_int_eq(tb_budget_reserve(b, c, 1, 100, 150, &err), TB_ERR_BUSY);
	ck_assert_ptr_nonnull(strstr(err.detail, "max_buffered_bytes is 150"));
	ck_assert_uint_eq(tb_budget_buffered(b), 150);
	/* Without a global limit (small frames) only the client's applies. */
	ck_assert_int_eq(tb_budget_reserve(b, c, 10, 100, SIZE_MAX, &err), 0);
	/* More than a budget at once, and sizes that would wrap, are refused. */
	ck_assert_int_eq(tb_budget_reserve(b, c, 101, 100, SIZE_MAX, &err), TB_ERR_BUSY);
	ck_assert_int_eq(tb_budget_reserve(b, c, SIZE_MAX, SIZE_MAX - 1, SIZE_MAX, &err),
	    TB_ERR_BUSY);
	tb_budget_unreserve(b, a, 100);
	tb_budget_unreserve(b, c, 60);
	ck_assert_uint_eq(tb_budget_buffered(b), 0);
	ck_assert_uint_eq(a->buffered, 0);
	/* Giving back more than held leaves zero, not a wrapped count. */
	tb_budget_unreserve(b, a, 5);
	ck_assert_uint_eq(a->buffered, 0);
	ck_assert_uint_eq(tb_budget_buffered(b), 0);
	tb_budget_peer_release(b, a);
	tb_budget_peer_release(b, c);
	ck_assert_uint_eq(tb_budget_peers(b), 0);
	tb_budget_free(b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("budget");
	TCase *tc = tcase_create("budget");

	tcase_add_test(tc, peers);
	tcase_add_test(tc, reservations);
	suite_add_tcase(s, tc);
	return tbt_run(s, CK_NORMAL);
}

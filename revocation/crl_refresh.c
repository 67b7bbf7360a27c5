/*
 * The background refresh: one thread per checker downloads each CA's CRLs
 * before they are due (nextUpdate less a margin, at least every
 * crl_refresh_max_s, sooner after a failure) so that requests seldom wait
 * for the network. Stopping it wakes it at once.
 */
#include <pthread.h>
#include <time.h>

#include "rev_int.h"
#include "tb_clock.h"

static void *
refresh_main(void *arg)
{
	tb_rev_ctx *ctx = arg;
	struct timespec ts;
	time_t now, due, wait;
	tb_error e1;
	size_t i;

	pthread_mutex_lock(&ctx->stop_mu);
	while (!ctx->stop) {
		pthread_mutex_unlock(&ctx->stop_mu);
		now = tb_clock_now();
		wait = 30;
		for (i = 0; i < ctx->n_iss; i++) {
			rev_issuer *is = &ctx->iss[i];

			if (!rev_has_crl_source(is))
				continue;
			pthread_rwlock_rdlock(&is->lock);
			due = is->next_refresh;
			pthread_rwlock_unlock(&is->lock);
			if (due <= now) {
				(void)rev_crl_refresh(ctx, is, &e1);
				pthread_rwlock_rdlock(&is->lock);
				due = is->next_refresh;
				pthread_rwlock_unlock(&is->lock);
			}
			if (due - now < wait)
				wait = due - now;
		}
		if (wait < 1)
			wait = 1;
		pthread_mutex_lock(&ctx->stop_mu);
		if (ctx->stop)
			break;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += wait;
		pthread_cond_timedwait(&ctx->stop_cond, &ctx->stop_mu, &ts);
	}
	pthread_mutex_unlock(&ctx->stop_mu);
	return NULL;
}

int
rev_refresh_start(tb_rev_ctx *ctx, tb_error *err)
{
	if (pthread_create(&ctx->thread, NULL, refresh_main, ctx) != 0)
		return tb_error_set(err, TB_ERR_INTERNAL, "CRL refresh thread");
	ctx->thread_started = 1;
	return 0;
}

void
rev_refresh_stop(tb_rev_ctx *ctx)
{
	if (!ctx->thread_started)
		return;
	pthread_mutex_lock(&ctx->stop_mu);
	ctx->stop = 1;
	pthread_cond_broadcast(&ctx->stop_cond);
	pthread_mutex_unlock(&ctx->stop_mu);
	pthread_join(ctx->thread, NULL);
	ctx->thread_started = 0;
}

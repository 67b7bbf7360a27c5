/*
 * Token buckets by uid in a small open hash. Only uids that passed access
 * control reach it (others are refused at accept), so it stays as small as
 * the [client] table's users; it never evicts.
 */
#include "config.h"

#include <stdlib.h>

#include "ratelimit.h"

struct bucket {
	unsigned uid;
	int used;
	double tokens;
	double last;
};

struct tb_ratelimit {
	struct bucket *b;
	size_t room, n;
};

tb_ratelimit *
tb_ratelimit_new(void)
{
	return calloc(1, sizeof(tb_ratelimit));
}

void
tb_ratelimit_free(tb_ratelimit *rl)
{
	if (rl == NULL)
		return;
	free(rl->b);
	free(rl);
}

static struct bucket *
slot(struct bucket *b, size_t room, unsigned uid)
{
	size_t i = (uid * 2654435761u) & (room - 1);

	while (b[i].used && b[i].uid != uid)
		i = (i + 1) & (room - 1);
	return &b[i];
}

static int
grow(tb_ratelimit *rl)
{
	size_t room = rl->room ? 2 * rl->room : 64, i;
	struct bucket *nb, *s;

	if ((nb = calloc(room, sizeof(*nb))) == NULL)
		return -1;
	for (i = 0; i < rl->room; i++) {
		if (!rl->b[i].used)
			continue;
		s = slot(nb, room, rl->b[i].uid);
		*s = rl->b[i];
	}
	free(rl->b);
	rl->b = nb;
	rl->room = room;
	return 0;
}

int
tb_ratelimit_take(tb_ratelimit *rl, unsigned uid, double now, unsigned rate, unsigned burst)
{
	struct bucket *s;

	if ((rl->n + 1) * 2 > rl->room && grow(rl) != 0)
		return 1;	/* out of memory: do not refuse a client for that */
	s = slot(rl->b, rl->room, uid);
	if (!s->used) {
		s->used = 1;
		s->uid = uid;
		s->tokens = burst;
		s->last = now;
		rl->n++;
	}
	s->tokens += (now - s->last) * rate;
	if (s->tokens > burst)
		s->tokens = burst;
	s->last = now;
	if (s->tokens < 1.0)
		return 0;
	s->tokens -= 1.0;
	return 1;
}

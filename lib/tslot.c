/*
 * tslot.c - the process-wide per-thread slot allocator (see tslot.h).
 */
#include "tslot.h"

_Thread_local unsigned tslot_self;
static unsigned tslot_next;

unsigned
tslot_assign(void)
{
	unsigned s = __atomic_fetch_add(&tslot_next, 1, __ATOMIC_RELAXED);

	/* Saturate: every thread past the exclusive ones shares the last
	 * slot (and the counter cannot wrap back into exclusive ones). */
	if (s >= TSLOT_NR) {
		__atomic_store_n(&tslot_next, TSLOT_NR, __ATOMIC_RELAXED);
		s = TSLOT_SHARED;
	}
	tslot_self = s + 1;
	return s;
}

/* ember-priority.h: engine work yields to the UI thread. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Lowers the scheduling priority (nice 10) of every thread of the process
 * but the main (UI) one: the worker running engine work and the engine's
 * thread pool, and the threads they start later inherit it. Linux only; a
 * no-op elsewhere. Call from worker threads before engine work. */
void ember_lower_worker_priority (void);

G_END_DECLS

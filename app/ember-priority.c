/* ember-priority.c: on a machine with few cores the engine's threads would
 * take the CPU from the UI thread while a model trains, and frames would
 * stall; with nice 10 they get it only when the UI thread does not want it. */
#include "config.h"

#include "ember-priority.h"

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdlib.h>
#endif

#ifdef __linux__
static char *
thread_name (pid_t tid)
{
  g_autofree char *path = g_strdup_printf ("/proc/self/task/%d/comm", (int) tid);
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  return g_strchomp (text);
}
#endif

void
ember_lower_worker_priority (void)
{
#ifdef __linux__
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  pid_t main_tid = getpid ();
  g_autofree char *main_name = thread_name (main_tid);
  const char *name;

  /* This thread; threads it starts inherit the value. */
  setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), 10);

  /* The engine's pool, if another thread started it: its threads are not
   * renamed, so they carry the program's name (GLib's, GTK's and the
   * renderer's threads have names of their own and are left alone). */
  if (dir == NULL || main_name == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      pid_t tid = (pid_t) atoi (name);
      g_autofree char *comm = NULL;

      if (tid <= 0 || tid == main_tid)
        continue;
      comm = thread_name (tid);
      if (g_strcmp0 (comm, main_name) == 0 && getpriority (PRIO_PROCESS, tid) < 10)
        setpriority (PRIO_PROCESS, tid, 10);
    }
#endif
}

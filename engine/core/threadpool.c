/* A fixed pool of worker threads for kernels: the caller takes part, chunks
 * are handed out by an atomic counter. EMBER_NUM_THREADS overrides the size.
 *
 * Between regions a worker spins for a short while (EMBER_SPIN_US, 50 µs by
 * default; 0 turns it off) before it sleeps on the condition variable, and
 * the caller spins as long waiting for the last chunk: decoding runs hundreds
 * of small regions per token (a 896 x 896 quantized matvec takes ~10 µs),
 * where a futex wake-up of the worker (tens of µs on a busy machine) cost
 * more than the work. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "array_internal.h"

#define MAX_THREADS 64

typedef struct job {
    em_range_fn fn;
    void *ctx;
    int64_t n, chunk, first;
    atomic_llong next;
    atomic_int unfinished; /* chunks not yet done */
    atomic_int users;      /* workers inside run_chunks (changed under lock):
                              the job lives on the caller's stack until they leave */
} job;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int n_threads = 1;
static int64_t spin_ns = 50000;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;
static job *current;
static atomic_uint_fast64_t generation;
static int sleepers;            /* workers waiting on wake (under lock) */
static atomic_int done_waiters; /* callers waiting on done */
/* One parallel region at a time; nested or concurrent calls run inline. */
static atomic_flag busy = ATOMIC_FLAG_INIT;

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Spins until cond(arg) holds or spin_ns pass; true when it holds. */
static bool spin_until(bool (*cond)(const void *), const void *arg)
{
    if (cond(arg))
        return true;
    if (spin_ns <= 0)
        return false;
    int64_t end = 0;
    for (unsigned i = 1;; i++) {
        cpu_relax();
        if (cond(arg))
            return true;
        if ((i & 63) == 0) {
            int64_t t = now_ns();
            if (!end)
                end = t + spin_ns;
            else if (t > end)
                return false;
        }
    }
}

static void run_chunks(job *j)
{
    for (;;) {
        int64_t c = atomic_fetch_add(&j->next, 1);
        int64_t begin = c == 0 ? 0 : j->first + (c - 1) * j->chunk;
        if (begin >= j->n)
            return;
        int64_t lim = c == 0 ? j->first : begin + j->chunk;
        int64_t end = lim < j->n ? lim : j->n;
        j->fn(j->ctx, begin, end);
        if (atomic_fetch_sub(&j->unfinished, 1) == 1 && atomic_load(&done_waiters)) {
            pthread_mutex_lock(&lock);
            pthread_cond_broadcast(&done);
            pthread_mutex_unlock(&lock);
        }
    }
}

static bool generation_moved(const void *seen)
{
    return atomic_load_explicit(&generation, memory_order_acquire) != *(const uint64_t *)seen;
}

static void *worker(void *arg)
{
    uint64_t seen = 0;
    for (;;) {
        spin_until(generation_moved, &seen);
        pthread_mutex_lock(&lock);
        while (atomic_load(&generation) == seen) {
            sleepers++;
            pthread_cond_wait(&wake, &lock);
            sleepers--;
        }
        seen = atomic_load(&generation);
        job *j = current;
        if (j)
            atomic_fetch_add(&j->users, 1);
        pthread_mutex_unlock(&lock);
        if (j) {
            run_chunks(j);
            pthread_mutex_lock(&lock);
            /* the caller may free j as soon as users reaches 0 */
            if (atomic_fetch_sub(&j->users, 1) == 1 && atomic_load(&done_waiters))
                pthread_cond_broadcast(&done);
            pthread_mutex_unlock(&lock);
        }
    }
    return arg;
}

static void start(void)
{
    const char *env = getenv("EMBER_NUM_THREADS");
    long n = env ? strtol(env, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    if (n > MAX_THREADS)
        n = MAX_THREADS;
    n_threads = (int)n;
    const char *sp = getenv("EMBER_SPIN_US");
    if (sp)
        spin_ns = strtol(sp, NULL, 10) * 1000;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    for (int i = 1; i < n_threads; i++) {
        pthread_t t;
        if (pthread_create(&t, &attr, worker, NULL) != 0) {
            n_threads = i;
            break;
        }
    }
    pthread_attr_destroy(&attr);
}

int em__num_threads(void)
{
    pthread_once(&once, start);
    return n_threads;
}

static bool job_finished(const void *p)
{
    job *j = (job *)p;
    return atomic_load(&j->unfinished) == 0 && atomic_load(&j->users) == 0;
}

/* fn over [0, n) in chunks of `chunk`, handed out to the caller and the
 * workers; returns when all are done */
static void run_region(int64_t n, int64_t chunk, int64_t first, em_range_fn fn, void *ctx)
{
    job j = {.fn = fn, .ctx = ctx, .n = n, .chunk = chunk, .first = first};
    atomic_init(&j.next, 0);
    atomic_init(&j.unfinished, (int)(1 + (n - first + chunk - 1) / chunk));
    atomic_init(&j.users, 0);
    pthread_mutex_lock(&lock);
    current = &j;
    atomic_fetch_add(&generation, 1);
    if (sleepers)
        pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
    run_chunks(&j);
    spin_until(job_finished, &j);
    pthread_mutex_lock(&lock);
    atomic_fetch_add(&done_waiters, 1);
    while (!job_finished(&j))
        pthread_cond_wait(&done, &lock);
    atomic_fetch_sub(&done_waiters, 1);
    current = NULL;
    pthread_mutex_unlock(&lock);
    atomic_flag_clear(&busy);
}

void em__parallel_for(int64_t n, int64_t grain, em_range_fn fn, void *ctx)
{
    if (n <= 0)
        return;
    if (grain < 1)
        grain = 1;
    int nt = em__num_threads();
    if (nt == 1 || n < 2 * grain || atomic_flag_test_and_set(&busy)) {
        fn(ctx, 0, n);
        return;
    }
    /* A few chunks per thread balance uneven work without much overhead. */
    int64_t chunks = nt * 4;
    int64_t chunk = (n + chunks - 1) / chunks;
    if (chunk < grain)
        chunk = grain;
    run_region(n, chunk, chunk < n ? chunk : n, fn, ctx);
}

/* em__parallel_split's parts: the first one lead longer than the others
 * (lead 0 when there is no room for it) */
static void split_plan(int64_t n, int64_t lead, int64_t *first, int64_t *part)
{
    int nt = em__num_threads();
    if (lead < 0 || n - lead < nt)
        lead = 0;
    *part = n > 0 ? (n - lead + nt - 1) / nt : 0;
    *first = *part + lead < n ? *part + lead : n;
}

int64_t em__parallel_split_size(int64_t n, int64_t lead)
{
    int64_t first, part;
    split_plan(n, lead, &first, &part);
    return part;
}

int64_t em__parallel_split_first(int64_t n, int64_t lead)
{
    int64_t first, part;
    split_plan(n, lead, &first, &part);
    return first;
}

void em__parallel_split(int64_t n, int64_t lead, em_range_fn fn, void *ctx)
{
    if (n <= 0)
        return;
    int64_t first, part;
    split_plan(n, lead, &first, &part);
    if (first >= n || atomic_flag_test_and_set(&busy)) {
        fn(ctx, 0, n);
        return;
    }
    run_region(n, part, first, fn, ctx);
}

/* A fixed pool of worker threads for kernels: the caller takes part, chunks
 * are handed out by an atomic counter. EMBER_NUM_THREADS overrides the size. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "array_internal.h"

#define MAX_THREADS 64

typedef struct job {
    em_range_fn fn;
    void *ctx;
    int64_t n, chunk;
    atomic_llong next;
    atomic_int unfinished; /* chunks not yet done */
    int users;             /* workers inside run_chunks (under lock): the job
                              lives on the caller's stack until they leave */
} job;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int n_threads = 1;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;
static job *current;
static uint64_t generation;
/* One parallel region at a time; nested or concurrent calls run inline. */
static atomic_flag busy = ATOMIC_FLAG_INIT;

static void run_chunks(job *j)
{
    for (;;) {
        int64_t c = atomic_fetch_add(&j->next, 1);
        int64_t begin = c * j->chunk;
        if (begin >= j->n)
            return;
        int64_t end = begin + j->chunk < j->n ? begin + j->chunk : j->n;
        j->fn(j->ctx, begin, end);
        if (atomic_fetch_sub(&j->unfinished, 1) == 1) {
            pthread_mutex_lock(&lock);
            pthread_cond_broadcast(&done);
            pthread_mutex_unlock(&lock);
        }
    }
}

static void *worker(void *arg)
{
    uint64_t seen = 0;
    for (;;) {
        pthread_mutex_lock(&lock);
        while (generation == seen)
            pthread_cond_wait(&wake, &lock);
        seen = generation;
        job *j = current;
        if (j)
            j->users++;
        pthread_mutex_unlock(&lock);
        if (j) {
            run_chunks(j);
            pthread_mutex_lock(&lock);
            if (--j->users == 0)
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
    job j = {.fn = fn, .ctx = ctx, .n = n, .chunk = chunk};
    atomic_init(&j.next, 0);
    atomic_init(&j.unfinished, (int)((n + chunk - 1) / chunk));
    pthread_mutex_lock(&lock);
    current = &j;
    generation++;
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
    run_chunks(&j);
    pthread_mutex_lock(&lock);
    while (atomic_load(&j.unfinished) > 0 || j.users > 0)
        pthread_cond_wait(&done, &lock);
    current = NULL;
    pthread_mutex_unlock(&lock);
    atomic_flag_clear(&busy);
}

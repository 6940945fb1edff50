/* Host memory for arrays: a size-class cache in front of aligned_alloc, with
 * the statistics and the limit that em_memory_* expose. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "array_internal.h"

#define N_CLASSES 256

typedef struct free_block {
    struct free_block *next;
} free_block;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static free_block *classes[N_CLASSES];
static size_t active, peak, cached, limit, cache_limit = (size_t)1 << 30, gpu_active;
static bool cache_limit_set;

/* Size classes: 256 bytes and below share one; above, four per power of two,
 * so a cached block wastes at most a quarter of its size. */
static int size_class(size_t n, size_t *class_size)
{
    if (n <= 256) {
        *class_size = 256;
        return 0;
    }
    int e = 64 - __builtin_clzll((unsigned long long)(n - 1)); /* 2^e >= n */
    size_t base = (size_t)1 << (e - 1);
    size_t step = base / 4;
    size_t k = (n - base + step - 1) / step; /* 1..4 */
    *class_size = base + k * step;
    int c = (e - 9) * 4 + (int)k;
    return c < N_CLASSES ? c : -1;
}

static void drop_cache_locked(void)
{
    for (int c = 0; c < N_CLASSES; c++) {
        while (classes[c]) {
            free_block *b = classes[c];
            classes[c] = b->next;
            free(b);
        }
    }
    cached = 0;
}

/* Cached blocks remember their size in the class index only: the block at the
 * head of class c has that class's size. */
static size_t class_bytes(int c)
{
    if (c == 0)
        return 256;
    int e = (c - 1) / 4 + 9;
    int k = (c - 1) % 4 + 1;
    size_t base = (size_t)1 << (e - 1);
    return base + (size_t)k * (base / 4);
}

void *em__host_alloc(size_t nbytes)
{
    size_t csize;
    int c = size_class(nbytes ? nbytes : 1, &csize);
    if (c < 0)
        csize = (nbytes + 4095) & ~(size_t)4095;
    pthread_mutex_lock(&lock);
    if (limit && active + csize > limit) {
        drop_cache_locked();
        if (active + csize > limit) {
            size_t a = active;
            pthread_mutex_unlock(&lock);
            em__error("out of memory: %zu bytes asked with %zu active, over the limit of %zu",
                      nbytes, a, limit);
            return NULL;
        }
    }
    void *p = NULL;
    if (c >= 0 && classes[c]) {
        p = classes[c];
        classes[c] = classes[c]->next;
        cached -= csize;
    }
    active += csize;
    if (active > peak)
        peak = active;
    pthread_mutex_unlock(&lock);
    if (!p) {
        p = aligned_alloc(64, (csize + 63) & ~(size_t)63);
        if (!p) {
            pthread_mutex_lock(&lock);
            drop_cache_locked();
            pthread_mutex_unlock(&lock);
            p = aligned_alloc(64, (csize + 63) & ~(size_t)63);
        }
        if (!p) {
            pthread_mutex_lock(&lock);
            active -= csize;
            pthread_mutex_unlock(&lock);
            em__error("out of memory: could not allocate %zu bytes", nbytes);
            return NULL;
        }
    }
    return p;
}

void em__host_free(void *p, size_t nbytes)
{
    if (!p)
        return;
    size_t csize;
    int c = size_class(nbytes ? nbytes : 1, &csize);
    if (c < 0)
        csize = (nbytes + 4095) & ~(size_t)4095;
    pthread_mutex_lock(&lock);
    active -= csize;
    if (c >= 0 && cached + csize <= cache_limit) {
        free_block *b = p;
        b->next = classes[c];
        classes[c] = b;
        cached += csize;
        p = NULL;
    }
    pthread_mutex_unlock(&lock);
    free(p);
    (void)class_bytes;
}

void em__account(em_device_type dev, ptrdiff_t delta)
{
    pthread_mutex_lock(&lock);
    if (dev == EM_GPU)
        gpu_active += delta;
    active += delta;
    if (active > peak)
        peak = active;
    pthread_mutex_unlock(&lock);
}

em_memory_stats em_memory_stats_get(void)
{
    pthread_mutex_lock(&lock);
    em_memory_stats s = {active, peak, cached, limit, gpu_active};
    pthread_mutex_unlock(&lock);
    return s;
}

void em_memory_reset_peak(void)
{
    pthread_mutex_lock(&lock);
    peak = active;
    pthread_mutex_unlock(&lock);
}

void em_memory_set_limit(size_t bytes)
{
    pthread_mutex_lock(&lock);
    limit = bytes;
    if (!cache_limit_set)
        cache_limit = bytes ? bytes / 4 : (size_t)1 << 30;
    pthread_mutex_unlock(&lock);
}

void em_memory_set_cache_limit(size_t bytes)
{
    pthread_mutex_lock(&lock);
    cache_limit = bytes;
    cache_limit_set = true;
    if (cached > cache_limit)
        drop_cache_locked();
    pthread_mutex_unlock(&lock);
}

void em_memory_clear_cache(void)
{
    pthread_mutex_lock(&lock);
    drop_cache_locked();
    pthread_mutex_unlock(&lock);
}

/* ---- buffers ---- */

em_buffer *em__buffer_new(size_t nbytes, em_device_type dev)
{
    em_buffer *b = malloc(sizeof *b);
    if (!b) {
        em__error("out of memory");
        return NULL;
    }
    b->data = em__host_alloc(nbytes);
    if (!b->data) {
        free(b);
        return NULL;
    }
    atomic_init(&b->refs, 1);
    b->nbytes = nbytes;
    b->device = dev;
    b->release = NULL;
    b->ctx = NULL;
    b->backend = NULL;
    return b;
}

em_buffer *em__buffer_wrap(void *data, size_t nbytes, void (*release)(void *, void *), void *ctx)
{
    em_buffer *b = malloc(sizeof *b);
    if (!b) {
        em__error("out of memory");
        return NULL;
    }
    atomic_init(&b->refs, 1);
    b->data = data;
    b->nbytes = nbytes;
    b->device = EM_CPU;
    b->release = release;
    b->ctx = ctx;
    b->backend = NULL;
    return b;
}

void em__buffer_retain(em_buffer *b) { atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed); }

void em__buffer_release(em_buffer *b)
{
    if (!b || atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (b->release)
        b->release(b->data, b->ctx);
    else
        em__host_free(b->data, b->nbytes);
    free(b);
}

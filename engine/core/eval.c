/* The evaluator: orders the pending part of a graph, runs each node's kernel on
 * its stream's backend (the CPU where the GPU has none), and detaches the node
 * from its inputs so the graph frees itself as it runs. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array_internal.h"
#include "vulkan/backend.h" /* vulkan: em__gpu_init, the lazy start of the GPU backend */

em_backend em_cpu_backend = {.name = "cpu", .device = EM_CPU};

void em__cpu_register(em_prim_id prim, em_kernel_fn fn) { em_cpu_backend.kernels[prim] = fn; }

static atomic_uint walk_generation;

static bool pending(const em_array *a) { return !(a->flags & (EM_F_EVALUATED | EM_F_FAILED)); }

/* Post-order over unevaluated nodes, iteratively (graphs can be deep). */
typedef struct {
    em_array **v;
    size_t n, cap;
} vec;

static int vec_push(vec *v, em_array *a)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 256;
        em_array **t = realloc(v->v, cap * sizeof *t);
        if (!t)
            return em__error("out of memory ordering the graph");
        v->v = t;
        v->cap = cap;
    }
    v->v[v->n++] = a;
    return 0;
}

static int by_seq(const void *a, const void *b)
{
    uint64_t x = (*(em_array *const *)a)->seq, y = (*(em_array *const *)b)->seq;
    return x < y ? -1 : x > y;
}

/* The pending nodes behind roots, in the order they were made: a valid
 * topological order (inputs are made before their users) that runs code the
 * way it was written, as an eager framework would. Unlike a depth-first order
 * it finishes each layer's backward step, weight gradient included, before
 * starting the next, so a backward pass holds one layer's temporaries at a
 * time (and checkpointing saves what it should). */
static int topo_order(em_array *const *roots, int n, vec *order)
{
    uint32_t gen = atomic_fetch_add(&walk_generation, 1) + 1;
    vec stack = {0};
    vec idx = {0}; /* next input to visit, stored as a pointer-sized integer */
    int rc = 0;
    for (int r = 0; r < n && rc == 0; r++) {
        em_array *root = roots[r];
        if (!root || !pending(root) || root->mark == gen)
            continue;
        root->mark = gen;
        if ((rc = vec_push(&stack, root)) || (rc = vec_push(&idx, NULL)))
            break;
        while (stack.n && rc == 0) {
            em_array *top = stack.v[stack.n - 1];
            uintptr_t i = (uintptr_t)idx.v[idx.n - 1];
            if ((int)i < top->n_inputs) {
                idx.v[idx.n - 1] = (em_array *)(i + 1);
                em_array *in = top->inputs[i];
                if (pending(in) && in->mark != gen) {
                    in->mark = gen;
                    if ((rc = vec_push(&stack, in)) || (rc = vec_push(&idx, NULL)))
                        break;
                }
            } else {
                stack.n--;
                idx.n--;
                rc = vec_push(order, top);
            }
        }
    }
    free(stack.v);
    free(idx.v);
    if (rc == 0 && order->n > 1)
        qsort(order->v, order->n, sizeof *order->v, by_seq);
    return rc;
}

static void detach(em_array *a)
{
    for (int i = 0; i < a->n_inputs; i++)
        em_release(a->inputs[i]);
    free(a->inputs);
    a->inputs = NULL;
    a->n_inputs = 0;
    em__params_free(a->params);
    a->params = NULL;
    a->prim = EM_P_NONE;
}

static void fail(em_array *a, const char *msg)
{
    a->flags |= EM_F_FAILED;
    free(a->error);
    a->error = strdup(msg);
}

static em_kernel_fn find_kernel(const em_array *a)
{
    /* vulkan: the first node on a gpu stream starts the GPU backend (once;
     * without a device em_gpu_backend stays NULL and the CPU runs it) */
    if (a->stream.device.type == EM_GPU && !em_gpu_backend)
        em__gpu_init();
    if (a->stream.device.type == EM_GPU && em_gpu_backend && em_gpu_backend->kernels[a->prim])
        return em_gpu_backend->kernels[a->prim];
    return em_cpu_backend.kernels[a->prim];
}

/* Runs one node (and its siblings). */
static void run_node(em_array *a)
{
    em_array *local_outs[1] = {a};
    em_array **outs = local_outs;
    em_array *tmp[16] = {0};
    int n_out = 1;
    if (a->sibs) {
        em_siblings *s = a->sibs;
        n_out = s->n;
        outs = malloc(n_out * sizeof *outs);
        if (!outs) {
            fail(a, "out of memory");
            return;
        }
        for (int i = 0; i < n_out; i++) {
            outs[i] = s->out[i];
            if (!outs[i] && i < 16) {
                tmp[i] = em__alloc_array(s->meta[i].dtype, s->meta[i].ndim, s->meta[i].shape);
                outs[i] = tmp[i];
            }
            if (!outs[i]) {
                fail(a, "out of memory");
                free(outs);
                return;
            }
        }
    }

    const char *failed_input = NULL;
    for (int i = 0; i < a->n_inputs; i++)
        if (a->inputs[i]->flags & EM_F_FAILED)
            failed_input = a->inputs[i]->error ? a->inputs[i]->error : "an input failed";

    int rc;
    char msg[1024];
    if (failed_input) {
        snprintf(msg, sizeof msg, "%s", failed_input);
        rc = -1;
    } else {
        em_kernel_fn k = find_kernel(a);
        if (!k) {
            snprintf(msg, sizeof msg, "%s: no kernel on the %s", em_prims[a->prim].name,
                     a->stream.device.type == EM_GPU ? "gpu" : "cpu");
            rc = -1;
        } else {
            /* vulkan: a CPU kernel reads GPU buffers in place (host-visible
             * memory), so wait for the GPU's pending writes first */
            if (em_gpu_backend && em_gpu_backend->synchronize &&
                k != em_gpu_backend->kernels[a->prim])
                for (int i = 0; i < a->n_inputs; i++)
                    if (a->inputs[i]->buf && a->inputs[i]->buf->device == EM_GPU) {
                        em_gpu_backend->synchronize();
                        break;
                    }
            rc = k(outs, n_out, a->inputs, a->n_inputs, a->params);
            if (rc < 0)
                snprintf(msg, sizeof msg, "%s", em_error_message());
        }
    }
    for (int i = 0; i < n_out; i++) {
        em_array *o = outs[i];
        if (rc < 0)
            fail(o, msg);
        else
            o->flags |= EM_F_EVALUATED;
        if (o != a)
            detach(o);
    }
    detach(a);
    for (int i = 0; i < 16; i++)
        em_release(tmp[i]);
    if (outs != local_outs)
        free(outs);
}

/* wait_gpu false (async_eval's worker): the GPU's work is submitted, not
 * waited for; whoever reads the results waits (em_eval, em_synchronize, a CPU
 * kernel reading a GPU buffer). */
static int eval_now_gpu(em_array *const *arrays, int n, bool wait_gpu);
static int eval_now(em_array *const *arrays, int n) { return eval_now_gpu(arrays, n, true); }

static int eval_now_gpu(em_array *const *arrays, int n, bool wait_gpu)
{
    for (int i = 0; i < n; i++)
        if (!arrays[i])
            return em_error_pending() ? -1 : em__error("eval: a NULL array");
    vec order = {0};
    if (topo_order(arrays, n, &order) < 0) {
        free(order.v);
        return -1;
    }
    for (size_t i = 0; i < order.n; i++) {
        em_array *a = order.v[i];
        if (pending(a))
            run_node(a);
    }
    free(order.v);
    if (em_gpu_backend && !wait_gpu && em_gpu_backend->flush)
        em_gpu_backend->flush();
    else if (em_gpu_backend && em_gpu_backend->synchronize)
        em_gpu_backend->synchronize();
    for (int i = 0; i < n; i++)
        if (arrays[i]->flags & EM_F_FAILED)
            return em__error("%s", arrays[i]->error ? arrays[i]->error : "evaluation failed");
    return 0;
}

/* ---- async: one worker thread runs evaluations in submission order ---- */

typedef struct async_job {
    struct async_job *next;
    em_array **arrays;
    int n;
} async_job;

static pthread_mutex_t alock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t acond = PTHREAD_COND_INITIALIZER;
static async_job *head, *tail;
static atomic_int in_flight;
static bool worker_started;

static void *async_worker(void *arg)
{
    for (;;) {
        pthread_mutex_lock(&alock);
        while (!head)
            pthread_cond_wait(&acond, &alock);
        async_job *j = head;
        head = j->next;
        if (!head)
            tail = NULL;
        pthread_mutex_unlock(&alock);

        eval_now_gpu(j->arrays, j->n, false);
        for (int i = 0; i < j->n; i++) {
            j->arrays[i]->flags &= ~EM_F_PENDING;
            em_release(j->arrays[i]);
        }
        free(j->arrays);
        free(j);

        pthread_mutex_lock(&alock);
        in_flight--;
        pthread_cond_broadcast(&acond);
        pthread_mutex_unlock(&alock);
    }
    return arg;
}

int em_async_eval(em_array *const *arrays, int n)
{
    for (int i = 0; i < n; i++)
        if (!arrays[i])
            return em_error_pending() ? -1 : em__error("async_eval: a NULL array");
    async_job *j = calloc(1, sizeof *j);
    em_array **copy = malloc((n ? n : 1) * sizeof *copy);
    if (!j || !copy) {
        free(j);
        free(copy);
        return em__error("out of memory");
    }
    for (int i = 0; i < n; i++) {
        copy[i] = em_retain(arrays[i]);
        if (pending(copy[i]))
            copy[i]->flags |= EM_F_PENDING;
    }
    j->arrays = copy;
    j->n = n;
    pthread_mutex_lock(&alock);
    if (!worker_started) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &attr, async_worker, NULL) == 0)
            worker_started = true;
        pthread_attr_destroy(&attr);
        if (!worker_started) {
            pthread_mutex_unlock(&alock);
            for (int i = 0; i < n; i++)
                copy[i]->flags &= ~EM_F_PENDING;
            int rc = eval_now(copy, n);
            for (int i = 0; i < n; i++)
                em_release(copy[i]);
            free(copy);
            free(j);
            return rc;
        }
    }
    if (tail)
        tail->next = j;
    else
        head = j;
    tail = j;
    in_flight++;
    pthread_cond_broadcast(&acond);
    pthread_mutex_unlock(&alock);
    return 0;
}

int em_synchronize(void)
{
    pthread_mutex_lock(&alock);
    while (in_flight > 0)
        pthread_cond_wait(&acond, &alock);
    pthread_mutex_unlock(&alock);
    /* vulkan: the async evaluations left the GPU running */
    if (em_gpu_backend && em_gpu_backend->synchronize)
        return em_gpu_backend->synchronize();
    return 0;
}

int em_eval_many(em_array *const *arrays, int n)
{
    /* Work started by em_async_eval may share nodes with this graph. */
    if (in_flight)
        em_synchronize();
    return eval_now(arrays, n);
}

int em_eval(em_array *a) { return em_eval_many(&a, 1); }

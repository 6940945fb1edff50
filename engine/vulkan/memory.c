/* GPU memory: a suballocator over large blocks of host-visible memory, the GPU
 * em_buffers made from it, and how kernels bind arrays (sub-ranges within the
 * device's maximum storage-buffer range; host arrays uploaded to temporaries).
 *
 * Memory is host-visible and coherent: device-local where the device exposes
 * most of its memory to the host (integrated GPUs, lavapipe, NVIDIA with
 * resizable BAR), else system memory the GPU reads over the bus. So
 * em_buffer.data is always the mapped pointer and CPU kernels read GPU arrays
 * in place (after the evaluator waits for pending writes). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vk_internal.h"

#define ALIGN 256 /* every suballocation starts on this boundary */

typedef struct range {
    VkDeviceSize off, size;
} range;

struct vk_block {
    VkDeviceMemory mem;
    VkBuffer buf;
    char *map;
    VkDeviceSize size, used;
    range *free;
    int n_free, cap_free;
    bool dedicated; /* one allocation only; destroyed when it is freed */
    struct vk_block *next;
};

static struct {
    uint32_t type_index;
    bool device_local;
    VkDeviceSize block_size;
    VkDeviceSize align; /* binding offsets */
    vk_block *blocks;
    /* empty blocks kept for reuse (allocating, clearing and mapping device
     * memory costs milliseconds per block on some drivers): up to cache_max
     * bytes, released when an allocation fails */
    vk_block *cache;
    VkDeviceSize cached, cache_max;
    vk_alloc *deferred;
    uint64_t completed; /* last serial known complete (for frees) */
} M;

static int find_type(uint32_t bits, VkMemoryPropertyFlags want, VkMemoryPropertyFlags avoid,
                     bool need_device_local_heap)
{
    for (uint32_t i = 0; i < vk.memprops.memoryTypeCount; i++) {
        VkMemoryPropertyFlags f = vk.memprops.memoryTypes[i].propertyFlags;
        if (!(bits & (1u << i)) || (f & want) != want || (f & avoid))
            continue;
        if (need_device_local_heap) {
            const VkMemoryHeap *h = &vk.memprops.memoryHeaps[vk.memprops.memoryTypes[i].heapIndex];
            /* a small BAR window (256 MiB without resizable BAR) is no place for arrays */
            if (h->size * 2 < vk.info.device_memory)
                continue;
        }
        return (int)i;
    }
    return -1;
}

static VkBufferUsageFlags usage(void)
{
    return VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
           VK_BUFFER_USAGE_TRANSFER_DST_BIT;
}

int vk_memory_init(void)
{
    memset(&M, 0, sizeof M);
    VkBufferCreateInfo bi = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                             .size = 1 << 20,
                             .usage = usage(),
                             .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    VkBuffer probe;
    if (vkCreateBuffer(vk.dev, &bi, NULL, &probe) != VK_SUCCESS)
        return em__error("could not create a buffer");
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(vk.dev, probe, &req);
    vkDestroyBuffer(vk.dev, probe, NULL);
    const VkMemoryPropertyFlags hv =
        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    int t = find_type(req.memoryTypeBits, hv | VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0, true);
    M.device_local = t >= 0;
    if (t < 0)
        t = find_type(req.memoryTypeBits, hv | VK_MEMORY_PROPERTY_HOST_CACHED_BIT, 0, false);
    if (t < 0)
        t = find_type(req.memoryTypeBits, hv, 0, false);
    if (t < 0)
        return em__error("no host-visible coherent memory type for storage buffers");
    M.type_index = (uint32_t)t;
    vk.info.unified_memory = true; /* the CPU reads arrays in place (see above) */
    M.block_size = (VkDeviceSize)128 << 20;
    const char *env = getenv("EMBER_VULKAN_BLOCK_MB");
    if (env && atoi(env) > 0)
        M.block_size = (VkDeviceSize)atoi(env) << 20;
    M.cache_max = vk.info.device_memory / 4;
    if (M.cache_max > ((VkDeviceSize)8 << 30))
        M.cache_max = (VkDeviceSize)8 << 30;
    env = getenv("EMBER_VULKAN_CACHE_MB");
    if (env)
        M.cache_max = (VkDeviceSize)atoll(env) << 20;
    M.align = vk.props.limits.minStorageBufferOffsetAlignment;
    if (M.align < 16)
        M.align = 16;
    return 0;
}

static void block_destroy(vk_block *b)
{
    if (b->map)
        vkUnmapMemory(vk.dev, b->mem);
    vkDestroyBuffer(vk.dev, b->buf, NULL);
    vkFreeMemory(vk.dev, b->mem, NULL);
    free(b->free);
    free(b);
}

/* Destroys the cached empty blocks. */
static void cache_purge(void)
{
    while (M.cache) {
        vk_block *b = M.cache;
        M.cache = b->next;
        block_destroy(b);
    }
    M.cached = 0;
}

/* An empty block is no longer needed: cached if it fits, else destroyed. */
static void block_retire(vk_block *b)
{
    if (b->size > M.cache_max) {
        block_destroy(b);
        return;
    }
    /* make room by dropping the oldest cached blocks (the list's tail) */
    while (M.cached + b->size > M.cache_max && M.cache) {
        vk_block **p = &M.cache;
        while ((*p)->next)
            p = &(*p)->next;
        M.cached -= (*p)->size;
        block_destroy(*p);
        *p = NULL;
    }
    b->next = M.cache;
    M.cache = b;
    M.cached += b->size;
}

/* A cached block of the kind and at least `size` bytes (dedicated: at most a
 * quarter more), taken out of the cache; NULL if none. */
static vk_block *cache_take(VkDeviceSize size, bool dedicated)
{
    for (vk_block **p = &M.cache; *p; p = &(*p)->next) {
        vk_block *b = *p;
        if (b->dedicated != dedicated || b->size < size || (dedicated && b->size > size + size / 4))
            continue;
        *p = b->next;
        M.cached -= b->size;
        b->next = NULL;
        b->n_free = 1;
        b->free[0] = (range){0, b->size};
        b->used = 0;
        return b;
    }
    return NULL;
}

static void staging_free(void);

void vk_memory_shutdown(void)
{
    staging_free();
    cache_purge();
    while (M.deferred) {
        vk_alloc *a = M.deferred;
        M.deferred = a->next;
        free(a);
    }
    while (M.blocks) {
        vk_block *b = M.blocks;
        M.blocks = b->next;
        block_destroy(b);
    }
}

static vk_block *block_new(VkDeviceSize size, bool dedicated)
{
    vk_block *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    VkBufferCreateInfo bi = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                             .size = size,
                             .usage = usage(),
                             .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    if (vkCreateBuffer(vk.dev, &bi, NULL, &b->buf) != VK_SUCCESS) {
        free(b);
        return NULL;
    }
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(vk.dev, b->buf, &req);
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .allocationSize = req.size,
                               .memoryTypeIndex = M.type_index};
    if (vkAllocateMemory(vk.dev, &ai, NULL, &b->mem) != VK_SUCCESS) {
        vkDestroyBuffer(vk.dev, b->buf, NULL);
        free(b);
        return NULL;
    }
    void *map = NULL;
    if (vkBindBufferMemory(vk.dev, b->buf, b->mem, 0) != VK_SUCCESS ||
        vkMapMemory(vk.dev, b->mem, 0, VK_WHOLE_SIZE, 0, &map) != VK_SUCCESS) {
        vkDestroyBuffer(vk.dev, b->buf, NULL);
        vkFreeMemory(vk.dev, b->mem, NULL);
        free(b);
        return NULL;
    }
    b->map = map;
    b->size = size;
    b->dedicated = dedicated;
    b->free = malloc(4 * sizeof *b->free);
    b->cap_free = 4;
    if (!b->free) {
        block_destroy(b);
        return NULL;
    }
    b->free[0] = (range){0, size};
    b->n_free = 1;
    return b;
}

/* Best fit in one block; returns the offset or -1. */
static int64_t block_take(vk_block *b, VkDeviceSize size)
{
    int best = -1;
    for (int i = 0; i < b->n_free; i++)
        if (b->free[i].size >= size && (best < 0 || b->free[i].size < b->free[best].size))
            best = i;
    if (best < 0)
        return -1;
    VkDeviceSize off = b->free[best].off;
    b->free[best].off += size;
    b->free[best].size -= size;
    if (b->free[best].size == 0) {
        memmove(&b->free[best], &b->free[best + 1], (b->n_free - best - 1) * sizeof *b->free);
        b->n_free--;
    }
    b->used += size;
    return (int64_t)off;
}

/* Returns a range, merging it with its neighbours; -1 if out of memory for the list. */
static void block_give(vk_block *b, VkDeviceSize off, VkDeviceSize size)
{
    int i = 0;
    while (i < b->n_free && b->free[i].off < off)
        i++;
    bool left = i > 0 && b->free[i - 1].off + b->free[i - 1].size == off;
    bool right = i < b->n_free && off + size == b->free[i].off;
    b->used -= size;
    if (left && right) {
        b->free[i - 1].size += size + b->free[i].size;
        memmove(&b->free[i], &b->free[i + 1], (b->n_free - i - 1) * sizeof *b->free);
        b->n_free--;
    } else if (left) {
        b->free[i - 1].size += size;
    } else if (right) {
        b->free[i].off = off;
        b->free[i].size += size;
    } else {
        if (b->n_free == b->cap_free) {
            range *t = realloc(b->free, 2 * b->cap_free * sizeof *t);
            if (!t)
                return; /* the range is lost to this block until it is destroyed */
            b->free = t;
            b->cap_free *= 2;
        }
        memmove(&b->free[i + 1], &b->free[i], (b->n_free - i) * sizeof *b->free);
        b->free[i] = (range){off, size};
        b->n_free++;
    }
}

static void unlink_block(vk_block *b)
{
    for (vk_block **p = &M.blocks; *p; p = &(*p)->next)
        if (*p == b) {
            *p = b->next;
            return;
        }
}

static void free_now(vk_alloc *a)
{
    vk_block *b = a->block;
    block_give(b, a->off, a->size);
    free(a);
    if (b->used == 0) {
        /* keep one empty shared block for the next allocations */
        int empty = 0;
        for (vk_block *x = M.blocks; x; x = x->next)
            if (!x->dedicated && x->used == 0)
                empty++;
        if (b->dedicated || empty > 1) {
            unlink_block(b);
            block_retire(b);
        }
    }
}

void vk_mem_reclaim(uint64_t completed)
{
    vk_lock();
    if (completed > M.completed)
        M.completed = completed;
    vk_alloc **p = &M.deferred;
    while (*p) {
        vk_alloc *a = *p;
        if (a->last_use <= M.completed) {
            *p = a->next;
            free_now(a);
        } else {
            p = &a->next;
        }
    }
    vk_unlock();
}

vk_alloc *vk_mem_alloc(size_t nbytes)
{
    VkDeviceSize size = ((VkDeviceSize)(nbytes ? nbytes : 1) + ALIGN - 1) & ~(VkDeviceSize)(ALIGN - 1);
    vk_alloc *a = calloc(1, sizeof *a);
    if (!a) {
        em__error("out of memory");
        return NULL;
    }
    vk_lock();
    for (int attempt = 0; attempt < 2; attempt++) {
        bool dedicated = size > M.block_size / 2;
        if (!dedicated)
            for (vk_block *b = M.blocks; b; b = b->next) {
                if (b->dedicated || b->size - b->used < size)
                    continue;
                int64_t off = block_take(b, size);
                if (off >= 0) {
                    a->block = b;
                    a->off = (VkDeviceSize)off;
                    goto done;
                }
            }
        vk_block *nb = cache_take(dedicated ? size : M.block_size, dedicated);
        if (!nb)
            nb = block_new(dedicated ? size : M.block_size, dedicated);
        if (nb) {
            nb->next = M.blocks;
            M.blocks = nb;
            a->block = nb;
            a->off = (VkDeviceSize)block_take(nb, size);
            goto done;
        }
        /* out of memory: wait for the GPU so deferred frees return, then retry */
        if (attempt == 0) {
            cache_purge();
            vk_synchronize();
            vk_mem_reclaim(M.completed);
        }
    }
    vk_unlock();
    free(a);
    em__error("out of GPU memory: %zu bytes asked (%s)", nbytes, vk.info.name);
    return NULL;
done:
    a->size = size;
    a->buffer = a->block->buf;
    a->map = a->block->map + a->off;
    vk_unlock();
    em__account(EM_GPU, (ptrdiff_t)size);
    return a;
}

void vk_mem_free(vk_alloc *a)
{
    if (!a)
        return;
    em__account(EM_GPU, -(ptrdiff_t)a->size);
    if (!vk.dev) { /* after shutdown: the blocks are gone */
        free(a);
        return;
    }
    vk_lock();
    if (a->last_use > M.completed) {
        a->next = M.deferred;
        M.deferred = a;
    } else {
        free_now(a);
    }
    vk_unlock();
}

static void release_buffer(void *data, void *ctx)
{
    (void)data;
    vk_mem_free(ctx);
}

em_buffer *vk_buffer_new(size_t nbytes)
{
    vk_alloc *a = vk_mem_alloc(nbytes);
    if (!a)
        return NULL;
    em_buffer *b = em__buffer_wrap(a->map, nbytes, release_buffer, a);
    if (!b) {
        vk_mem_free(a);
        return NULL;
    }
    b->device = EM_GPU;
    b->backend = a;
    return b;
}

int vk_alloc_output(em_array *out)
{
    em_buffer *b = vk_buffer_new((size_t)out->size * em_dtype_size((em_dtype)out->dtype));
    if (!b)
        return -1;
    em__buffer_release(out->buf);
    out->buf = b;
    out->offset = 0;
    em__row_strides(out->ndim, out->shape, out->strides);
    return 0;
}

/* ---- host to GPU copies ---- */

static _Atomic uint64_t uploaded;

/* ---- host-cached staging for bulk reads (vk_read) ---- */
static struct {
    VkBuffer buf;
    VkDeviceMemory mem;
    void *map;
    VkDeviceSize size;
    bool coherent;
} S;

static void staging_free(void)
{
    if (S.map)
        vkUnmapMemory(vk.dev, S.mem);
    if (S.buf)
        vkDestroyBuffer(vk.dev, S.buf, NULL);
    if (S.mem)
        vkFreeMemory(vk.dev, S.mem, NULL);
    memset(&S, 0, sizeof S);
}

bool vk_reads_in_place(void)
{
    static int forced = -1;
    if (forced < 0) {
        const char *e = getenv("EMBER_VULKAN_STAGED_READS");
        forced = e && atoi(e) > 0;
    }
    if (forced)
        return false;
    return (vk.memprops.memoryTypes[M.type_index].propertyFlags & VK_MEMORY_PROPERTY_HOST_CACHED_BIT) != 0;
}

void *vk_staging(VkDeviceSize n, VkBuffer *buf)
{
    if (S.size < n) {
        staging_free();
        VkBufferCreateInfo bi = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                                 .size = n,
                                 .usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                 .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
        if (vkCreateBuffer(vk.dev, &bi, NULL, &S.buf) != VK_SUCCESS) {
            S.buf = VK_NULL_HANDLE;
            return NULL;
        }
        VkMemoryRequirements req;
        vkGetBufferMemoryRequirements(vk.dev, S.buf, &req);
        const VkMemoryPropertyFlags hc = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
        int t = find_type(req.memoryTypeBits, hc | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, 0, false);
        if (t < 0)
            t = find_type(req.memoryTypeBits, hc, 0, false);
        VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                   .allocationSize = req.size,
                                   .memoryTypeIndex = (uint32_t)t};
        if (t < 0 || vkAllocateMemory(vk.dev, &ai, NULL, &S.mem) != VK_SUCCESS) {
            S.mem = VK_NULL_HANDLE;
            staging_free();
            return NULL;
        }
        if (vkBindBufferMemory(vk.dev, S.buf, S.mem, 0) != VK_SUCCESS ||
            vkMapMemory(vk.dev, S.mem, 0, VK_WHOLE_SIZE, 0, &S.map) != VK_SUCCESS) {
            S.map = NULL;
            staging_free();
            return NULL;
        }
        S.size = n;
        S.coherent = (vk.memprops.memoryTypes[t].propertyFlags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) != 0;
    }
    *buf = S.buf;
    return S.map;
}

void vk_staging_invalidate(void)
{
    if (S.map && !S.coherent) {
        VkMappedMemoryRange r = {.sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, .memory = S.mem,
                                 .offset = 0, .size = VK_WHOLE_SIZE};
        vkInvalidateMappedMemoryRanges(vk.dev, 1, &r);
    }
}

void vk_count_upload(size_t nbytes) { atomic_fetch_add(&uploaded, nbytes); }

uint64_t em_gpu_upload_bytes(void) { return atomic_load(&uploaded); }

/* ---- operands ---- */

/* Binds elements [lo, hi] (inclusive, counted from the start of the buffer)
 * of array a, whose first element is at `first`. */
static int bind_span(em_array *a, int64_t lo, int64_t hi, int64_t first, vk_operand *op, bool *fits)
{
    size_t esz = em_dtype_size((em_dtype)a->dtype);
    memset(op, 0, sizeof *op);
    VkDeviceSize span = (VkDeviceSize)(hi - lo + 1) * esz;
    /* the binding may start up to M.align - 1 bytes early */
    if (span + M.align > vk.info.max_storage_buffer_range) {
        if (fits) {
            *fits = false;
            return -1;
        }
        return em__error("gpu: %s needs a binding of %llu bytes, over the device's limit of %llu",
                         em_prims[a->orig_prim].name, (unsigned long long)span,
                         (unsigned long long)vk.info.max_storage_buffer_range);
    }
    if (fits)
        *fits = true;
    vk_alloc *al = vk_buffer_alloc(a->buf);
    VkDeviceSize start; /* absolute byte offset of element lo in al->buffer */
    if (al) {
        start = al->off + (VkDeviceSize)lo * esz;
    } else {
        /* host memory: copy the span into a temporary GPU buffer */
        al = vk_mem_alloc(span);
        if (!al)
            return -1;
        memcpy(al->map, (const char *)a->buf->data + lo * (int64_t)esz, span);
        vk_count_upload(span);
        op->tmp = al;
        start = al->off;
    }
    op->a = al;
    op->bind_off = start & ~(M.align - 1);
    op->bind_range = start + span - op->bind_off;
    op->elem_off = (int64_t)((start - op->bind_off) / esz) + (first - lo);
    return 0;
}

int vk_operand_get(em_array *a, vk_operand *op, bool *fits)
{
    int64_t lo = a->offset, hi = a->offset;
    if (a->size > 0)
        for (int d = 0; d < a->ndim; d++) {
            int64_t ext = (a->shape[d] - 1) * a->strides[d];
            if (ext < 0)
                lo += ext;
            else
                hi += ext;
        }
    if (a->size == 0 || a->buf->nbytes == 0) {
        /* nothing is read: bind a tiny temporary */
        memset(op, 0, sizeof *op);
        op->tmp = op->a = vk_mem_alloc(16);
        if (!op->a)
            return -1;
        op->bind_off = op->a->off;
        op->bind_range = 16;
        if (fits)
            *fits = true;
        return 0;
    }
    return bind_span(a, lo, hi, a->offset, op, fits);
}

int vk_operand_range(em_array *a, int64_t elem_begin, int64_t n, vk_operand *op)
{
    int64_t lo = a->offset + elem_begin;
    return bind_span(a, lo, lo + (n > 0 ? n : 1) - 1, lo, op, NULL);
}

void vk_operand_done(vk_operand *op)
{
    if (op->tmp)
        vk_mem_free(op->tmp);
    op->tmp = NULL;
}

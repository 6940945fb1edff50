/* Execution: dispatches are recorded into the current command buffer (a
 * batch); a barrier goes in only where a dispatch reads what an earlier one
 * wrote, or writes what an earlier one read or wrote, since the last barrier.
 * A batch is submitted once it holds `chunk` dispatches (so the GPU starts
 * early) and at synchronize; each submission signals the next value of one
 * timeline semaphore, which frees command buffers, descriptor pools and
 * deferred buffer frees when the GPU reaches it. */
#include <stdlib.h>
#include <string.h>

#include "vk_internal.h"

#define N_FRAMES 8
#define MAX_TRACK 64
#define POOL_SETS 1024

typedef struct frame {
    VkCommandBuffer cb;
    VkDescriptorPool pool; /* without push descriptors */
    uint64_t serial;       /* signalled when its work is done; 0: never submitted */
} frame;

typedef struct span {
    VkBuffer buf;
    VkDeviceSize lo, hi;
} span;

static struct {
    VkCommandPool cmd_pool;
    VkSemaphore timeline;
    frame frames[N_FRAMES];
    int cur;           /* frame being recorded, -1 if none */
    int next;          /* ring position of the next frame */
    int n_dispatch;    /* in the current batch */
    int chunk;
    uint64_t submitted, completed;
    span written[MAX_TRACK], read[MAX_TRACK];
    int n_written, n_read;
    uint64_t stat_dispatches, stat_barriers, stat_submits;
} D;

int vk_dispatch_init(void)
{
    memset(&D, 0, sizeof D);
    D.cur = -1;
    D.chunk = 64;
    const char *env = getenv("EMBER_VULKAN_CHUNK");
    if (env && atoi(env) > 0)
        D.chunk = atoi(env);
    VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                   .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                   .queueFamilyIndex = vk.qfamily};
    if (vkCreateCommandPool(vk.dev, &pci, NULL, &D.cmd_pool) != VK_SUCCESS)
        return em__error("could not create a command pool");
    VkSemaphoreTypeCreateInfo ti = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
                                    .semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE,
                                    .initialValue = 0};
    VkSemaphoreCreateInfo sci = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO, .pNext = &ti};
    if (vkCreateSemaphore(vk.dev, &sci, NULL, &D.timeline) != VK_SUCCESS)
        return em__error("could not create a timeline semaphore");
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = D.cmd_pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = 1};
    for (int i = 0; i < N_FRAMES; i++) {
        if (vkAllocateCommandBuffers(vk.dev, &ai, &D.frames[i].cb) != VK_SUCCESS)
            return em__error("could not allocate command buffers");
        if (!vk.push_desc) {
            VkDescriptorPoolSize ps = {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, POOL_SETS * 8};
            VkDescriptorPoolCreateInfo dpi = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                              .maxSets = POOL_SETS,
                                              .poolSizeCount = 1,
                                              .pPoolSizes = &ps};
            if (vkCreateDescriptorPool(vk.dev, &dpi, NULL, &D.frames[i].pool) != VK_SUCCESS)
                return em__error("could not create a descriptor pool");
        }
    }
    return 0;
}

void vk_dispatch_shutdown(void)
{
    if (!vk.dev)
        return;
    for (int i = 0; i < N_FRAMES; i++)
        if (D.frames[i].pool)
            vkDestroyDescriptorPool(vk.dev, D.frames[i].pool, NULL);
    if (D.cmd_pool)
        vkDestroyCommandPool(vk.dev, D.cmd_pool, NULL);
    if (D.timeline)
        vkDestroySemaphore(vk.dev, D.timeline, NULL);
    memset(&D, 0, sizeof D);
    D.cur = -1;
}

static int wait_for(uint64_t value)
{
    if (value <= D.completed)
        return 0;
    VkSemaphoreWaitInfo wi = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
                              .semaphoreCount = 1,
                              .pSemaphores = &D.timeline,
                              .pValues = &value};
    VkResult r = vkWaitSemaphores(vk.dev, &wi, UINT64_MAX);
    if (r != VK_SUCCESS)
        return em__error("gpu: waiting for the device failed (VkResult %d%s)", (int)r,
                         r == VK_ERROR_DEVICE_LOST ? ": device lost" : "");
    D.completed = value;
    vk_mem_reclaim(D.completed);
    return 0;
}

static int begin_batch(void)
{
    frame *f = &D.frames[D.next];
    if (f->serial && wait_for(f->serial) < 0)
        return -1;
    if (f->pool)
        vkResetDescriptorPool(vk.dev, f->pool, 0);
    vkResetCommandBuffer(f->cb, 0);
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    if (vkBeginCommandBuffer(f->cb, &bi) != VK_SUCCESS)
        return em__error("gpu: could not begin a command buffer");
    D.cur = D.next;
    D.next = (D.next + 1) % N_FRAMES;
    D.n_dispatch = 0;
    return 0;
}

static int submit(void)
{
    if (D.cur < 0)
        return 0;
    frame *f = &D.frames[D.cur];
    /* make the batch's writes visible to the host once the semaphore signals */
    VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                          .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
                          .dstAccessMask = VK_ACCESS_HOST_READ_BIT};
    vkCmdPipelineBarrier(f->cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0,
                         1, &mb, 0, NULL, 0, NULL);
    if (vkEndCommandBuffer(f->cb) != VK_SUCCESS) {
        D.cur = -1;
        return em__error("gpu: could not end a command buffer");
    }
    uint64_t value = D.submitted + 1;
    VkTimelineSemaphoreSubmitInfo ts = {.sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
                                        .signalSemaphoreValueCount = 1,
                                        .pSignalSemaphoreValues = &value};
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                       .pNext = &ts,
                       .commandBufferCount = 1,
                       .pCommandBuffers = &f->cb,
                       .signalSemaphoreCount = 1,
                       .pSignalSemaphores = &D.timeline};
    VkResult r = vkQueueSubmit(vk.queue, 1, &si, VK_NULL_HANDLE);
    D.cur = -1;
    if (r != VK_SUCCESS)
        return em__error("gpu: vkQueueSubmit failed (VkResult %d)", (int)r);
    D.submitted = value;
    f->serial = value;
    D.stat_submits++;
    return 0;
}

static bool overlaps(const span *list, int n, const span *s)
{
    for (int i = 0; i < n; i++)
        if (list[i].buf == s->buf && list[i].lo < s->hi && s->lo < list[i].hi)
            return true;
    return false;
}

static void barrier(VkCommandBuffer cb)
{
    VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                          .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_SHADER_READ_BIT,
                          .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT};
    vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                         VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &mb, 0, NULL, 0, NULL);
    D.n_written = D.n_read = 0;
    D.stat_barriers++;
}

int vk_dispatch(vk_pipeline *p, const vk_binding *b, int nb, const void *pc, uint32_t gx,
                uint32_t gy, uint32_t gz)
{
    if (!gx || !gy || !gz)
        return 0;
    vk_lock();
    VkDescriptorSet set = VK_NULL_HANDLE;
    for (int attempt = 0;; attempt++) {
        if (D.cur < 0 && begin_batch() < 0) {
            vk_unlock();
            return -1;
        }
        if (vk.push_desc)
            break;
        VkDescriptorSetAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                          .descriptorPool = D.frames[D.cur].pool,
                                          .descriptorSetCount = 1,
                                          .pSetLayouts = &p->dsl};
        if (vkAllocateDescriptorSets(vk.dev, &ai, &set) == VK_SUCCESS)
            break;
        if (attempt || submit() < 0) { /* the pool is full: start the next batch */
            vk_unlock();
            return em__error("gpu: could not allocate a descriptor set");
        }
    }
    VkCommandBuffer cb = D.frames[D.cur].cb;

    span spans[16];
    bool need = false;
    for (int i = 0; i < nb; i++) {
        spans[i] = (span){b[i].a->buffer, b[i].off, b[i].off + b[i].range};
        if (overlaps(D.written, D.n_written, &spans[i]) ||
            (b[i].write && overlaps(D.read, D.n_read, &spans[i])))
            need = true;
    }
    int nw = 0;
    for (int i = 0; i < nb; i++)
        nw += b[i].write;
    if (D.n_written + nw > MAX_TRACK || D.n_read + (nb - nw) > MAX_TRACK)
        need = true;
    if (need)
        barrier(cb);
    for (int i = 0; i < nb; i++) {
        if (b[i].write)
            D.written[D.n_written++] = spans[i];
        else
            D.read[D.n_read++] = spans[i];
        b[i].a->last_use = D.submitted + 1;
    }

    VkDescriptorBufferInfo bi[16];
    VkWriteDescriptorSet w[16];
    for (int i = 0; i < nb; i++) {
        bi[i] = (VkDescriptorBufferInfo){b[i].a->buffer, b[i].off, b[i].range};
        w[i] = (VkWriteDescriptorSet){.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                      .dstSet = set,
                                      .dstBinding = (uint32_t)i,
                                      .descriptorCount = 1,
                                      .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                      .pBufferInfo = &bi[i]};
    }
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, p->pipe);
    if (vk.push_desc) {
        vk.cmd_push_descriptor(cb, VK_PIPELINE_BIND_POINT_COMPUTE, p->layout, 0, (uint32_t)nb, w);
    } else {
        vkUpdateDescriptorSets(vk.dev, (uint32_t)nb, w, 0, NULL);
        vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, p->layout, 0, 1, &set, 0, NULL);
    }
    if (p->pc_size)
        vkCmdPushConstants(cb, p->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, p->pc_size, pc);
    vkCmdDispatch(cb, gx, gy, gz);
    D.stat_dispatches++;
    int rc = 0;
    if (++D.n_dispatch >= D.chunk)
        rc = submit();
    vk_unlock();
    return rc;
}

int vk_synchronize(void)
{
    if (!vk.dev)
        return 0;
    vk_lock();
    int rc = 0;
    if (D.cur >= 0 && D.n_dispatch > 0)
        rc = submit();
    if (rc == 0)
        rc = wait_for(D.submitted);
    if (rc == 0)
        D.n_written = D.n_read = 0; /* nothing is in flight: no hazards remain */
    vk_unlock();
    return rc;
}

int vk_flush(void)
{
    if (!vk.dev)
        return 0;
    vk_lock();
    int rc = 0;
    if (D.cur >= 0 && D.n_dispatch > 0)
        rc = submit();
    vk_unlock();
    return rc;
}

/* Host loads from device-local memory mapped through the PCI BAR are
 * uncached, a bus round trip each: reading 600 KB of logits element by
 * element took 0.3 s on an H200. The GPU copies the span into host-cached
 * memory instead (tens of microseconds), in chunks of the staging size. */
#define STAGE_MAX ((VkDeviceSize)32 << 20)

static uint64_t stat_staged_reads;
/* For tests: how many bulk reads went through the staging copy. */
uint64_t em__vk_staged_reads(void) { return stat_staged_reads; }

int vk_read(const em_buffer *b, size_t off, size_t n, void *dst)
{
    if (!vk.dev || !b->backend || n < 4096 || vk_reads_in_place())
        return 1;
    const vk_alloc *a = b->backend;
    vk_lock();
    int rc = 0;
    for (size_t done = 0; done < n && rc == 0;) {
        VkDeviceSize m = n - done < STAGE_MAX ? n - done : STAGE_MAX;
        VkBuffer sb;
        void *map = vk_staging(m, &sb);
        if (!map) {
            rc = done ? em__error("gpu: no host-cached staging memory") : 1;
            break;
        }
        if (D.cur < 0 && begin_batch() < 0) {
            rc = -1;
            break;
        }
        VkCommandBuffer cb = D.frames[D.cur].cb;
        VkMemoryBarrier in = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                              .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_HOST_WRITE_BIT,
                              .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT};
        vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_HOST_BIT,
                             VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &in, 0, NULL, 0, NULL);
        VkBufferCopy region = {.srcOffset = a->off + off + done, .dstOffset = 0, .size = m};
        vkCmdCopyBuffer(cb, a->buffer, sb, 1, &region);
        VkMemoryBarrier out = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                               .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                               .dstAccessMask = VK_ACCESS_HOST_READ_BIT};
        vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &out, 0,
                             NULL, 0, NULL);
        if (submit() < 0 || wait_for(D.submitted) < 0) {
            rc = -1;
            break;
        }
        D.n_written = D.n_read = 0; /* nothing is in flight */
        vk_staging_invalidate();
        memcpy((char *)dst + done, map, m);
        done += m;
    }
    if (rc == 0)
        stat_staged_reads++;
    vk_unlock();
    return rc;
}

bool vk_busy(void)
{
    vk_lock();
    bool busy = (D.cur >= 0 && D.n_dispatch > 0) || D.submitted > D.completed;
    vk_unlock();
    return busy;
}

/* Counters for tests and benchmarks. */
void em__vk_stats(uint64_t *dispatches, uint64_t *barriers, uint64_t *submits)
{
    vk_lock();
    if (dispatches)
        *dispatches = D.stat_dispatches;
    if (barriers)
        *barriers = D.stat_barriers;
    if (submits)
        *submits = D.stat_submits;
    vk_unlock();
}

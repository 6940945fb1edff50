/* Compute pipelines from the embedded SPIR-V (shaders/, compiled by glslc at
 * build time): made on first use for each (shader, specialization constants),
 * kept in a hash table, and backed by a VkPipelineCache that is saved to
 * $XDG_CACHE_HOME/ember/ (or ~/.cache/ember/) so later runs skip the driver's
 * compiler. EMBER_VULKAN_PIPELINE_CACHE=0 turns the disk cache off. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vk_internal.h"

typedef struct { const char *name; const uint32_t *code; size_t size; } em_shader_blob;
extern const em_shader_blob em_shader_blobs[];

#define MAX_SPEC 8

typedef struct entry {
    char shader[64];
    int32_t spec[MAX_SPEC];
    int n_spec;
    vk_pipeline *p;
} entry;

typedef struct module {
    const char *name;
    VkShaderModule m;
} module;

static struct {
    VkPipelineCache cache;
    char path[1024];
    size_t loaded_size;
    entry *table;
    size_t cap, count;
    module *mods;
    int n_mods, cap_mods;
} P;

/* Shaders compiled at run time (fused kernels), added by vk_shader_register. */
typedef struct dyn_blob {
    em_shader_blob b;
    struct dyn_blob *next;
} dyn_blob;
static dyn_blob *dyn_blobs;

static const em_shader_blob *find_blob(const char *name)
{
    for (const em_shader_blob *b = em_shader_blobs; b->name; b++)
        if (!strcmp(b->name, name))
            return b;
    for (dyn_blob *d = dyn_blobs; d; d = d->next)
        if (!strcmp(d->b.name, name))
            return &d->b;
    return NULL;
}

int vk_shader_register(const char *name, const uint32_t *code, size_t size)
{
    dyn_blob *d = calloc(1, sizeof *d);
    char *nm = d ? strdup(name) : NULL;
    uint32_t *c = nm ? malloc(size) : NULL;
    if (!c) {
        free(d);
        free(nm);
        return em__error("out of memory");
    }
    memcpy(c, code, size);
    d->b = (em_shader_blob){nm, c, size};
    vk_lock();
    d->next = dyn_blobs;
    dyn_blobs = d;
    vk_unlock();
    return 0;
}

bool vk_shader_exists(const char *shader) { return find_blob(shader) != NULL; }

static void cache_path(void)
{
    P.path[0] = '\0';
    const char *off = getenv("EMBER_VULKAN_PIPELINE_CACHE");
    if (off && !strcmp(off, "0"))
        return;
    char dir[900];
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(dir, sizeof dir, "%s/ember", xdg);
    else if (home && *home)
        snprintf(dir, sizeof dir, "%s/.cache/ember", home);
    else
        return;
    snprintf(P.path, sizeof P.path, "%s/vulkan-%04x-%04x-%08x.pipelines", dir, vk.props.vendorID,
             vk.props.deviceID, vk.props.driverVersion);
}

static int mkdirs(const char *path)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return 0;
}

int vk_pipeline_init(void)
{
    memset(&P, 0, sizeof P);
    cache_path();
    void *data = NULL;
    size_t size = 0;
    if (P.path[0]) {
        FILE *f = fopen(P.path, "rb");
        if (f) {
            if (fseek(f, 0, SEEK_END) == 0) {
                long n = ftell(f);
                if (n > 0 && n < (1L << 30) && fseek(f, 0, SEEK_SET) == 0) {
                    data = malloc((size_t)n);
                    if (data && fread(data, 1, (size_t)n, f) == (size_t)n)
                        size = (size_t)n;
                }
            }
            fclose(f);
        }
    }
    /* the driver checks the header (vendor, device, cache UUID) and ignores a
     * cache that is not its own */
    VkPipelineCacheCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO,
                                    .initialDataSize = size,
                                    .pInitialData = size ? data : NULL};
    VkResult r = vkCreatePipelineCache(vk.dev, &ci, NULL, &P.cache);
    if (r != VK_SUCCESS && size) {
        ci.initialDataSize = 0;
        ci.pInitialData = NULL;
        r = vkCreatePipelineCache(vk.dev, &ci, NULL, &P.cache);
    }
    free(data);
    if (r != VK_SUCCESS)
        P.cache = VK_NULL_HANDLE; /* works without one */
    P.loaded_size = size;
    P.cap = 256;
    P.table = calloc(P.cap, sizeof *P.table);
    if (!P.table)
        return em__error("out of memory");
    return 0;
}

static void save_cache(void)
{
    if (!P.cache || !P.path[0] || !P.count)
        return;
    size_t size = 0;
    if (vkGetPipelineCacheData(vk.dev, P.cache, &size, NULL) != VK_SUCCESS || !size ||
        size == P.loaded_size)
        return;
    void *data = malloc(size);
    if (!data)
        return;
    if (vkGetPipelineCacheData(vk.dev, P.cache, &size, data) == VK_SUCCESS && mkdirs(P.path) == 0) {
        char tmp[1100];
        snprintf(tmp, sizeof tmp, "%s.%ld.tmp", P.path, (long)getpid());
        FILE *f = fopen(tmp, "wb");
        if (f) {
            bool ok = fwrite(data, 1, size, f) == size;
            ok = (fclose(f) == 0) && ok;
            if (!ok || rename(tmp, P.path) != 0)
                remove(tmp);
        }
    }
    free(data);
}

void vk_pipeline_shutdown(void)
{
    if (!vk.dev)
        return;
    save_cache();
    for (size_t i = 0; i < P.cap && P.table; i++) {
        vk_pipeline *p = P.table[i].p;
        if (!p)
            continue;
        vkDestroyPipeline(vk.dev, p->pipe, NULL);
        vkDestroyPipelineLayout(vk.dev, p->layout, NULL);
        vkDestroyDescriptorSetLayout(vk.dev, p->dsl, NULL);
        free(p);
    }
    free(P.table);
    for (int i = 0; i < P.n_mods; i++)
        vkDestroyShaderModule(vk.dev, P.mods[i].m, NULL);
    free(P.mods);
    if (P.cache)
        vkDestroyPipelineCache(vk.dev, P.cache, NULL);
    memset(&P, 0, sizeof P);
}

static uint64_t hash_key(const char *s, const int32_t *spec, int n)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    for (int i = 0; i < n; i++)
        h = (h ^ (uint32_t)spec[i]) * 1099511628211ull;
    return h ^ (uint64_t)n;
}

static VkShaderModule get_module(const char *name)
{
    for (int i = 0; i < P.n_mods; i++)
        if (!strcmp(P.mods[i].name, name))
            return P.mods[i].m;
    const em_shader_blob *b = find_blob(name);
    if (!b) {
        em__error("gpu: no shader named '%s' is built in", name);
        return VK_NULL_HANDLE;
    }
    if (P.n_mods == P.cap_mods) {
        int cap = P.cap_mods ? 2 * P.cap_mods : 64;
        module *t = realloc(P.mods, cap * sizeof *t);
        if (!t) {
            em__error("out of memory");
            return VK_NULL_HANDLE;
        }
        P.mods = t;
        P.cap_mods = cap;
    }
    VkShaderModuleCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                   .codeSize = b->size,
                                   .pCode = b->code};
    VkShaderModule m;
    if (vkCreateShaderModule(vk.dev, &ci, NULL, &m) != VK_SUCCESS) {
        em__error("gpu: shader '%s' was refused by the driver", name);
        return VK_NULL_HANDLE;
    }
    P.mods[P.n_mods++] = (module){b->name, m};
    return m;
}

static vk_pipeline *create(const char *shader, int n_bindings, uint32_t pc_size,
                           const int32_t *spec, int n_spec)
{
    VkShaderModule m = get_module(shader);
    if (!m)
        return NULL;
    if (getenv("EMBER_VULKAN_DEBUG")) {
        fprintf(stderr, "ember vulkan: pipeline %s", shader);
        for (int i = 0; i < n_spec; i++)
            fprintf(stderr, " %d", spec[i]);
        fprintf(stderr, "\n");
    }
    vk_pipeline *p = calloc(1, sizeof *p);
    if (!p) {
        em__error("out of memory");
        return NULL;
    }
    VkDescriptorSetLayoutBinding b[16];
    for (int i = 0; i < n_bindings; i++)
        b[i] = (VkDescriptorSetLayoutBinding){.binding = (uint32_t)i,
                                              .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                              .descriptorCount = 1,
                                              .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT};
    VkDescriptorSetLayoutCreateInfo dci = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .flags = vk.push_desc ? VK_DESCRIPTOR_SET_LAYOUT_CREATE_PUSH_DESCRIPTOR_BIT_KHR : 0,
        .bindingCount = (uint32_t)n_bindings,
        .pBindings = b};
    VkPushConstantRange pcr = {VK_SHADER_STAGE_COMPUTE_BIT, 0, pc_size};
    if (vkCreateDescriptorSetLayout(vk.dev, &dci, NULL, &p->dsl) != VK_SUCCESS)
        goto fail;
    VkPipelineLayoutCreateInfo lci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                      .setLayoutCount = 1,
                                      .pSetLayouts = &p->dsl,
                                      .pushConstantRangeCount = pc_size ? 1 : 0,
                                      .pPushConstantRanges = &pcr};
    if (vkCreatePipelineLayout(vk.dev, &lci, NULL, &p->layout) != VK_SUCCESS)
        goto fail;
    VkSpecializationMapEntry me[MAX_SPEC];
    for (int i = 0; i < n_spec; i++)
        me[i] = (VkSpecializationMapEntry){(uint32_t)i, (uint32_t)(4 * i), 4};
    VkSpecializationInfo si = {(uint32_t)n_spec, me, 4 * (size_t)n_spec, spec};
    VkComputePipelineCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .module = m,
                  .pName = "main",
                  .pSpecializationInfo = n_spec ? &si : NULL},
        .layout = p->layout};
    VkResult r = vkCreateComputePipelines(vk.dev, P.cache, 1, &ci, NULL, &p->pipe);
    if (r != VK_SUCCESS) {
        em__error("gpu: the pipeline of shader '%s' did not build (VkResult %d)", shader, (int)r);
        goto fail_quiet;
    }
    p->n_bindings = n_bindings;
    p->pc_size = pc_size;
    return p;
fail:
    em__error("gpu: could not create the layout of shader '%s'", shader);
fail_quiet:
    if (p->layout)
        vkDestroyPipelineLayout(vk.dev, p->layout, NULL);
    if (p->dsl)
        vkDestroyDescriptorSetLayout(vk.dev, p->dsl, NULL);
    free(p);
    return NULL;
}

static int grow(void)
{
    size_t cap = P.cap * 2;
    entry *t = calloc(cap, sizeof *t);
    if (!t)
        return em__error("out of memory");
    for (size_t i = 0; i < P.cap; i++) {
        if (!P.table[i].p)
            continue;
        uint64_t h = hash_key(P.table[i].shader, P.table[i].spec, P.table[i].n_spec);
        size_t j = h & (cap - 1);
        while (t[j].p)
            j = (j + 1) & (cap - 1);
        t[j] = P.table[i];
    }
    free(P.table);
    P.table = t;
    P.cap = cap;
    return 0;
}

vk_pipeline *vk_pipeline_get(const char *shader, int n_bindings, uint32_t pc_size,
                             const int32_t *spec, int n_spec)
{
    if (n_spec > MAX_SPEC || n_bindings > 16 || strlen(shader) >= 64) {
        em__error("gpu: pipeline '%s' asks too much", shader);
        return NULL;
    }
    vk_lock();
    uint64_t h = hash_key(shader, spec, n_spec);
    size_t i = h & (P.cap - 1);
    while (P.table[i].p) {
        entry *e = &P.table[i];
        if (e->n_spec == n_spec && !strcmp(e->shader, shader) &&
            (n_spec == 0 || !memcmp(e->spec, spec, n_spec * sizeof *spec))) {
            vk_unlock();
            return e->p;
        }
        i = (i + 1) & (P.cap - 1);
    }
    vk_pipeline *p = create(shader, n_bindings, pc_size, spec, n_spec);
    if (p) {
        entry *e = &P.table[i];
        snprintf(e->shader, sizeof e->shader, "%s", shader);
        if (n_spec > 0) /* spec may be NULL then */
            memcpy(e->spec, spec, n_spec * sizeof *spec);
        e->n_spec = n_spec;
        e->p = p;
        if (++P.count * 2 > P.cap && grow() < 0) {
            /* the table stays valid (just fuller) */
        }
    }
    vk_unlock();
    return p;
}

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic_file.h"
#include "error_internal.h"

int em__atomic_open(em_atomic_file *af, const char *path)
{
    memset(af, 0, sizeof *af);
    size_t n = strlen(path);
    af->path = strdup(path);
    af->tmp_path = malloc(n + 16);
    if (!af->path || !af->tmp_path) {
        free(af->path);
        free(af->tmp_path);
        return em__error("out of memory");
    }
    snprintf(af->tmp_path, n + 16, "%s.tmp-XXXXXX", path);
    int fd = mkstemp(af->tmp_path);
    if (fd < 0) {
        int e = errno;
        free(af->path);
        free(af->tmp_path);
        return em__error("cannot write %s: %s", path, strerror(e));
    }
    af->f = fdopen(fd, "wb");
    if (!af->f) {
        close(fd);
        unlink(af->tmp_path);
        free(af->path);
        free(af->tmp_path);
        return em__error("cannot write %s", path);
    }
    return 0;
}

int em__atomic_close(em_atomic_file *af, int ok)
{
    int rc = 0;
    if (ok && (fflush(af->f) != 0 || fsync(fileno(af->f)) != 0))
        ok = 0, rc = em__error("cannot write %s: %s", af->path, strerror(errno));
    if (fclose(af->f) != 0 && ok)
        ok = 0, rc = em__error("cannot write %s: %s", af->path, strerror(errno));
    if (ok && rename(af->tmp_path, af->path) != 0)
        ok = 0, rc = em__error("cannot rename to %s: %s", af->path, strerror(errno));
    if (!ok) {
        unlink(af->tmp_path);
        if (rc == 0)
            rc = -1;
    }
    free(af->tmp_path);
    free(af->path);
    return rc;
}

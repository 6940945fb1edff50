/* ember-cli info FILE [--json]: the tensors and metadata of a .safetensors file,
 * from its header alone. */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "ember/dtype.h"
#include "ember/error.h"
#include "ember/io.h"

static void info_usage(FILE *f)
{
    fprintf(f, "Usage: ember-cli info FILE [--json]\n\n"
               "Lists every tensor of a .safetensors file (name, dtype, shape, bytes) and its\n"
               "metadata, in file order, reading only the header. --json prints one JSON object:\n"
               "{\"metadata\": {...}, \"tensors\": [{\"name\", \"dtype\", \"shape\", \"data_offsets\"}, ...]}.\n");
}

static int print_json(const em_safetensors *st)
{
    json_object *root = json_object_new_object(), *meta = json_object_new_object(),
                *tensors = json_object_new_array();
    json_object_object_add(root, "metadata", meta);
    json_object_object_add(root, "tensors", tensors);
    for (int i = 0; i < em_safetensors_metadata_count(st); i++)
        json_object_object_add(meta, em_safetensors_metadata_key(st, i),
                               json_object_new_string(em_safetensors_metadata_value(st, i)));
    for (int i = 0; i < em_safetensors_count(st); i++) {
        json_object *t = json_object_new_object(), *shape = json_object_new_array(), *offs = json_object_new_array();
        json_object_object_add(t, "name", json_object_new_string(em_safetensors_name(st, i)));
        json_object_object_add(t, "dtype", json_object_new_string(em_safetensors_dtype_string(st, i)));
        const int64_t *sh = em_safetensors_shape(st, i);
        for (int d = 0; d < em_safetensors_ndim(st, i); d++)
            json_object_array_add(shape, json_object_new_int64(sh[d]));
        json_object_object_add(t, "shape", shape);
        uint64_t b, e;
        em_safetensors_data_offsets(st, i, &b, &e);
        json_object_array_add(offs, json_object_new_uint64(b));
        json_object_array_add(offs, json_object_new_uint64(e));
        json_object_object_add(t, "data_offsets", offs);
        json_object_array_add(tensors, t);
    }
    puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(root);
    return 0;
}

static void print_text(const char *path, const em_safetensors *st)
{
    int n = em_safetensors_count(st);
    uint64_t total = 0;
    size_t wname = 4;
    for (int i = 0; i < n; i++) {
        size_t l = strlen(em_safetensors_name(st, i));
        if (l > wname)
            wname = l;
    }
    if (wname > 60)
        wname = 60;
    printf("%s: %d tensor%s\n", path, n, n == 1 ? "" : "s");
    if (n)
        printf("  %-*s  %-7s  %-24s  %s\n", (int)wname, "name", "dtype", "shape", "bytes");
    for (int i = 0; i < n; i++) {
        char shape[256];
        int k = snprintf(shape, sizeof shape, "[");
        const int64_t *sh = em_safetensors_shape(st, i);
        for (int d = 0; d < em_safetensors_ndim(st, i); d++)
            k += snprintf(shape + k, sizeof shape - k, "%s%" PRId64, d ? ", " : "", sh[d]);
        snprintf(shape + k, sizeof shape - k, "]");
        uint64_t b, e;
        em_safetensors_data_offsets(st, i, &b, &e);
        total += e - b;
        printf("  %-*s  %-7s  %-24s  %" PRIu64 "\n", (int)wname, em_safetensors_name(st, i),
               em_safetensors_dtype_string(st, i), shape, e - b);
    }
    printf("total: %" PRIu64 " bytes\n", total);
    int nm = em_safetensors_metadata_count(st);
    if (nm) {
        printf("metadata:\n");
        for (int i = 0; i < nm; i++)
            printf("  %s: %s\n", em_safetensors_metadata_key(st, i), em_safetensors_metadata_value(st, i));
    }
}

static int run(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            info_usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "ember-cli info: unknown option '%s' (see 'ember-cli info --help')\n", argv[i]);
            return 2;
        } else if (path) {
            fprintf(stderr, "ember-cli info: more than one file given\n");
            return 2;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        info_usage(stderr);
        return 2;
    }
    em_safetensors *st = em_safetensors_open_header(path);
    if (!st) {
        /* messages name the file; keep them on one line */
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", em_error_message());
        for (char *p = msg; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
        fprintf(stderr, "ember-cli info: %s\n", msg);
        return 1;
    }
    if (json)
        print_json(st);
    else
        print_text(path, st);
    em_safetensors_close(st);
    return 0;
}

const em_cli_command em_cli_cmd_info = {"info", "list the tensors and metadata of a .safetensors file", run};

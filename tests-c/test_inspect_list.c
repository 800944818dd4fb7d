/* nscore_inspect_list and nscore_ns_list_*: the typed rows of lsns, against /proc and against
 * nscore_inspect_list_json. */
#include "test.h"

/* The index of the row of kind `ns` and inode `inode`, or -1. */
static long find_row(const nscore_ns_list *list, uint32_t ns, unsigned long long inode, nscore_ns_entry *row)
{
    size_t n = nscore_ns_list_count(list);
    for (size_t i = 0; i < n; i++) {
        nscore_error *err = NULL;
        if (nscore_ns_list_get(list, i, row, &err) != 0) {
            t_fail(__FILE__, __LINE__, "nscore_ns_list_get", -1, err);
            nscore_error_free(err);
            return -1;
        }
        if (row->ns == ns && row->inode == inode) return (long)i;
    }
    return -1;
}

/* A container in new UTS and network namespaces shows up in the list with its own inodes, one
 * process, its pid and command; the JSON list has the same row. */
static void container_rows(void)
{
    const char *argv[] = {"sleep", "30", NULL};
    nscore_spawn_config *cfg = t_config(argv, NSCORE_NS_UTS | NSCORE_NS_NET);
    nscore_container *c = NULL;
    nscore_ns_list *list = NULL;
    nscore_ns_entry row;
    char *json = NULL, needle[256];
    struct stat st;
    pid_t pid;
    long i;
    REQUIRE(cfg != NULL);
    OK(nscore_spawn(cfg, &c, &err));
    pid = nscore_container_pid(c);

    OK(nscore_inspect_list(NSCORE_NS_UTS | NSCORE_NS_NET, &list, &err));
    REQUIRE(list != NULL);
    CHECK(nscore_ns_list_count(list) >= 2);
    for (unsigned k = 0; k < 2; k++) {
        uint32_t ns = k == 0 ? NSCORE_NS_UTS : NSCORE_NS_NET;
        const char *name = nscore_namespace_name(ns);
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, name);
        REQUIRE(stat(path, &st) == 0);
        memset(&row, 0xa5, sizeof row);
        i = find_row(list, ns, (unsigned long long)st.st_ino, &row);
        if (i < 0) fprintf(stderr, "no %s row with inode %llu\n", name, (unsigned long long)st.st_ino);
        REQUIRE(i >= 0);
        CHECK(row.pid == pid);
        CHECK(row.nprocs >= 1);
        CHECK(row.uid == (uint32_t)geteuid());
        CHECK(row.reserved == 0);
        CHECK(row.device == (uint64_t)st.st_dev);
        CHECK(row.parent_inode == 0); /* only pid and user namespaces have one */
        CHECK(nscore_ns_list_command(list, (size_t)i) != NULL &&
              strcmp(nscore_ns_list_command(list, (size_t)i), "sleep 30") == 0);

        /* The JSON list describes the same namespace the same way. */
        OK(nscore_inspect_list_json(ns, &json, &err));
        snprintf(needle, sizeof needle,
                 "{\"ns\":%llu,\"type\":\"%s\",\"nprocs\":%llu,\"pid\":%d,\"uid\":%u,\"command\":\"sleep 30\"}",
                 (unsigned long long)row.inode, name, (unsigned long long)row.nprocs, (int)row.pid, (unsigned)row.uid);
        if (json == NULL || strstr(json, needle) == NULL) fprintf(stderr, "JSON lacks %s\n", needle);
        CHECK(json != NULL && strstr(json, needle) != NULL);
        nscore_string_free(json);
        json = NULL;
    }
    /* Only the kinds asked for, in kind order, then by inode. */
    for (size_t j = 0, n = nscore_ns_list_count(list); j < n; j++) {
        nscore_ns_entry prev = row;
        OK(nscore_ns_list_get(list, j, &row, &err));
        CHECK(row.ns == NSCORE_NS_UTS || row.ns == NSCORE_NS_NET);
        if (j > 0) CHECK(prev.ns < row.ns || (prev.ns == row.ns && prev.inode < row.inode));
    }
    nscore_ns_list_free(list);
    list = NULL;

    /* Every kind: the caller's own user namespace has a row, with this process or a lower one. */
    OK(nscore_inspect_list(NSCORE_NS_ALL, &list, &err));
    i = find_row(list, NSCORE_NS_USER, t_ns_inode(0, "user"), &row);
    CHECK(i >= 0 && row.pid <= getpid() && row.nprocs >= 1);
    nscore_ns_list_free(list);
    list = NULL;

    /* No kind: an empty list, as the JSON one. */
    OK(nscore_inspect_list(0, &list, &err));
    CHECK(list != NULL && nscore_ns_list_count(list) == 0);
    CHECK(nscore_ns_list_command(list, 0) == NULL);
out:
    nscore_string_free(json);
    nscore_ns_list_free(list);
    if (c != NULL) nscore_container_stop(c, 100, NULL, NULL);
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
}

/* Bad input: NSCORE_EINVAL with a message naming what was wrong; NULL handles are harmless. */
static void bad_input(void)
{
    nscore_ns_list *list = NULL;
    nscore_ns_entry row;
    size_t n;
    FAILS(nscore_inspect_list(NSCORE_NS_NET, NULL, &err), NSCORE_EINVAL, "out is NULL");
    list = (nscore_ns_list *)&row; /* must be reset to NULL on failure */
    FAILS(nscore_inspect_list(1u << 8, &list, &err), NSCORE_EINVAL, "unknown namespace flag bits 0x100");
    CHECK(list == NULL);
    CHECK(nscore_inspect_list(1u << 31, &list, NULL) == NSCORE_EINVAL); /* err may be NULL */

    OK(nscore_inspect_list(NSCORE_NS_MNT, &list, &err));
    n = nscore_ns_list_count(list);
    CHECK(n >= 1);
    FAILS(nscore_ns_list_get(list, n, &row, &err), NSCORE_EINVAL, "out of range");
    FAILS(nscore_ns_list_get(list, (size_t)-1, &row, &err), NSCORE_EINVAL, "index");
    FAILS(nscore_ns_list_get(list, 0, NULL, &err), NSCORE_EINVAL, "out is NULL");
    FAILS(nscore_ns_list_get(NULL, 0, &row, &err), NSCORE_EINVAL, "list is NULL");
    CHECK(nscore_ns_list_command(list, n) == NULL);
    CHECK(nscore_ns_list_command(list, (size_t)-1) == NULL);
    CHECK(nscore_ns_list_command(NULL, 0) == NULL);
    CHECK(nscore_ns_list_count(NULL) == 0);
    OK(nscore_ns_list_get(list, 0, &row, &err));
    CHECK(row.ns == NSCORE_NS_MNT && row.nprocs >= 1 && row.inode != 0);
out:
    nscore_ns_list_free(list);
    nscore_ns_list_free(NULL);
}

int main(void)
{
    alarm(60);
    bad_input();
    if (geteuid() != 0) {
        printf("needs root\n");
        return T_SKIP;
    }
    container_rows();
    return t_result();
}

/* Root filesystems and mounts: a container in a rootfs of its own (pivot_root, the host's tree
 * unreachable), a read-only root, the default mounts, masked and read-only paths, bind mounts
 * with each propagation mode, bad input, and the symlink escapes of runc's CVE-2019-16884 and
 * CVE-2025-31133 classes.
 *
 * The rootfs is built once by tools/make-test-rootfs.sh (the host's own sh, cat, mount, ...) in
 * a fresh directory under /tmp, removed at the end whatever happened. Each case waits on its
 * container's stdin (a pipe) before it reports, so the mounts can be checked from outside
 * (/proc/PID/mountinfo) while it runs; its stdout is a pipe too.
 *
 * As root the test first moves into a mount namespace of its own, so that the host mounts the
 * propagation case makes can never outlive a crash in the host's namespace (they are unmounted
 * anyway). Unprivileged (run.sh runs it as uid 65534 too) every container gets a user namespace
 * with root mapped to the caller; the propagation case, which mounts on the host, is root only. */
#include "test.h"

#include <limits.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>

static int rootless;                /* not root: containers get NSCORE_NS_USER + map_root_user */
static char repo[PATH_MAX];         /* the repository, found from this file's path */
static char base[64];               /* mkdtemp: everything the test creates on the host */
static char rootfs[PATH_MAX];       /* base/root */

/* ---- Helpers ----------------------------------------------------------------------------- */

/* Runs a shell command line; returns its exit status (-1 if it could not run). */
static int run_shell(const char *fmt, ...)
{
    char cmd[2 * PATH_MAX];
    va_list ap;
    int s;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    s = system(cmd);
    return (s != -1 && WIFEXITED(s)) ? WEXITSTATUS(s) : -1;
}

/* Writes `text` to `path` (created 0644 or truncated); returns 0 or -1. */
static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ssize_t n;
    if (fd < 0) return -1;
    n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* The contents of a file (NUL-terminated), or "" if it cannot be read. */
static const char *read_file(const char *path, char *buf, size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    buf[0] = '\0';
    if (fd >= 0) {
        t_read_all(fd, buf, n);
        close(fd);
    }
    return buf;
}

/* The namespaces of every container here: PID, IPC, UTS, mount (and net, if `net`); a user
 * namespace when unprivileged. */
static uint32_t namespaces(int net)
{
    uint32_t ns = NSCORE_NS_PID | NSCORE_NS_IPC | NSCORE_NS_UTS | NSCORE_NS_MNT;
    if (net) ns |= NSCORE_NS_NET;
    if (rootless) ns |= NSCORE_NS_USER;
    return ns;
}

/* A configuration running `sh -c script` in the rootfs; NULL on failure. */
static nscore_spawn_config *root_config(const char *script, uint32_t ns, int readonly)
{
    const char *argv[] = {"sh", "-c", script, NULL};
    nscore_spawn_config *cfg = t_config(argv, ns);
    REQUIRE(cfg != NULL);
    OK(nscore_spawn_config_set_root(cfg, rootfs, readonly, &err));
    if (rootless) OK(nscore_spawn_config_set_map_root_user(cfg, 1, &err));
    return cfg;
out:
    nscore_spawn_config_free(cfg);
    return NULL;
}

/* A running container whose stdin and stdout are pipes of ours. */
struct box {
    nscore_container *c;
    pid_t pid;
    int in;  /* our end of its stdin */
    int out; /* our end of its stdout */
    char buf[8192];
    size_t len;
};

static void box_free(struct box *b)
{
    if (b->in >= 0) close(b->in);
    if (b->out >= 0) close(b->out);
    b->in = b->out = -1;
    nscore_container_free(b->c); /* kills and reaps one still running */
    b->c = NULL;
}

/* Starts cfg with stdin and stdout on pipes; 0, or -1 (reported). */
static int box_start(nscore_spawn_config *cfg, struct box *b)
{
    int in[2] = {-1, -1}, o[2] = {-1, -1};
    int rc = -1;
    memset(b, 0, sizeof *b);
    b->in = b->out = -1;
    REQUIRE(pipe2(in, O_CLOEXEC) == 0);
    REQUIRE(pipe2(o, O_CLOEXEC) == 0);
    OK(nscore_spawn_config_set_stdio(cfg, 0, NSCORE_STDIO_FD, in[0], &err));
    OK(nscore_spawn_config_set_stdio(cfg, 1, NSCORE_STDIO_FD, o[1], &err));
    OK(nscore_spawn(cfg, &b->c, &err));
    b->pid = nscore_container_pid(b->c);
    b->in = in[1];
    b->out = o[0];
    in[1] = o[0] = -1;
    rc = 0;
out:
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0) close(in[i]);
        if (o[i] >= 0) close(o[i]);
    }
    return rc;
}

/* Sends a line to the container's stdin (its `read`). */
static int box_send(struct box *b, const char *line)
{
    return write(b->in, line, strlen(line)) == (ssize_t)strlen(line) ? 0 : -1;
}

/* Reads the container's stdout until it holds `marker` (NULL: until EOF), 10 s at most.
 * Returns 1 if the marker (or EOF) was reached. b->buf holds everything read so far. */
static int box_read(struct box *b, const char *marker)
{
    for (;;) {
        struct pollfd p = {b->out, POLLIN, 0};
        ssize_t r;
        if (marker != NULL && strstr(b->buf, marker) != NULL) return 1;
        if (poll(&p, 1, 10000) <= 0) {
            fprintf(stderr, "container output so far:\n%s\n(waited 10 s for %s)\n", b->buf, marker ? marker : "EOF");
            return 0;
        }
        if (b->len + 1 >= sizeof b->buf) return 0;
        r = read(b->out, b->buf + b->len, sizeof b->buf - 1 - b->len);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return marker == NULL;
        b->len += (size_t)r;
        b->buf[b->len] = '\0';
    }
}

/* Closes its stdin, reads its stdout to EOF and reaps it; the wait status, or -1. */
static int box_finish(struct box *b)
{
    int s = -1;
    close(b->in);
    b->in = -1;
    REQUIRE(box_read(b, NULL));
    OK(nscore_container_wait(b->c, 10000, &s, &err));
out:
    box_free(b);
    return s;
}

/* Checks that the container's whole output is `expect`. */
#define CHECK_OUTPUT(b, expect)                                                                               \
    do {                                                                                                      \
        if (strcmp((b)->buf, (expect)) != 0) fprintf(stderr, "inside saw:\n%sexpected:\n%s", (b)->buf, (expect)); \
        CHECK(strcmp((b)->buf, (expect)) == 0);                                                               \
    } while (0)

/* One line of /proc/PID/mountinfo. */
struct mnt {
    char root[PATH_MAX];
    char target[PATH_MAX];
    char options[256];   /* per-mount options: rw,nosuid,... */
    char optional[256];  /* shared:N master:N unbindable (space separated) */
    char fstype[64];
    char super[512];     /* the superblock's options: size=1024k,mode=1777 */
};

static int parse_mountinfo_line(char *line, struct mnt *m)
{
    char *save = NULL, *tok;
    int field = 0, after_dash = 0;
    memset(m, 0, sizeof *m);
    for (tok = strtok_r(line, " \n", &save); tok != NULL; tok = strtok_r(NULL, " \n", &save), field++) {
        if (after_dash) {
            if (after_dash == 1) snprintf(m->fstype, sizeof m->fstype, "%s", tok);
            if (after_dash == 3) snprintf(m->super, sizeof m->super, "%s", tok);
            after_dash++;
            continue;
        }
        switch (field) {
        case 3: snprintf(m->root, sizeof m->root, "%s", tok); break;
        case 4: snprintf(m->target, sizeof m->target, "%s", tok); break;
        case 5: snprintf(m->options, sizeof m->options, "%s", tok); break;
        default:
            if (field < 6) break;
            if (strcmp(tok, "-") == 0) {
                after_dash = 1;
            } else {
                size_t n = strlen(m->optional);
                snprintf(m->optional + n, sizeof m->optional - n, "%s%s", n ? " " : "", tok);
            }
        }
    }
    return after_dash > 3;
}

/* Finds the topmost mount on `target` in /proc/PID/mountinfo (pid 0: ours). 1 if found. */
static int find_mount(pid_t pid, const char *target, struct mnt *out)
{
    char path[64], *line = NULL;
    size_t cap = 0;
    int found = 0;
    FILE *f;
    struct mnt m;
    if (pid == 0)
        snprintf(path, sizeof path, "/proc/self/mountinfo");
    else
        snprintf(path, sizeof path, "/proc/%d/mountinfo", (int)pid);
    f = fopen(path, "re");
    if (f == NULL) return 0;
    while (getline(&line, &cap, f) > 0)
        if (parse_mountinfo_line(line, &m) && strcmp(m.target, target) == 0) {
            *out = m;
            found = 1;
        }
    free(line);
    fclose(f);
    return found;
}

/* True if the comma-separated list holds `word`. */
static int has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; p != NULL; p = strchr(p, ','), p = p ? p + 1 : NULL)
        if (strncmp(p, word, n) == 0 && (p[n] == ',' || p[n] == '\0')) return 1;
    return 0;
}

/* Checks the mount on `target` of pid: it exists, of `fstype` (NULL: any), and its per-mount
 * options hold each word of `options` (comma-separated, NULL: none). */
#define CHECK_MOUNT(pid, target, fstype, options) check_mount(__LINE__, (pid), (target), (fstype), (options))

static void check_mount(int line, pid_t pid, const char *target, const char *fstype, const char *options)
{
    struct mnt m;
    char words[256], *save = NULL;
    if (!find_mount(pid, target, &m)) {
        fprintf(stderr, "line %d: no mount on %s in /proc/%d/mountinfo\n", line, target, (int)pid);
        CHECK(!"mount missing");
        return;
    }
    if (fstype != NULL && strcmp(m.fstype, fstype) != 0) {
        fprintf(stderr, "line %d: %s is %s, expected %s\n", line, target, m.fstype, fstype);
        CHECK(!"wrong filesystem type");
    }
    snprintf(words, sizeof words, "%s", options ? options : "");
    for (char *w = strtok_r(words, ",", &save); w != NULL; w = strtok_r(NULL, ",", &save))
        if (!has_word(m.options, w)) {
            fprintf(stderr, "line %d: %s has options %s, expected %s among them\n", line, target, m.options, w);
            CHECK(!"mount option missing");
        }
}

/* The mounts a failed spawn could have left behind. As root: every mount of our namespace (main
 * gave us one of our own). Unprivileged, our namespace is the host's, where other programs may
 * mount meanwhile: those on / and under base only. */
static int mount_count(void)
{
    char *line = NULL;
    size_t cap = 0;
    int n = 0;
    struct mnt m;
    FILE *f;
    if (!rootless) return t_count_lines("/proc/self/mountinfo");
    f = fopen("/proc/self/mountinfo", "re");
    if (f == NULL) return -1;
    while (getline(&line, &cap, f) > 0)
        if (parse_mountinfo_line(line, &m) &&
            (strcmp(m.target, "/") == 0 || strncmp(m.target, base, strlen(base)) == 0))
            n++;
    free(line);
    fclose(f);
    return n;
}

/* Counts the mount points at `path` in our mountinfo (stacked mounts count each). */
static int mounts_on(const char *path)
{
    char *line = NULL;
    size_t cap = 0;
    int n = 0;
    struct mnt m;
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (f == NULL) return -1;
    while (getline(&line, &cap, f) > 0)
        if (parse_mountinfo_line(line, &m) && strcmp(m.target, path) == 0) n++;
    free(line);
    fclose(f);
    return n;
}

/* Unmounts everything on `path` (MNT_DETACH), stacked mounts included. */
static void umount_all(const char *path)
{
    for (int i = 0; i < 16 && mounts_on(path) > 0; i++)
        if (umount2(path, MNT_DETACH) != 0) break;
}

/* Unmounts every mount of ours under base (deepest first): the cleanup of last resort, before
 * base is removed. */
static void umount_under_base(void)
{
    for (int pass = 0; pass < 8; pass++) {
        char *line = NULL, deepest[PATH_MAX] = "";
        size_t cap = 0;
        struct mnt m;
        FILE *f = fopen("/proc/self/mountinfo", "re");
        if (f == NULL) return;
        while (getline(&line, &cap, f) > 0)
            if (parse_mountinfo_line(line, &m) && strncmp(m.target, base, strlen(base)) == 0 &&
                strlen(m.target) > strlen(deepest))
                snprintf(deepest, sizeof deepest, "%s", m.target);
        free(line);
        fclose(f);
        if (deepest[0] == '\0') return;
        fprintf(stderr, "cleanup: unmounting %s\n", deepest);
        umount_all(deepest);
    }
}

/* ---- Cases ------------------------------------------------------------------------------- */

/* pid + ipc + uts + mount + net: the container's / is the rootfs, PID 1's root is "/", and no
 * path of the host (this repository) exists inside; only the rootfs and its mounts are there. */
static void isolated_root(void)
{
    char script[PATH_MAX + 256], want[PATH_MAX + 64], *line = NULL, *json = NULL, path[64];
    nscore_spawn_config *cfg;
    struct box b = {.in = -1, .out = -1};
    struct mnt m;
    struct stat theirs, ours;
    size_t cap = 0;
    FILE *f = NULL;
    snprintf(script, sizeof script,
             "read x; test -e '%s' && echo host-visible || echo host-hidden; readlink /proc/1/root; echo $$; id -u; "
             "test -x /bin/sh && echo has-sh",
             repo);
    cfg = root_config(script, namespaces(1), 0);
    REQUIRE(cfg != NULL);
    REQUIRE(box_start(cfg, &b) == 0);
    /* From outside: its root is the rootfs, and its mount table holds the rootfs and the
     * default mounts only (none of the host's mounts came along). */
    snprintf(path, sizeof path, "/proc/%d/root", (int)b.pid);
    CHECK(stat(path, &theirs) == 0 && stat(rootfs, &ours) == 0);
    CHECK(theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino);
    REQUIRE(find_mount(b.pid, "/", &m));
    CHECK(strcmp(m.root, rootfs) == 0);
    /* The same through the library's inspection: / is the rootfs, private. */
    OK(nscore_inspect_mounts_json(b.pid, &json, &err));
    snprintf(want, sizeof want, "\"root\":\"%s\",\"target\":\"/\",", rootfs);
    if (strstr(json, want) == NULL || strstr(json, "\"target\":\"/dev/pts\"") == NULL)
        fprintf(stderr, "mounts json: %s\nexpected %s and /dev/pts in it\n", json, want);
    CHECK(strstr(json, want) != NULL && strstr(json, "\"target\":\"/dev/pts\"") != NULL);
    snprintf(path, sizeof path, "/proc/%d/mountinfo", (int)b.pid);
    f = fopen(path, "re");
    REQUIRE(f != NULL);
    while (getline(&line, &cap, f) > 0) {
        if (!parse_mountinfo_line(line, &m)) continue;
        if (strcmp(m.target, "/") != 0 && strncmp(m.target, "/proc", 5) != 0 && strncmp(m.target, "/dev", 4) != 0 &&
            strncmp(m.target, "/sys", 4) != 0) {
            fprintf(stderr, "unexpected mount in the container: %s (%s)\n", m.target, m.fstype);
            CHECK(!"only the rootfs and the default mounts");
        }
    }
    REQUIRE(box_send(&b, "go\n") == 0);
    CHECK(box_finish(&b) == 0);
    CHECK_OUTPUT(&b, "host-hidden\n/\n1\n0\nhas-sh\n");
out:
    nscore_string_free(json);
    free(line);
    if (f != NULL) fclose(f);
    box_free(&b);
    nscore_spawn_config_free(cfg);
}

/* A read-only root refuses writes; a tmpfs on /tmp (size=1m, mode=1777) stays writable, its
 * size and mode in mountinfo; nothing reaches the host's rootfs directory. */
static void readonly_root(void)
{
    const char *tmpfs_opts[] = {"size=1m", "mode=1777", NULL};
    char path[PATH_MAX + 16];
    nscore_spawn_config *cfg = root_config("read x; touch /x 2>/dev/null && echo root-writable || echo root-ro; "
                                           "touch /tmp/y && echo tmp-writable; stat -c %a /tmp; ls /tmp",
                                           namespaces(1), 1);
    struct box b = {.in = -1, .out = -1};
    struct mnt m;
    struct stat st;
    REQUIRE(cfg != NULL);
    OK(nscore_spawn_config_add_mount(cfg, "/tmp", "tmpfs", "tmpfs", tmpfs_opts, &err));
    REQUIRE(box_start(cfg, &b) == 0);
    CHECK_MOUNT(b.pid, "/", NULL, "ro");
    CHECK_MOUNT(b.pid, "/tmp", "tmpfs", "rw");
    /* tmpfs shows its mode only when it is not the default 1777: check it with stat. */
    if (find_mount(b.pid, "/tmp", &m)) {
        if (!has_word(m.super, "size=1024k") || strstr(m.super, "mode=") != NULL)
            fprintf(stderr, "/tmp super options: %s\n", m.super);
        CHECK(has_word(m.super, "size=1024k") && strstr(m.super, "mode=") == NULL);
    }
    snprintf(path, sizeof path, "/proc/%d/root/tmp", (int)b.pid);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 01777);
    REQUIRE(box_send(&b, "go\n") == 0);
    CHECK(box_finish(&b) == 0);
    CHECK_OUTPUT(&b, "root-ro\ntmp-writable\n1777\ny\n");
    snprintf(path, sizeof path, "%s/x", rootfs);
    CHECK(access(path, F_OK) != 0);
    snprintf(path, sizeof path, "%s/tmp/y", rootfs);
    CHECK(access(path, F_OK) != 0);
out:
    snprintf(path, sizeof path, "%s/x", rootfs);
    unlink(path);
    snprintf(path, sizeof path, "%s/tmp/y", rootfs);
    unlink(path);
    box_free(&b);
    nscore_spawn_config_free(cfg);
}

/* NSCORE_ROOT_IDMAP: under a range map, the host root's files are the container root's, and
 * what it writes is the host root's. Unprivileged, the parent cannot idmap the host's
 * filesystem: refused, saying why. */
static void idmapped_root(void)
{
    char path[PATH_MAX + 16];
    struct stat st;
    struct box b = {.in = -1, .out = -1};
    const char *argv[] = {"sh", "-c", "stat -c %u:%g /bin/sh; touch /idmapped && echo wrote", NULL};
    nscore_spawn_config *cfg = t_config(argv, namespaces(0) | NSCORE_NS_USER);
    nscore_container *c = NULL;
    snprintf(path, sizeof path, "%s/idmapped", rootfs);
    REQUIRE(cfg != NULL);
    OK(nscore_spawn_config_set_root(cfg, rootfs, NSCORE_ROOT_IDMAP, &err));
    if (rootless) {
        OK(nscore_spawn_config_set_map_root_user(cfg, 1, &err));
        FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EPERM, "idmapping a mount needs CAP_SYS_ADMIN");
        CHECK(c == NULL);
        goto out;
    }
    OK(nscore_spawn_config_add_uid_mapping(cfg, 0, 100000, 65536, &err));
    OK(nscore_spawn_config_add_gid_mapping(cfg, 0, 100000, 65536, &err));
    REQUIRE(box_start(cfg, &b) == 0);
    CHECK(box_finish(&b) == 0);
    CHECK_OUTPUT(&b, "0:0\nwrote\n");
    CHECK(stat(path, &st) == 0 && st.st_uid == 0 && st.st_gid == 0);
out:
    unlink(path);
    box_free(&b);
    nscore_spawn_config_free(cfg);
}

/* The default mounts, with their options; sysfs read-only without a new network namespace and
 * writable with one; default_mounts=0 leaves /dev, /proc and /sys as the rootfs has them. */
static void default_mounts(void)
{
    static const char *const devs[] = {"fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm",
                                       "stderr", "stdin", "stdout", "tty", "urandom", "zero"};
    char marker[PATH_MAX + 16], want[64];
    nscore_spawn_config *cfg = root_config("read x; stat -c '%F %t:%T' /dev/null /dev/zero; "
                                           "echo hi > /dev/null && echo null-writable; ls /dev",
                                           namespaces(0), 0);
    struct box b = {.in = -1, .out = -1};
    snprintf(marker, sizeof marker, "%s/dev/marker", rootfs);
    REQUIRE(cfg != NULL);
    REQUIRE(box_start(cfg, &b) == 0);
    CHECK_MOUNT(b.pid, "/proc", "proc", "nosuid,nodev,noexec");
    CHECK_MOUNT(b.pid, "/dev", "tmpfs", "nosuid");
    CHECK_MOUNT(b.pid, "/dev/pts", "devpts", "nosuid,noexec");
    CHECK_MOUNT(b.pid, "/dev/shm", "tmpfs", "nosuid,nodev,noexec");
    CHECK_MOUNT(b.pid, "/dev/mqueue", "mqueue", "nosuid,nodev,noexec");
    CHECK_MOUNT(b.pid, "/sys", "sysfs", "ro");
    REQUIRE(box_send(&b, "go\n") == 0);
    CHECK(box_finish(&b) == 0);
    CHECK(strncmp(b.buf, "character special file 1:3\ncharacter special file 1:5\nnull-writable\n", 68) == 0);
    for (size_t i = 0; i < sizeof devs / sizeof devs[0]; i++) {
        snprintf(want, sizeof want, "\n%s\n", devs[i]);
        if (strstr(b.buf, want) == NULL) fprintf(stderr, "no /dev/%s in:\n%s", devs[i], b.buf);
        CHECK(strstr(b.buf, want) != NULL);
    }

    /* A new network namespace: sysfs is its own and writable. */
    nscore_spawn_config_free(cfg);
    cfg = root_config("read x; exit 0", namespaces(1), 0);
    REQUIRE(cfg != NULL);
    REQUIRE(box_start(cfg, &b) == 0);
    CHECK_MOUNT(b.pid, "/sys", "sysfs", "rw,nosuid,nodev,noexec");
    CHECK(box_finish(&b) == 0);

    /* No default mounts: /dev holds only what the rootfs has, /proc is the empty directory, and
     * the root is the only mount (the default masked and read-only paths do not exist). */
    REQUIRE(write_file(marker, "") == 0);
    nscore_spawn_config_free(cfg);
    cfg = root_config("read x; ls -A /dev; ls -A /proc | wc -l", namespaces(1), 0);
    REQUIRE(cfg != NULL);
    OK(nscore_spawn_config_set_default_mounts(cfg, 0, &err));
    REQUIRE(box_start(cfg, &b) == 0);
    {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/mountinfo", (int)b.pid);
        if (t_count_lines(path) != 1) run_shell("cat %s >&2", path);
        CHECK(t_count_lines(path) == 1);
    }
    REQUIRE(box_send(&b, "go\n") == 0);
    CHECK(box_finish(&b) == 0);
    CHECK_OUTPUT(&b, "marker\n0\n");
out:
    unlink(marker);
    box_free(&b);
    nscore_spawn_config_free(cfg);
}

/* Masked paths read empty (a file: /dev/null; a directory: an empty read-only tmpfs), /proc/sys
 * is read-only; an empty list turns masking (and read-only paths) off; custom lists apply. */
static void masked_and_readonly_paths(void)
{
    const char *none[] = {NULL};
    const char *masked[] = {"/etc/passwd", "/root", "/no/such/path", NULL};
    const char *ro[] = {"/tmp", NULL};
    const char *script = "read x; wc -c < /proc/interrupts; ls -A /sys/firmware 2>/dev/null | wc -l; "
                         "(echo nscore > /proc/sys/kernel/hostname) 2>/dev/null && echo procsys-writable || "
                         "echo procsys-ro";
    const char *procsys = rootless ? "procsys-ro" : "procsys-writable"; /* unmasked, as root it is ours */
    char marker[PATH_MAX + 16], word[32] = "";
    long interrupts = -1, firmware_entries = -1;
    nscore_spawn_config *cfg = root_config(script, namespaces(1), 0);
    struct box b = {.in = -1, .out = -1};
    struct mnt m;
    int firmware = access("/sys/firmware", F_OK) == 0;
    snprintf(marker, sizeof marker, "%s/root/marker", rootfs);
    REQUIRE(cfg != NULL);
    REQUIRE(box_start(cfg, &b) == 0);
    CHECK_MOUNT(b.pid, "/proc/interrupts", NULL, NULL);
    if (find_mount(b.pid, "/proc/interrupts", &m)) CHECK(strcmp(m.root, "/null") == 0); /* the host's /dev/null */
    if (firmware) CHECK_MOUNT(b.pid, "/sys/firmware", "tmpfs", "ro");
    CHECK_MOUNT(b.pid, "/proc/sys", "proc", "ro");
    REQUIRE(box_send(&b, "go\n") == 0);
    CHECK(box_finish(&b) == 0);
    CHECK_OUTPUT(&b, "0\n0\nprocsys-ro\n");

    /* Empty lists: nothing masked, nothing read-only (as root, /proc/sys/kernel/hostname of the
     * container's UTS namespace can then be written). */
    OK(nscore_spawn_config_set_masked_paths(cfg, none, &err));
    OK(nscore_spawn_config_set_readonly_paths(cfg, none, &err));
    REQUIRE(box_start(cfg, &b) == 0);
    CHECK(!find_mount(b.pid, "/proc/interrupts", &m));
    CHECK(!find_mount(b.pid, "/sys/firmware", &m));
    CHECK(!find_mount(b.pid, "/proc/sys", &m));
    REQUIRE(box_send(&b, "go\n") == 0);
    CHECK(box_finish(&b) == 0);
    CHECK(sscanf(b.buf, "%ld\n%ld\n%31s", &interrupts, &firmware_entries, word) == 3);
    if (interrupts <= 0 || (firmware && firmware_entries <= 0) || strcmp(word, procsys) != 0)
        fprintf(stderr, "unmasked, inside saw:\n%s", b.buf);
    CHECK(interrupts > 0);
    if (firmware) CHECK(firmware_entries > 0);
    CHECK(strcmp(word, procsys) == 0);

    /* Custom lists: a file and a directory of the rootfs masked (a missing path skipped), /tmp
     * read-only. */
    REQUIRE(write_file(marker, "") == 0);
    nscore_spawn_config_free(cfg);
    cfg = root_config("read x; wc -c < /etc/passwd; ls -A /root | wc -l; "
                      "touch /tmp/z 2>/dev/null && echo tmp-writable || echo tmp-ro; wc -c < /proc/interrupts",
                      namespaces(1), 0);
    REQUIRE(cfg != NULL);
    OK(nscore_spawn_config_set_masked_paths(cfg, masked, &err));
    OK(nscore_spawn_config_set_readonly_paths(cfg, ro, &err));
    REQUIRE(box_start(cfg, &b) == 0);
    CHECK_MOUNT(b.pid, "/root", "tmpfs", "ro");
    CHECK_MOUNT(b.pid, "/tmp", NULL, "ro");
    REQUIRE(box_send(&b, "go\n") == 0);
    CHECK(box_finish(&b) == 0);
    CHECK(strncmp(b.buf, "0\n0\ntmp-ro\n", 11) == 0 && strcmp(b.buf + 11, "0\n") != 0);
    if (strncmp(b.buf, "0\n0\ntmp-ro\n", 11) != 0) fprintf(stderr, "inside saw:\n%s", b.buf);

    /* NULL restores the defaults. */
    OK(nscore_spawn_config_set_masked_paths(cfg, NULL, &err));
    OK(nscore_spawn_config_set_readonly_paths(cfg, NULL, &err));
    REQUIRE(box_start(cfg, &b) == 0);
    CHECK_MOUNT(b.pid, "/proc/interrupts", NULL, NULL);
    CHECK_MOUNT(b.pid, "/proc/sys", NULL, "ro");
    CHECK(!find_mount(b.pid, "/root", &m));
    CHECK(box_finish(&b) == 0);
out:
    unlink(marker);
    box_free(&b);
    nscore_spawn_config_free(cfg);
}

/* Bind mounts: a read-only one (with rbind) refuses writes, a writable one writes through to
 * the host, and a file is bound onto a file created for it. */
static void bind_mounts(void)
{
    const char *ro_opts[] = {"rbind", "ro", NULL};
    const char *rw_opts[] = {"bind", NULL};
    const char *file_opts[] = {"bind", "ro", NULL};
    char vol[PATH_MAX], rw[PATH_MAX], file[PATH_MAX], path[PATH_MAX + 16], text[64];
    nscore_spawn_config *cfg = root_config(
        "read x; cat /data/f; (echo x > /data/f) 2>/dev/null && echo data-writable || echo data-ro; "
        "touch /data/new 2>/dev/null && echo data-writable || echo data-ro; touch /rw/new && echo rw-writable; "
        "cat /etc/hostfile; (echo x > /etc/hostfile) 2>/dev/null && echo file-writable || echo file-ro",
        namespaces(1), 0);
    struct box b = {.in = -1, .out = -1};
    snprintf(vol, sizeof vol, "%s/vol", base);
    snprintf(rw, sizeof rw, "%s/rwvol", base);
    snprintf(file, sizeof file, "%s/hostfile", base);
    REQUIRE(cfg != NULL);
    REQUIRE(mkdir(vol, 0755) == 0 && mkdir(rw, 0755) == 0);
    snprintf(path, sizeof path, "%s/f", vol);
    REQUIRE(write_file(path, "host\n") == 0 && write_file(file, "file\n") == 0);
    OK(nscore_spawn_config_add_mount(cfg, "/data", "bind", vol, ro_opts, &err));
    OK(nscore_spawn_config_add_mount(cfg, "/rw", NULL, rw, rw_opts, &err));
    OK(nscore_spawn_config_add_mount(cfg, "/etc/hostfile", "bind", file, file_opts, &err));
    REQUIRE(box_start(cfg, &b) == 0);
    CHECK_MOUNT(b.pid, "/data", NULL, "ro");
    CHECK_MOUNT(b.pid, "/rw", NULL, "rw");
    CHECK_MOUNT(b.pid, "/etc/hostfile", NULL, "ro");
    REQUIRE(box_send(&b, "go\n") == 0);
    CHECK(box_finish(&b) == 0);
    CHECK_OUTPUT(&b, "host\ndata-ro\ndata-ro\nrw-writable\nfile\nfile-ro\n");
    CHECK(strcmp(read_file(path, text, sizeof text), "host\n") == 0);
    CHECK(strcmp(read_file(file, text, sizeof text), "file\n") == 0);
    snprintf(path, sizeof path, "%s/new", vol);
    CHECK(access(path, F_OK) != 0);
    snprintf(path, sizeof path, "%s/new", rw);
    CHECK(access(path, F_OK) == 0);
out:
    /* The targets the spawn created in the rootfs, and the sources. */
    snprintf(path, sizeof path, "%s/data", rootfs);
    rmdir(path);
    snprintf(path, sizeof path, "%s/rw", rootfs);
    rmdir(path);
    snprintf(path, sizeof path, "%s/etc/hostfile", rootfs);
    unlink(path);
    run_shell("rm -rf --one-file-system '%s' '%s' '%s'", vol, rw, file);
    box_free(&b);
    nscore_spawn_config_free(cfg);
}

/* The propagation modes of a bind of a host directory that is a shared tmpfs: after the spawn
 * the host mounts a tmpfs under it (does the container receive it?), then the container
 * mounts one under its bind (does the host receive it?), and the bind's optional fields in the
 * container's mountinfo say what it is. Root only: it mounts on the host. */
struct propagation_case {
    const char *options[3];
    int receives;                   /* the host's mount appears inside */
    int sends;                      /* the container's mount appears on the host */
    int shared, master, unbindable; /* "shared:N", "master:N", "unbindable" in mountinfo */
};

static void bind_propagation(void)
{
    static const struct propagation_case cases[] = {
        {{"bind", "private", NULL}, 0, 0, 0, 0, 0},
        {{"bind", "shared", NULL}, 1, 1, 1, 0, 0},
        {{"bind", "slave", NULL}, 1, 0, 0, 1, 0},
        {{"bind", "shared+slave", NULL}, 1, 0, 1, 1, 0},
        {{"bind", "unbindable", NULL}, 0, 0, 0, 0, 1},
        {{"rbind", "rslave", NULL}, 1, 0, 0, 1, 0},
        {{"rbind", "rshared", NULL}, 1, 1, 1, 0, 0},
        /* No propagation word: the root's (private by default), as with runc and crun; never
         * a peer of the host's source, whose mounts the container's would then reach. */
        {{"bind", NULL, NULL}, 0, 0, 0, 0, 0},
        {{"rbind", NULL, NULL}, 0, 0, 0, 0, 0},
    };
    const char *script = "read x; grep -q ' /vol/fromhost ' /proc/self/mountinfo && echo received || "
                         "echo not-received; mount -n -t tmpfs tmpfs /vol/inside && echo mounted; "
                         "echo sync; read y; exit 0";
    char src[PATH_MAX], fromhost[PATH_MAX + 16], inside[PATH_MAX + 16], vol[PATH_MAX + 16];
    nscore_spawn_config *cfg = NULL;
    struct box b = {.in = -1, .out = -1};
    int src_mounted = 0;
    if (rootless) return;
    snprintf(src, sizeof src, "%s/src", base);
    snprintf(fromhost, sizeof fromhost, "%s/fromhost", src);
    snprintf(inside, sizeof inside, "%s/inside", src);
    snprintf(vol, sizeof vol, "%s/vol", rootfs);
    REQUIRE(mkdir(src, 0755) == 0);
    REQUIRE(mount("tmpfs", src, "tmpfs", 0, "size=1m") == 0);
    src_mounted = 1;
    REQUIRE(mount(NULL, src, NULL, MS_SHARED, NULL) == 0);
    REQUIRE(mkdir(fromhost, 0755) == 0 && mkdir(inside, 0755) == 0);

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct propagation_case *pc = &cases[i];
        char expect[64];
        struct mnt m;
        int sent, found;
        cfg = root_config(script, namespaces(1), 0);
        {
            /* The container mounts under its bind: CAP_SYS_ADMIN, beyond the default set. */
            const char *sys_admin[] = {"SYS_ADMIN", NULL};
            OK(nscore_process_config_adjust_capabilities(nscore_spawn_config_process(cfg), sys_admin, NULL, &err));
        }
        REQUIRE(cfg != NULL);
        OK(nscore_spawn_config_add_mount(cfg, "/vol", "bind", src, pc->options, &err));
        REQUIRE(box_start(cfg, &b) == 0);
        found = find_mount(b.pid, "/vol", &m);
        REQUIRE(mount("tmpfs", fromhost, "tmpfs", 0, "size=64k") == 0);
        REQUIRE(box_send(&b, "go\n") == 0);
        REQUIRE(box_read(&b, "sync\n"));
        sent = mounts_on(inside) > 0;
        snprintf(expect, sizeof expect, "%s\nmounted\nsync\n", pc->receives ? "received" : "not-received");
        if (strcmp(b.buf, expect) != 0 || sent != pc->sends || !found ||
            (strstr(m.optional, "shared:") != NULL) != pc->shared ||
            (strstr(m.optional, "master:") != NULL) != pc->master ||
            (strstr(m.optional, "unbindable") != NULL) != pc->unbindable)
            fprintf(stderr,
                    "bind options %s,%s: inside saw:\n%s/vol: \"%s\"; the host %s the container's mount\n"
                    "expected:\n%s/vol: %s%s%s; the host %s the container's mount\n",
                    pc->options[0], pc->options[1] ? pc->options[1] : "(no propagation word)", b.buf,
                    found ? m.optional : "(no mount)", sent ? "received" : "did not receive", expect,
                    pc->shared ? "shared:N " : "", pc->master ? "master:N " : "",
                    pc->unbindable ? "unbindable" : (pc->shared || pc->master) ? "" : "(private: none)",
                    pc->sends ? "receives" : "does not receive");
        CHECK(strcmp(b.buf, expect) == 0);
        CHECK(sent == pc->sends);
        CHECK(found);
        CHECK((strstr(m.optional, "shared:") != NULL) == pc->shared);
        CHECK((strstr(m.optional, "master:") != NULL) == pc->master);
        CHECK((strstr(m.optional, "unbindable") != NULL) == pc->unbindable);
        CHECK(box_finish(&b) == 0);
        umount_all(inside);
        umount_all(fromhost);
        nscore_spawn_config_free(cfg);
        cfg = NULL;
    }
out:
    box_free(&b);
    nscore_spawn_config_free(cfg);
    umount_all(inside);
    umount_all(fromhost);
    if (src_mounted) umount_all(src);
    CHECK(mounts_on(src) == 0);
    rmdir(vol);
    rmdir(src);
}

/* Bad input: an error code and a message that names the problem, no container, no child and
 * no mount left behind. */
static void bad_input(void)
{
    const char *bind[] = {"bind", NULL};
    const char *bogus_propagation[] = {"rbind", "rsharedd", NULL};
    const char *bogus_data[] = {"nscore-bogus", NULL};
    const char *relative[] = {"proc", NULL};
    char file[PATH_MAX], missing[PATH_MAX];
    nscore_spawn_config *cfg = root_config("true", namespaces(1), 0);
    nscore_container *c = NULL;
    int mounts_before = mount_count();
    snprintf(file, sizeof file, "%s/regular-file", base);
    snprintf(missing, sizeof missing, "%s/does-not-exist", base);
    REQUIRE(cfg != NULL);
    REQUIRE(write_file(file, "") == 0);

    /* Checked by the setters. */
    FAILS(nscore_spawn_config_add_mount(cfg, NULL, "tmpfs", "tmpfs", NULL, &err), NSCORE_EINVAL, "destination");
    FAILS(nscore_spawn_config_set_root(cfg, rootfs, 4, &err), NSCORE_EINVAL, "NSCORE_ROOT_READONLY (1) and NSCORE_ROOT_IDMAP (2)");
    FAILS(nscore_spawn_config_set_root(cfg, "", 0, &err), NSCORE_EINVAL, "path");
    FAILS(nscore_spawn_config_set_default_mounts(cfg, -1, &err), NSCORE_EINVAL, "0 or 1");
    FAILS(nscore_spawn_config_add_mount(NULL, "/x", "tmpfs", "tmpfs", NULL, &err), NSCORE_EINVAL, "cfg");
    FAILS(nscore_spawn_config_set_masked_paths(NULL, NULL, &err), NSCORE_EINVAL, "cfg");

    /* Checked at spawn, each mount named. */
    OK(nscore_spawn_config_add_mount(cfg, "/x", "bind", "/nonexistent/nscore-src", bind, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_ENOTFOUND,
          "mounts[0] (bind /nonexistent/nscore-src on /x): source /nonexistent/nscore-src");
    OK(nscore_spawn_config_clear_mounts(cfg, &err));
    OK(nscore_spawn_config_add_mount(cfg, "/tmp", "tmpfs", "tmpfs", NULL, &err));
    OK(nscore_spawn_config_add_mount(cfg, "x", "tmpfs", "tmpfs", NULL, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EINVAL,
          "mounts[1] (tmpfs on x): destination 'x' is not an absolute path");
    OK(nscore_spawn_config_clear_mounts(cfg, &err));
    OK(nscore_spawn_config_add_mount(cfg, "/x", "nscorefs", NULL, NULL, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_ECHILD, "mounts[0] (nscorefs on /x): fsopen nscorefs: ENODEV");
    OK(nscore_spawn_config_clear_mounts(cfg, &err));
    OK(nscore_spawn_config_add_mount(cfg, "/x", NULL, rootfs, bogus_propagation, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EINVAL, "option 'rsharedd'");
    OK(nscore_spawn_config_clear_mounts(cfg, &err));
    OK(nscore_spawn_config_add_mount(cfg, "/x", "tmpfs", "tmpfs", bogus_data, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_ECHILD, "mounts[0] (tmpfs on /x): option nscore-bogus");
    OK(nscore_spawn_config_clear_mounts(cfg, &err));
    OK(nscore_spawn_config_add_mount(cfg, "/", "tmpfs", "tmpfs", NULL, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EINVAL, "root itself");
    OK(nscore_spawn_config_clear_mounts(cfg, &err));
    OK(nscore_spawn_config_add_mount(cfg, "/x", NULL, "tmpfs", NULL, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EINVAL, "no type");
    OK(nscore_spawn_config_clear_mounts(cfg, &err));
    OK(nscore_spawn_config_set_masked_paths(cfg, relative, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EINVAL, "maskedPaths[0] 'proc'");
    OK(nscore_spawn_config_set_masked_paths(cfg, NULL, &err));
    OK(nscore_spawn_config_set_readonly_paths(cfg, relative, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EINVAL, "readonlyPaths[0] 'proc'");
    OK(nscore_spawn_config_set_readonly_paths(cfg, NULL, &err));

    /* The root: a regular file, a missing directory, or no mount namespace. */
    OK(nscore_spawn_config_set_root(cfg, file, 0, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EINVAL, "not a directory");
    OK(nscore_spawn_config_set_root(cfg, missing, 0, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_ENOTFOUND, missing);
    OK(nscore_spawn_config_set_root(cfg, rootfs, 0, &err));
    OK(nscore_spawn_config_set_namespaces(cfg, namespaces(1) & ~NSCORE_NS_MNT, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EINVAL, "mount namespace");
    /* Mounts without a root need one too. */
    OK(nscore_spawn_config_set_root(cfg, NULL, 0, &err));
    OK(nscore_spawn_config_add_mount(cfg, "/x", "tmpfs", "tmpfs", NULL, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EINVAL, "mount namespace");
    OK(nscore_spawn_config_clear_mounts(cfg, &err));
    CHECK(c == NULL);

    /* The configuration still works once fixed. */
    OK(nscore_spawn_config_set_namespaces(cfg, namespaces(1), &err));
    OK(nscore_spawn_config_set_root(cfg, rootfs, 0, &err));
    OK(nscore_spawn(cfg, &c, &err));
    {
        int s = -1;
        OK(nscore_container_wait(c, 10000, &s, &err));
        CHECK(s == 0);
    }
out:
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
    unlink(file);
    {
        char path[PATH_MAX + 16];
        snprintf(path, sizeof path, "%s/x", rootfs);
        rmdir(path);
    }
    CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
    if (mount_count() != mounts_before)
        fprintf(stderr, "mountinfo lines: %d before, %d after\n", mounts_before, mount_count());
    CHECK(mount_count() == mounts_before);
}

/* CVE-2019-16884 class: the rootfs's /proc is a symlink to "/" (the host's root, if followed).
 * The spawn fails naming /proc and ELOOP, and mounts nothing. */
static void cve_proc_symlink(void)
{
    const char *none[] = {NULL};
    char proc[PATH_MAX + 16], saved[PATH_MAX + 16];
    nscore_spawn_config *cfg = root_config("true", namespaces(1), 0);
    nscore_container *c = NULL;
    nscore_error *e = NULL;
    int mounts_before = mount_count(), on_root = mounts_on("/"), moved = 0, rc;
    snprintf(proc, sizeof proc, "%s/proc", rootfs);
    snprintf(saved, sizeof saved, "%s/proc.saved", rootfs);
    REQUIRE(cfg != NULL);
    REQUIRE(rename(proc, saved) == 0);
    moved = 1;
    REQUIRE(symlink("/", proc) == 0);
    rc = nscore_spawn(cfg, &c, &e);
    if (rc != NSCORE_ECHILD || e == NULL || strstr(nscore_error_message(e), "proc") == NULL ||
        strstr(nscore_error_message(e), "ELOOP") == NULL || nscore_error_sys_errno(e) != ELOOP)
        t_fail(__FILE__, __LINE__, "spawn with /proc -> / must fail with ELOOP naming /proc", rc, e);
    CHECK(c == NULL);
    CHECK(mount_count() == mounts_before);
    CHECK(mounts_on("/") == on_root);
    /* Without the default mounts, the default masked paths under /proc still refuse the link. */
    OK(nscore_spawn_config_set_default_mounts(cfg, 0, &err));
    FAILS(nscore_spawn(cfg, &c, &err), NSCORE_ECHILD, "mask /proc/asound: ELOOP");
    CHECK(c == NULL);
    /* Nothing under /proc at all: the spawn works, and the link leads nowhere but to "/". */
    OK(nscore_spawn_config_set_masked_paths(cfg, none, &err));
    OK(nscore_spawn_config_set_readonly_paths(cfg, none, &err));
    OK(nscore_spawn(cfg, &c, &err));
    OK(nscore_container_wait(c, 10000, NULL, &err));
out:
    nscore_error_free(e);
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
    if (moved) {
        unlink(proc);
        CHECK(rename(saved, proc) == 0);
    }
}

/* CVE-2025-31133 class: the rootfs's /dev/null is a symlink to a host file, no default mounts
 * (so nothing replaces it) and masked paths on. Masking must use the host's own /dev/null,
 * never the link: the host file is unchanged and no masked path writes to it. A masked path
 * that is itself a link to the host file is refused or skipped, never followed. */
static void cve_dev_null_symlink(void)
{
    const char *masked[] = {"/etc/passwd", "/etc/group", NULL};
    const char *masked_link[] = {"/etc/passwd", "/hostlink", NULL};
    char host_file[PATH_MAX], null_link[PATH_MAX + 16], hostlink[PATH_MAX + 16], text[64], path[64];
    nscore_spawn_config *cfg = root_config("exec 2>&1; read x; wc -c < /etc/passwd; echo pwned > /etc/passwd; "
                                           "echo pwned > /etc/group; echo pwned > /dev/null; echo done",
                                           namespaces(1), 0);
    struct box b = {.in = -1, .out = -1};
    struct mnt m;
    struct stat st;
    nscore_error *e = NULL;
    int rc;
    snprintf(host_file, sizeof host_file, "%s/host-secret", base);
    snprintf(null_link, sizeof null_link, "%s/dev/null", rootfs);
    snprintf(hostlink, sizeof hostlink, "%s/hostlink", rootfs);
    REQUIRE(cfg != NULL);
    REQUIRE(write_file(host_file, "secret\n") == 0);
    REQUIRE(symlink(host_file, null_link) == 0);
    OK(nscore_spawn_config_set_default_mounts(cfg, 0, &err));
    OK(nscore_spawn_config_set_masked_paths(cfg, masked, &err));
    REQUIRE(box_start(cfg, &b) == 0);
    /* The masks are the host's /dev/null (root "/null" of its devtmpfs), a char device 1:3. */
    REQUIRE(find_mount(b.pid, "/etc/passwd", &m));
    CHECK(strcmp(m.root, "/null") == 0);
    snprintf(path, sizeof path, "/proc/%d/root/etc/group", (int)b.pid);
    CHECK(stat(path, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3);
    REQUIRE(box_send(&b, "go\n") == 0);
    CHECK(box_finish(&b) == 0);
    if (strncmp(b.buf, "0\n", 2) != 0 || strstr(b.buf, "done\n") == NULL) fprintf(stderr, "inside saw:\n%s", b.buf);
    CHECK(strncmp(b.buf, "0\n", 2) == 0 && strstr(b.buf, "done\n") != NULL);
    CHECK(strcmp(read_file(host_file, text, sizeof text), "secret\n") == 0);
    CHECK(stat(host_file, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 7);

    /* A masked path that is a link to the host file. */
    REQUIRE(symlink(host_file, hostlink) == 0);
    OK(nscore_spawn_config_set_masked_paths(cfg, masked_link, &err));
    /* Inherited stdio: NSCORE_STDIO_NULL would open the rootfs's /dev/null, the link. */
    OK(nscore_spawn_config_set_stdio(cfg, 0, NSCORE_STDIO_INHERIT, -1, &err));
    OK(nscore_spawn_config_set_stdio(cfg, 1, NSCORE_STDIO_INHERIT, -1, &err));
    {
        const char *argv[] = {"sh", "-c", "echo pwned > /hostlink", NULL};
        OK(nscore_spawn_config_set_argv(cfg, argv, &err));
    }
    rc = nscore_spawn(cfg, &b.c, &e);
    if (rc == 0) {
        OK(nscore_container_wait(b.c, 10000, NULL, &err));
    } else if (rc != NSCORE_ECHILD || nscore_error_sys_errno(e) != ELOOP ||
               strstr(nscore_error_message(e), "/hostlink") == NULL) {
        t_fail(__FILE__, __LINE__, "masking a link must fail with ELOOP naming it, or skip it", rc, e);
    }
    CHECK(strcmp(read_file(host_file, text, sizeof text), "secret\n") == 0);
out:
    nscore_error_free(e);
    box_free(&b);
    nscore_spawn_config_free(cfg);
    unlink(null_link);
    unlink(hostlink);
    unlink(host_file);
}

/* A mount destination that is a symlink in the rootfs pointing out of it (to a host directory,
 * absolute or by "..") is refused with ELOOP: nothing is mounted on, or created in, the host
 * directory. */
static void cve_destination_symlink(void)
{
    const char *bind[] = {"bind", NULL};
    static const char *const dests[] = {"/evil", "/evil/sub", "/evil-rel", "/evil-rel/sub"};
    char host_dir[PATH_MAX], src[PATH_MAX], evil[PATH_MAX + 16], evil_rel[PATH_MAX + 16], rel[PATH_MAX + 32];
    nscore_spawn_config *cfg = root_config("true", namespaces(1), 0);
    int mounts_before = mount_count();
    snprintf(host_dir, sizeof host_dir, "%s/hostdir", base);
    snprintf(src, sizeof src, "%s/bindsrc", base);
    snprintf(evil, sizeof evil, "%s/evil", rootfs);
    snprintf(evil_rel, sizeof evil_rel, "%s/evil-rel", rootfs);
    snprintf(rel, sizeof rel, "../../../../../../../..%s", host_dir);
    REQUIRE(cfg != NULL);
    REQUIRE(mkdir(host_dir, 0755) == 0 && mkdir(src, 0755) == 0);
    REQUIRE(symlink(host_dir, evil) == 0 && symlink(rel, evil_rel) == 0);
    for (size_t i = 0; i < sizeof dests / sizeof dests[0]; i++) {
        for (int bind_mount = 0; bind_mount < 2; bind_mount++) {
            nscore_container *c = NULL;
            nscore_error *e = NULL;
            int rc;
            OK(nscore_spawn_config_clear_mounts(cfg, &err));
            if (bind_mount)
                OK(nscore_spawn_config_add_mount(cfg, dests[i], "bind", src, bind, &err));
            else
                OK(nscore_spawn_config_add_mount(cfg, dests[i], "tmpfs", "tmpfs", NULL, &err));
            rc = nscore_spawn(cfg, &c, &e);
            if (rc != NSCORE_ECHILD || nscore_error_sys_errno(e) != ELOOP ||
                strstr(nscore_error_message(e), dests[i]) == NULL) {
                fprintf(stderr, "%s mount on %s:\n", bind_mount ? "bind" : "tmpfs", dests[i]);
                t_fail(__FILE__, __LINE__, "a destination through a symlink must fail with ELOOP", rc, e);
            }
            if (c != NULL) nscore_container_wait(c, 10000, NULL, NULL);
            nscore_container_free(c);
            nscore_error_free(e);
            CHECK(mounts_on(host_dir) == 0);
            CHECK(run_shell("test -z \"$(ls -A '%s')\"", host_dir) == 0);
        }
    }
    CHECK(mount_count() == mounts_before);
out:
    nscore_spawn_config_free(cfg);
    unlink(evil);
    unlink(evil_rel);
    umount_all(host_dir);
    run_shell("rm -rf --one-file-system '%s' '%s'", host_dir, src);
}

/* ---- Setup ------------------------------------------------------------------------------- */


/* Finds the repository and builds the rootfs (see find_repo). */
static int setup(void)
{
    if (t_find_repo(repo, sizeof repo) != 0) return -1;
    snprintf(base, sizeof base, "/tmp/nscore-rootfs-XXXXXX");
    if (mkdtemp(base) == NULL || chmod(base, 0755) != 0) {
        fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
        base[0] = '\0';
        return -1;
    }
    snprintf(rootfs, sizeof rootfs, "%s/root", base);
    if (run_shell("bash '%s/tools/make-test-rootfs.sh' '%s' > /dev/null", repo, rootfs) != 0) {
        fprintf(stderr, "tools/make-test-rootfs.sh %s failed\n", rootfs);
        return -1;
    }
    return 0;
}

int main(void)
{
    alarm(150);
    signal(SIGPIPE, SIG_IGN); /* a container that died early: its stdin gets EPIPE, not us killed */
    rootless = geteuid() != 0;
    if (!rootless) {
        /* A mount namespace of our own: no host mount of this test can outlive it. */
        nscore_error *e = NULL;
        if (nscore_unshare(NSCORE_NS_MNT, &e) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
            t_fail(__FILE__, __LINE__, "unshare the mount namespace", -1, e);
            nscore_error_free(e);
            return t_result();
        }
    }
    if (setup() == 0) {
        isolated_root();
        readonly_root();
        idmapped_root();
        default_mounts();
        masked_and_readonly_paths();
        bind_mounts();
        bind_propagation();
        bad_input();
        cve_proc_symlink();
        cve_dev_null_symlink();
        cve_destination_symlink();
    } else {
        t_failures++;
    }
    if (base[0] != '\0') {
        umount_under_base();
        run_shell("rm -rf --one-file-system '%s'", base);
        CHECK(access(base, F_OK) != 0);
    }
    CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
    return t_result();
}

/* The remaining spawn options: domain name, executable override (argv[0] kept), time and cgroup
 * namespaces, mount_proc off, root propagation values, and kill_on_parent_death. */
#include "test.h"

#include <pthread.h>

static void domainname_and_executable(void)
{
    const char *argv[] = {"custom-argv0", "-c", "echo $0; domainname; hostname", NULL};
    nscore_spawn_config *cfg = t_config(argv, NSCORE_NS_UTS);
    char buf[256];
    int s;
    REQUIRE(cfg != NULL);
    OK(nscore_spawn_config_set_executable(cfg, "/bin/sh", &err));
    OK(nscore_spawn_config_set_domainname(cfg, "nscore.domain", &err));
    OK(nscore_spawn_config_set_hostname(cfg, "h", &err));
    s = t_run_capture(cfg, buf, sizeof buf, 10000);
    CHECK(s == 0);
    if (strcmp(buf, "custom-argv0\nnscore.domain\nh\n") != 0) fprintf(stderr, "saw:\n%s", buf);
    CHECK(strcmp(buf, "custom-argv0\nnscore.domain\nh\n") == 0);
out:
    nscore_spawn_config_free(cfg);
}

static void time_and_cgroup(void)
{
    const char *argv[] = {"sh", "-c", "readlink /proc/self/ns/time /proc/self/ns/cgroup", NULL};
    nscore_spawn_config *cfg = t_config(argv, NSCORE_NS_TIME | NSCORE_NS_CGROUP);
    char buf[256];
    int s;
    REQUIRE(cfg != NULL);
    s = t_run_capture(cfg, buf, sizeof buf, 10000);
    CHECK(s == 0);
    /* Both differ from ours. */
    CHECK(strlen(buf) > 0 && strncmp(buf, "time:[", 6) == 0);
    CHECK(strstr(buf, "cgroup:[") != NULL);
    {
        char ours_time[64], ours_cg[64];
        snprintf(ours_time, sizeof ours_time, "time:[%llu]", t_ns_inode(0, "time"));
        snprintf(ours_cg, sizeof ours_cg, "cgroup:[%llu]", t_ns_inode(0, "cgroup"));
        if (strstr(buf, ours_time) != NULL || strstr(buf, ours_cg) != NULL) fprintf(stderr, "saw:\n%sours: %s %s\n", buf, ours_time, ours_cg);
        CHECK(strstr(buf, ours_time) == NULL && strstr(buf, ours_cg) == NULL);
    }
out:
    nscore_spawn_config_free(cfg);
}

static void mount_proc_and_propagation(void)
{
    /* PID + MNT with mount_proc NO: /proc is still the host's, where /proc/self of a process
     * inside shows its (large) host pid; with a fresh /proc it shows its small inner pid. */
    const char *argv[] = {"sh", "-c", "echo $$; x=$(readlink /proc/self); [ \"$x\" -lt 10 ] && echo own-proc || echo host-proc", NULL};
    nscore_spawn_config *cfg = t_config(argv, NSCORE_NS_PID | NSCORE_NS_MNT);
    char buf[256];
    int s;
    REQUIRE(cfg != NULL);
    OK(nscore_spawn_config_set_mount_proc(cfg, NSCORE_MOUNT_PROC_NO, &err));
    s = t_run_capture(cfg, buf, sizeof buf, 10000);
    CHECK(s == 0);
    CHECK(strcmp(buf, "1\nhost-proc\n") == 0);
    OK(nscore_spawn_config_set_mount_proc(cfg, NSCORE_MOUNT_PROC_YES, &err));
    s = t_run_capture(cfg, buf, sizeof buf, 10000);
    CHECK(s == 0 && strcmp(buf, "1\nown-proc\n") == 0);
    OK(nscore_spawn_config_set_mount_proc(cfg, NSCORE_MOUNT_PROC_AUTO, &err));
    s = t_run_capture(cfg, buf, sizeof buf, 10000);
    CHECK(s == 0 && strcmp(buf, "1\nown-proc\n") == 0);
    for (int p = NSCORE_PROPAGATION_UNCHANGED; p <= NSCORE_PROPAGATION_UNBINDABLE; p++) {
        if (p == NSCORE_PROPAGATION_SHARED) continue; /* would let container mounts reach the host */
        OK(nscore_spawn_config_set_root_propagation(cfg, p, &err));
        s = t_run_capture(cfg, buf, sizeof buf, 10000);
        CHECK(s == 0);
    }
out:
    nscore_spawn_config_free(cfg);
}

static pid_t spawned_pid = -1;

static void *spawn_and_exit(void *arg)
{
    const char *argv[] = {"sleep", "30", NULL};
    nscore_spawn_config *cfg = t_config(argv, 0);
    nscore_container *c = NULL;
    nscore_error *e = NULL;
    (void)arg;
    if (cfg == NULL) return NULL;
    if (nscore_spawn_config_set_kill_on_parent_death(cfg, 1, &e) == 0 && nscore_spawn(cfg, &c, &e) == 0) {
        spawned_pid = nscore_container_pid(c);
        nscore_container_detach(c); /* only the death signal may end it */
    } else {
        fprintf(stderr, "spawn: %s\n", nscore_error_message(e));
    }
    nscore_error_free(e);
    nscore_container_free(c);
    nscore_spawn_config_free(cfg);
    return NULL;
}

static void kill_on_parent_death(void)
{
    pthread_t t;
    int s = 0;
    REQUIRE(pthread_create(&t, NULL, spawn_and_exit, NULL) == 0);
    pthread_join(t, NULL);
    REQUIRE(spawned_pid > 0);
    /* The spawning thread is gone: the child got SIGKILL; it is our child, reap it. */
    REQUIRE(waitpid(spawned_pid, &s, 0) == spawned_pid);
    CHECK(WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL);
    spawned_pid = -1;
out:
    if (spawned_pid > 0) {
        kill(spawned_pid, SIGKILL);
        waitpid(spawned_pid, &s, 0);
    }
}

int main(void)
{
    alarm(60);
    if (geteuid() != 0) {
        printf("needs root\n");
        return T_SKIP;
    }
    domainname_and_executable();
    time_and_cgroup();
    mount_proc_and_propagation();
    kill_on_parent_death();
    return t_result();
}

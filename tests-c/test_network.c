/* Veth networks (nscore_spawn_config_set_network and the veth settings): two containers on a
 * bridge talk over TCP, a container sees its address, MTU, MAC and default route, and bad input
 * fails at the setter or at the spawn with a message naming the problem, leaving no link and no
 * child behind. Root only.
 *
 * Nothing touches the machine's own network namespace: the test first spawns a `sleep` in a
 * new network namespace (the "host"), then a dedicated thread enters it with setns(2) (which
 * moves only the calling thread) and makes every veth spawn from there, so the host ends and
 * the bridge land in that namespace and every packet stays between the test's namespaces. The
 * links of the host namespace are listed with `nsenter --net=/proc/HOLDER/ns/net ip -o link`
 * (not /sys/class/net, which shows the namespace sysfs was mounted in). At the end the bridge
 * is deleted, the host namespace must hold only lo, and the holder is killed. */
#include "test.h"

#include <pthread.h>
#include <sched.h>

#define BRIDGE "nsccbr0"

static pid_t holder_pid; /* the `sleep` whose network namespace is the "host" */

/* ---- Helpers ----------------------------------------------------------------------------- */

/* The links of the host namespace, sorted, as "lo nsccbr0 " (empty on error). */
static const char *host_links(char *buf, size_t n)
{
    char cmd[256];
    FILE *p;
    snprintf(cmd, sizeof cmd,
             "nsenter --net=/proc/%d/ns/net ip -o link | awk -F': ' '{print $2}' | cut -d@ -f1 | sort | tr '\\n' ' '",
             (int)holder_pid);
    buf[0] = '\0';
    p = popen(cmd, "r");
    if (p == NULL) return buf;
    t_read_all(fileno(p), buf, n);
    pclose(p);
    return buf;
}

/* The number of children of this process (over all its threads), or -1. */
/* A configuration running argv in new NET and UTS namespaces on a veth network on the bridge,
 * with address `cidr` and gateway 10.78.0.1. NULL on failure. */
static nscore_spawn_config *veth_config(const char *const *argv, const char *cidr)
{
    nscore_spawn_config *cfg = t_config(argv, NSCORE_NS_NET | NSCORE_NS_UTS);
    REQUIRE(cfg != NULL);
    OK(nscore_spawn_config_set_network(cfg, NSCORE_NETWORK_VETH, &err));
    OK(nscore_spawn_config_set_bridge(cfg, BRIDGE, "10.78.0.1/24", 1, &err));
    OK(nscore_spawn_config_add_address(cfg, cidr, &err));
    OK(nscore_spawn_config_set_gateway(cfg, "10.78.0.1", &err));
    return cfg;
out:
    nscore_spawn_config_free(cfg);
    return NULL;
}

/* Spawns cfg with stdout and stderr to a pipe, reads it to EOF into buf and waits: returns the
 * wait status, or -1 if the spawn or the wait failed. */
static int run_capture(nscore_spawn_config *cfg, char *buf, size_t n)
{
    nscore_container *c = NULL;
    int p[2] = {-1, -1}, status = -1;
    buf[0] = '\0';
    REQUIRE(pipe2(p, O_CLOEXEC) == 0);
    OK(nscore_spawn_config_set_stdio(cfg, 1, NSCORE_STDIO_FD, p[1], &err));
    OK(nscore_spawn_config_set_stdio(cfg, 2, NSCORE_STDIO_FD, p[1], &err));
    OK(nscore_spawn(cfg, &c, &err));
    close(p[1]);
    p[1] = -1;
    t_read_all(p[0], buf, n);
    OK(nscore_container_wait(c, 30000, &status, &err));
out:
    if (p[0] >= 0) close(p[0]);
    if (p[1] >= 0) close(p[1]);
    nscore_container_free(c);
    return status;
}

/* ---- Cases (all on the thread inside the host namespace) --------------------------------- */

static const char echo_server[] =
    "import socket\n"
    "s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n"
    "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
    "s.bind(('0.0.0.0', 7777)); s.listen(4)\n"
    "c, _ = s.accept(); c.sendall(b'echo:' + c.recv(100)); c.close()\n";

static const char echo_client[] =
    "import socket, sys, time\n"
    "for attempt in range(200):\n"
    "    try:\n"
    "        c = socket.create_connection((sys.argv[1], 7777), timeout=2); break\n"
    "    except OSError as e:\n"
    "        err = e; time.sleep(0.05)\n"
    "else:\n"
    "    print('failed', err); sys.exit(1)\n"
    "c.sendall(b'hi'); print(c.recv(100).decode()); c.close()\n";

/* Two containers on the bridge: an echo server and a client, over TCP. */
static void case_echo(void)
{
    const char *server_argv[] = {"/usr/bin/python3", "-c", echo_server, NULL};
    const char *client_argv[] = {"/usr/bin/python3", "-c", echo_client, "10.78.0.2", NULL};
    nscore_spawn_config *scfg = NULL, *ccfg = NULL;
    nscore_container *server = NULL;
    char out[4096], links[512];
    int status = -1;

    scfg = veth_config(server_argv, "10.78.0.2/24");
    REQUIRE(scfg != NULL);
    OK(nscore_spawn_config_set_stdio(scfg, 1, NSCORE_STDIO_NULL, -1, &err));
    OK(nscore_spawn(scfg, &server, &err));
    /* The bridge and one host end: the server's. */
    host_links(links, sizeof links);
    CHECK(strncmp(links, "lo nsc", 6) == 0 && strstr(links, BRIDGE) != NULL);

    ccfg = veth_config(client_argv, "10.78.0.3/24");
    REQUIRE(ccfg != NULL);
    status = run_capture(ccfg, out, sizeof out);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(strcmp(t_chomp(out), "echo:hi") == 0);
    if (strcmp(out, "echo:hi") != 0) fprintf(stderr, "client said: %s\n", out);
    OK(nscore_container_wait(server, 10000, &status, &err));
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* Both reaped: their host ends are gone, the bridge stays. */
    CHECK(strcmp(host_links(links, sizeof links), "lo " BRIDGE " ") == 0);
    if (strcmp(links, "lo " BRIDGE " ") != 0) fprintf(stderr, "host links: %s\n", links);
out:
    nscore_container_free(server);
    nscore_spawn_config_free(scfg);
    nscore_spawn_config_free(ccfg);
}

/* Inside: eth0 has its address, MTU and MAC, and the default route goes through the gateway. */
static void case_inside(void)
{
    const char *argv[] = {"sh", "-c", "ip -o -4 addr show eth0; ip route show default; ip -o link show eth0", NULL};
    nscore_spawn_config *cfg = veth_config(argv, "10.78.0.4/24");
    char out[4096];
    int status;
    REQUIRE(cfg != NULL);
    OK(nscore_spawn_config_set_mtu(cfg, 1400, &err));
    OK(nscore_spawn_config_set_mac(cfg, "02:00:0a:4e:00:04", &err));
    status = run_capture(cfg, out, sizeof out);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(strstr(out, "inet 10.78.0.4/24") != NULL);
    CHECK(strstr(out, "default via 10.78.0.1 dev eth0") != NULL);
    CHECK(strstr(out, "mtu 1400") != NULL);
    CHECK(strstr(out, "link/ether 02:00:0a:4e:00:04") != NULL);
    if (t_failures) fprintf(stderr, "inside: %s\n", out);
out:
    nscore_spawn_config_free(cfg);
}

/* Bad text fails at the setter, with the parser's message. */
static void case_bad_setters(void)
{
    nscore_spawn_config *cfg = NULL;
    OK(nscore_spawn_config_new(&cfg, &err));
    FAILS(nscore_spawn_config_add_address(cfg, "10.0.0.2", &err), NSCORE_EINVAL, "'10.0.0.2' has no prefix length");
    FAILS(nscore_spawn_config_add_address(cfg, "10.0.0.2/33", &err), NSCORE_EINVAL, "out of range");
    FAILS(nscore_spawn_config_add_address(cfg, "fd00::g/64", &err), NSCORE_EINVAL, "is not an IPv4 or IPv6 address");
    FAILS(nscore_spawn_config_add_address(cfg, NULL, &err), NSCORE_EINVAL, "cidr is NULL");
    FAILS(nscore_spawn_config_set_gateway(cfg, "10.0.0.300", &err), NSCORE_EINVAL, "is not an IPv4 address");
    FAILS(nscore_spawn_config_set_mac(cfg, "02:00:0a:00:00", &err), NSCORE_EINVAL, "is not a MAC address");
    FAILS(nscore_spawn_config_set_bridge(cfg, BRIDGE, "10.78.0.1", 1, &err), NSCORE_EINVAL, "has no prefix length");
    FAILS(nscore_spawn_config_set_bridge(cfg, BRIDGE, NULL, 2, &err), NSCORE_EINVAL, "create must be 0 or 1");
    FAILS(nscore_spawn_config_set_bridge(cfg, NULL, "10.78.0.1/24", 1, &err), NSCORE_EINVAL, "without a bridge name");
    FAILS(nscore_spawn_config_set_network(cfg, 2, &err), NSCORE_EINVAL, "NSCORE_NETWORK_VETH (1)");
    FAILS(nscore_spawn_config_set_network(NULL, NSCORE_NETWORK_VETH, &err), NSCORE_EINVAL, "cfg is NULL");
    /* NULLs reset; valid text is accepted. */
    OK(nscore_spawn_config_add_address(cfg, "fd78::2/64", &err));
    OK(nscore_spawn_config_clear_addresses(cfg, &err));
    OK(nscore_spawn_config_set_gateway(cfg, NULL, &err));
    OK(nscore_spawn_config_set_mac(cfg, NULL, &err));
    OK(nscore_spawn_config_set_bridge(cfg, NULL, NULL, 0, &err));
    OK(nscore_spawn_config_set_veth_interface(cfg, NULL, NULL, &err));
    OK(nscore_spawn_config_set_mtu(cfg, 0, &err));
    OK(nscore_spawn_config_set_network(cfg, NSCORE_NETWORK_NONE, &err));
out:
    nscore_spawn_config_free(cfg);
}

/* A spawn that must fail with `code` and `needle`, leaving no container, no child and the host's
 * links as they were. */
/* Joining the holder's network namespace by path (`container:PID`): the command runs in it,
 * without NSCORE_NS_NET, and the thread is back in its own namespace afterwards. */
static void case_join(void)
{
    const char *argv[] = {"readlink", "/proc/self/ns/net", NULL};
    char path[64], want[64] = "", mine[64] = "", after[64] = "", out[256];
    ssize_t n;
    snprintf(path, sizeof path, "/proc/%d/ns/net", (int)holder_pid);
    n = readlink(path, want, sizeof want - 1);
    REQUIRE(n > 0);
    want[n] = 0;
    n = readlink("/proc/thread-self/ns/net", mine, sizeof mine - 1);
    REQUIRE(n > 0);
    mine[n] = 0;
    nscore_spawn_config *cfg = t_config(argv, NSCORE_NS_UTS);
    if (cfg == NULL) return;
    OK(nscore_spawn_config_set_network_namespace(cfg, path, &err));
    CHECK(run_capture(cfg, out, sizeof out) == 0);
    CHECK(strcmp(t_chomp(out), want) == 0);
    n = readlink("/proc/thread-self/ns/net", after, sizeof after - 1);
    REQUIRE(n > 0);
    after[n] = 0;
    CHECK(strcmp(after, mine) == 0);
    /* With a new network namespace too: refused. A file that is not one: refused. */
    OK(nscore_spawn_config_set_stdio(cfg, 1, NSCORE_STDIO_NULL, -1, &err));
    OK(nscore_spawn_config_set_stdio(cfg, 2, NSCORE_STDIO_NULL, -1, &err));
    OK(nscore_spawn_config_set_namespaces(cfg, NSCORE_NS_NET, &err));
    {
        nscore_container *c = NULL;
        FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EINVAL, "exclusive");
        OK(nscore_spawn_config_set_namespaces(cfg, NSCORE_NS_UTS, &err));
        OK(nscore_spawn_config_set_network_namespace(cfg, "/etc/hostname", &err));
        FAILS(nscore_spawn(cfg, &c, &err), NSCORE_EINVAL, "not a network namespace");
        CHECK(c == NULL);
    }
out:
    nscore_spawn_config_free(cfg);
}

/* nscore_inspect_network_json on a veth container: eth0, its address, its host peer, the
 * default route. */
static void case_inspect(void)
{
    const char *argv[] = {"sleep", "30", NULL};
    nscore_container *c = NULL;
    char *json = NULL;
    nscore_spawn_config *cfg = veth_config(argv, "10.78.0.5/24");
    if (cfg == NULL) return;
    OK(nscore_spawn(cfg, &c, &err));
    OK(nscore_inspect_network_json(nscore_container_pid(c), &json, &err));
    CHECK(strstr(json, "\"name\":\"eth0\"") != NULL);
    CHECK(strstr(json, "\"10.78.0.5/24\"") != NULL);
    CHECK(strstr(json, "\"kind\":\"veth\"") != NULL);
    CHECK(strstr(json, "\"veth_peer\":null") != NULL);  /* lo */
    CHECK(strstr(json, "\"gateway\":\"10.78.0.1\"") != NULL);
    CHECK(strstr(json, "\"default\":true") != NULL);
    if (strstr(json, "10.78.0.5/24") == NULL) fprintf(stderr, "inspect: %s\n", json);
    {
        char *none = NULL;
        FAILS(nscore_inspect_network_json(999999999, &none, &err), NSCORE_ENOTFOUND, "999999999");
        CHECK(none == NULL);
    }
out:
    nscore_string_free(json);
    if (c != NULL) {
        (void)nscore_container_signal(c, SIGKILL, NULL);
        (void)nscore_container_wait(c, -1, NULL, NULL);
        nscore_container_free(c);
    }
    nscore_spawn_config_free(cfg);
}

static void spawn_fails(const nscore_spawn_config *cfg, int code, const char *needle, int line)
{
    nscore_container *c = (nscore_container *)1;
    char before[512], after[512];
    host_links(before, sizeof before);
    FAILS(nscore_spawn(cfg, &c, &err), code, needle);
    if (c != NULL) {
        t_fail(__FILE__, line, "nscore_spawn left *out set", 0, NULL);
        if (c != (nscore_container *)1) nscore_container_free(c);
    }
    host_links(after, sizeof after);
    if (strcmp(before, after) != 0) {
        t_fail(__FILE__, line, "the host namespace's links changed", 0, NULL);
        fprintf(stderr, "    before: %s\n    after:  %s\n", before, after);
    }
    if (t_count_children() != 1) t_fail(__FILE__, line, "a child is left (only the holder should be)", 0, NULL);
}

/* Bad settings fail at the spawn. */
static void case_bad_spawns(void)
{
    const char *argv[] = {"true", NULL};
    nscore_spawn_config *cfg = veth_config(argv, "10.78.0.5/24");
    REQUIRE(cfg != NULL);

    OK(nscore_spawn_config_set_gateway(cfg, "10.99.0.1", &err));
    spawn_fails(cfg, NSCORE_EINVAL, "the gateway 10.99.0.1 is outside every address's subnet", __LINE__);
    OK(nscore_spawn_config_set_gateway(cfg, "10.78.0.1", &err));

    OK(nscore_spawn_config_set_veth_interface(cfg, "abcdefghijklmnop", NULL, &err));
    spawn_fails(cfg, NSCORE_EINVAL, "'abcdefghijklmnop' is 16 bytes long", __LINE__);
    OK(nscore_spawn_config_set_veth_interface(cfg, "eth0", "abcdefghijklmnop", &err));
    spawn_fails(cfg, NSCORE_EINVAL, "host interface name 'abcdefghijklmnop' is 16 bytes long", __LINE__);
    OK(nscore_spawn_config_set_veth_interface(cfg, NULL, NULL, &err));

    OK(nscore_spawn_config_set_mtu(cfg, 67, &err));
    spawn_fails(cfg, NSCORE_EINVAL, "MTU 67 is out of range", __LINE__);
    OK(nscore_spawn_config_set_mtu(cfg, 0, &err));

    /* After the clone: the child is killed and reaped. */
    OK(nscore_spawn_config_set_bridge(cfg, "nsccmissing0", NULL, 0, &err));
    spawn_fails(cfg, NSCORE_ENOTFOUND, "there is no bridge 'nsccmissing0'", __LINE__);
    OK(nscore_spawn_config_set_bridge(cfg, BRIDGE, "10.78.0.1/24", 1, &err));

    OK(nscore_spawn_config_set_namespaces(cfg, NSCORE_NS_UTS, &err));
    spawn_fails(cfg, NSCORE_EINVAL, "needs a new network namespace", __LINE__);
    /* The settings are kept across NONE: back to VETH, the spawn works again. */
    OK(nscore_spawn_config_set_network(cfg, NSCORE_NETWORK_NONE, &err));
    OK(nscore_spawn_config_set_network(cfg, NSCORE_NETWORK_VETH, &err));
    OK(nscore_spawn_config_set_namespaces(cfg, NSCORE_NS_NET | NSCORE_NS_UTS, &err));
    {
        char out[256];
        int status = run_capture(cfg, out, sizeof out);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
out:
    nscore_spawn_config_free(cfg);
}

static void *in_host(void *arg)
{
    char path[64];
    int fd;
    (void)arg;
    snprintf(path, sizeof path, "/proc/%d/ns/net", (int)holder_pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
        t_fail(__FILE__, __LINE__, "setns into the holder's network namespace", 0, NULL);
        if (fd >= 0) close(fd);
        return NULL;
    }
    close(fd);
    case_bad_setters();
    case_join();
    case_inspect();
    case_echo();
    case_inside();
    case_bad_spawns();
    /* The bridge stays for the next containers until removed. */
    {
        nscore_error *e2 = NULL;
        OK(nscore_bridge_remove(BRIDGE, &err));
        CHECK(nscore_bridge_remove(BRIDGE, &e2) == NSCORE_ENOTFOUND);
        nscore_error_free(e2);
    }
out:
    return NULL;
}

int main(void)
{
    const char *argv[] = {"sleep", "60", NULL};
    nscore_spawn_config *cfg = NULL;
    nscore_container *holder = NULL;
    pthread_t thread;
    char links[512];

    if (geteuid() != 0) {
        printf("veth networks need root\n");
        return T_SKIP;
    }
    if (access("/usr/bin/python3", X_OK) != 0 || (access("/usr/sbin/ip", X_OK) != 0 && access("/usr/bin/ip", X_OK) != 0) ||
        access("/usr/bin/nsenter", X_OK) != 0) {
        printf("needs /usr/bin/python3, ip and /usr/bin/nsenter\n");
        return T_SKIP;
    }
    cfg = t_config(argv, NSCORE_NS_NET);
    REQUIRE(cfg != NULL);
    OK(nscore_spawn_config_set_stdio(cfg, 0, NSCORE_STDIO_NULL, -1, &err));
    OK(nscore_spawn(cfg, &holder, &err));
    holder_pid = nscore_container_pid(holder);
    CHECK(strcmp(host_links(links, sizeof links), "lo ") == 0);

    REQUIRE(pthread_create(&thread, NULL, in_host, NULL) == 0);
    pthread_join(thread, NULL);

    /* Leave the host namespace as it was: only lo. */
    {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "nsenter --net=/proc/%d/ns/net ip link del " BRIDGE " 2>/dev/null", (int)holder_pid);
        if (system(cmd) != 0) fprintf(stderr, "note: no bridge to delete\n");
    }
    CHECK(strcmp(host_links(links, sizeof links), "lo ") == 0);
    if (strcmp(links, "lo ") != 0) fprintf(stderr, "host links at the end: %s\n", links);
out:
    if (holder != NULL) {
        nscore_error *err = NULL;
        int status;
        if (nscore_container_stop(holder, 0, &status, &err) != 0) nscore_error_free(err);
    }
    nscore_container_free(holder);
    nscore_spawn_config_free(cfg);
    return t_result();
}

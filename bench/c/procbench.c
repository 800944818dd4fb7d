/*
 * procbench.c - whole-process benchmarks: each command is started as a fresh process (fork +
 * execvp from this small program), waited for with wait4, and timed; ru_maxrss gives its peak
 * RSS (the number GNU time's %M prints). Commands run interleaved: in every round each one runs
 * `batch` times, the order rotating from round to round, so drift hits all of them alike.
 *
 *   procbench --section S --rounds R --batch N [--rss]
 *             --base NAME CMD                    the baseline every subject is divided by
 *             --subj ID NAME CMD ...             a subject (must succeed)
 *             --peer ID NAME CMD ...             a peer tool (skipped with a note if it fails)
 *             --skip ID NAME WHY ...             a peer that is not installed: a note only
 *             --ref ID NAME CMD ...              measured for the RSS comparisons only
 *             [--rss-subject ID]                 with --rss: compare this subject's peak RSS
 *                                                against the baseline and every other command
 *             [--rss-section S]                  the section of those RSS lines (6. memory)
 *             [--vs ID SUBJ_ID PEER_ID ...]      also divide a subject by a peer, round by
 *                                                round (a line with id ID)
 *             [--ready]                          time to the command's start instead of the
 *                                                whole run: each command ends by exec'ing
 *                                                bench/c/stamp.c, which prints CLOCK_MONOTONIC
 *                                                in ns; the sample is that minus the time just
 *                                                before the fork (the process still runs to
 *                                                its end before the next one starts)
 * Commands are split on spaces. Emits one JSON line per subject (ms per run), one per --vs and,
 * with --rss, one per comparison of peak RSS (MiB).
 */
#include "benchutil.h"

#define MAXCMD 16

typedef struct {
    const char *id, *name;
    char **argv;
    int peer, skipped, ref;
    char why[256];
    double ms[BENCH_MAX_ROUNDS], rss[BENCH_MAX_ROUNDS];
} command;

static command cmds[MAXCMD];
static int ncmd;
static int ready;

static const char *vs[MAXCMD][3]; /* id, subject id, peer id */
static int nvs;

static command *find(const char *id)
{
    for (int i = 0; i < ncmd; i++)
        if (!strcmp(cmds[i].id, id))
            return &cmds[i];
    die("procbench: no command with id %s", id);
}

static command *add(const char *id, const char *name, const char *line, int peer)
{
    if (ncmd == MAXCMD)
        die("too many commands");
    command *c = &cmds[ncmd++];
    c->id = id;
    c->name = name;
    c->argv = split_cmd(line);
    c->peer = peer;
    return c;
}

/* Runs c once; returns wall ns, or -1 after recording why it failed. */
static int64_t run_once(command *c, long *rss)
{
    char tmpl[] = "/tmp/procbench.XXXXXX";
    int errfd = mkstemp(tmpl);
    if (errfd >= 0)
        unlink(tmpl);
    int status = 0, outfd = -1, no_stamp = 0;
    if (ready) {
        char out[] = "/tmp/procbench.XXXXXX";
        if ((outfd = mkstemp(out)) < 0)
            die("mkstemp: %s", strerror(errno));
        unlink(out);
    }
    bench_stdout_fd = outfd;
    int64_t t0 = now_ns();
    int64_t dt = run_cmd(c->argv, errfd, rss, &status);
    bench_stdout_fd = -1;
    if (dt >= 0 && ready) {
        char text[32] = "";
        ssize_t n = pread(outfd, text, sizeof text - 1, 0);
        text[n > 0 ? n : 0] = 0;
        long long stamp = atoll(text);
        if (stamp <= t0 || stamp > t0 + dt) {
            snprintf(c->why, sizeof c->why, "no start time printed (got '%.20s')", text);
            dt = -1;
            no_stamp = 1;
        } else {
            dt = stamp - t0;
        }
    }
    if (outfd >= 0)
        close(outfd);
    if (dt < 0 && !no_stamp) {
        char msg[160] = "";
        if (errfd >= 0) {
            ssize_t n = pread(errfd, msg, sizeof msg - 1, 0);
            msg[n > 0 ? n : 0] = 0;
            for (char *p = msg; *p; p++)
                if (*p == '\n' || *p == '"' || *p == '\\')
                    *p = ' ';
        }
        if (WIFEXITED(status))
            snprintf(c->why, sizeof c->why, "exit status %d: %s", WEXITSTATUS(status), msg);
        else
            snprintf(c->why, sizeof c->why, "killed by signal %d: %s", WTERMSIG(status), msg);
    }
    if (errfd >= 0)
        close(errfd);
    return dt;
}

int main(int argc, char **argv)
{
    const char *section = "", *rss_subject = NULL, *rss_section = "6. memory";
    int rounds = 5, batch = 5, rss = 0;
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i];
        if (!strcmp(k, "--section") && i + 1 < argc)
            section = argv[++i];
        else if (!strcmp(k, "--rounds") && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (!strcmp(k, "--batch") && i + 1 < argc)
            batch = atoi(argv[++i]);
        else if (!strcmp(k, "--rss"))
            rss = 1;
        else if (!strcmp(k, "--ready"))
            ready = 1;
        else if (!strcmp(k, "--rss-subject") && i + 1 < argc)
            rss_subject = argv[++i];
        else if (!strcmp(k, "--rss-section") && i + 1 < argc)
            rss_section = argv[++i];
        else if (!strcmp(k, "--vs") && i + 3 < argc) {
            if (nvs == MAXCMD)
                die("too many --vs");
            for (int j = 0; j < 3; j++)
                vs[nvs][j] = argv[i + 1 + j];
            nvs++;
            i += 3;
        }
        else if (!strcmp(k, "--base") && i + 2 < argc) {
            if (ncmd)
                die("--base must come first");
            add("base", argv[i + 1], argv[i + 2], 0);
            i += 2;
        } else if ((!strcmp(k, "--subj") || !strcmp(k, "--peer") || !strcmp(k, "--ref")) && i + 3 < argc) {
            command *c = add(argv[i + 1], argv[i + 2], argv[i + 3], strcmp(k, "--subj") != 0);
            c->ref = !strcmp(k, "--ref");
            i += 3;
        } else if (!strcmp(k, "--skip") && i + 3 < argc) {
            command *c = add(argv[i + 1], argv[i + 2], "true", 1);
            c->skipped = 1;
            snprintf(c->why, sizeof c->why, "%s", argv[i + 3]);
            i += 3;
        } else
            die("procbench: bad argument %s", k);
    }
    if (ncmd < 2 || rounds < 1 || rounds > BENCH_MAX_ROUNDS || batch < 1)
        die("procbench: need --base and at least one subject");
    /* warm-up (page cache, dynamic loader caches) and the check that each command works */
    for (int i = 0; i < ncmd; i++) {
        long r;
        if (cmds[i].skipped)
            continue;
        if (run_once(&cmds[i], &r) < 0) {
            if (!cmds[i].peer)
                die("%s (%s) failed: %s", cmds[i].name, cmds[i].argv[0], cmds[i].why);
            cmds[i].skipped = 1;
            fprintf(stderr, "procbench: skipping %s: %s\n", cmds[i].name, cmds[i].why);
        }
    }
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < ncmd; k++) {
            command *c = &cmds[(k + r) % ncmd];
            if (c->skipped)
                continue;
            int64_t t = 0;
            long peak = 0;
            for (int b = 0; b < batch; b++) {
                long m = 0;
                int64_t dt = run_once(c, &m);
                if (dt < 0) {
                    if (!c->peer)
                        die("%s failed in round %d: %s", c->name, r, c->why);
                    c->skipped = 1;
                    break;
                }
                t += dt;
                if (m > peak)
                    peak = m;
            }
            c->ms[r] = (double)t / batch / 1e6;
            c->rss[r] = (double)peak / 1024.0;
        }
    }
    char params[96];
    snprintf(params, sizeof params, "\"batch\":%d,\"how\":\"%s\"", batch,
             ready ? "fork to the command's exec, from a small C driver" : "fork+exec+wait4 from a small C driver");
    command *base = &cmds[0];
    for (int i = 1; i < ncmd; i++) {
        command *c = &cmds[i];
        if (c->ref)
            continue;
        if (c->skipped)
            emit_skip(c->id, section, c->name, base->name, c->why[0] ? c->why : "failed");
        else
            emit(c->id, section, c->name, base->name, "ms/run", "lower", c->ms, base->ms, rounds, params);
    }
    for (int i = 0; i < nvs; i++) {
        command *s = find(vs[i][1]), *p = find(vs[i][2]), *gone = s->skipped ? s : p;
        if (s->skipped || p->skipped)
            emit_skip(vs[i][0], section, s->name, p->name, gone->why[0] ? gone->why : "failed");
        else
            emit(vs[i][0], section, s->name, p->name, "ms/run", "lower", s->ms, p->ms, rounds, params);
    }
    if (rss) {
        command *subj = NULL;
        for (int i = 1; i < ncmd; i++)
            if (rss_subject && !strcmp(cmds[i].id, rss_subject))
                subj = &cmds[i];
        if (!subj)
            die("--rss needs --rss-subject naming a subject");
        snprintf(params, sizeof params, "\"how\":\"wait4 ru_maxrss (GNU time %%M), max of %d runs per round\"", batch);
        for (int i = 0; i < ncmd; i++) {
            command *c = &cmds[i];
            if (c == subj)
                continue;
            char id[128];
            snprintf(id, sizeof id, "%s.rss.%s", subj->id, c->id);
            if (c->skipped)
                emit_skip(id, rss_section, subj->name, c->name, c->why[0] ? c->why : "failed");
            else
                emit(id, rss_section, subj->name, c->name, "MiB", "lower", subj->rss, c->rss, rounds, params);
        }
    }
    return 0;
}

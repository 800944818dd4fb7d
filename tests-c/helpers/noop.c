/* noop.c - the command of the join-exposure tests: built static, it opens no file (no dynamic
 * loader), so any fd above 2 that a watcher finds in it was not meant for it. */
int main(void)
{
    return 0;
}

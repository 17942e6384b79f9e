#include "postern_posix.h"
#include <string.h>
#include <sys/ioctl.h>

FILE *postern_stdin(void) { return stdin; }
FILE *postern_stdout(void) { return stdout; }
FILE *postern_stderr(void) { return stderr; }

static volatile sig_atomic_t interrupt_pending = 0;

static void on_interrupt(int sig) {
    (void)sig;
    interrupt_pending = 1;
}

int postern_install_interrupt_handler(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; // no SA_RESTART: a blocked read must return EINTR
    return sigaction(SIGINT, &sa, NULL);
}

static volatile sig_atomic_t hangup_received = 0;

static void on_hangup(int sig) {
    (void)sig;
    hangup_received = 1;
}

int postern_install_hangup_handler(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_hangup;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    return sigaction(SIGHUP, &sa, NULL);
}

int postern_hangup_received(void) { return hangup_received; }

int postern_take_interrupt(void) {
    int was = interrupt_pending;
    interrupt_pending = 0;
    return was;
}

int postern_terminal_rows(int fd) {
    struct winsize size;
    if (ioctl(fd, TIOCGWINSZ, &size) != 0) return 0;
    return size.ws_row;
}

static volatile sig_atomic_t idle_expired = 0;

static void on_alarm(int sig) {
    (void)sig;
    idle_expired = 1;
}

int postern_install_idle_handler(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    return sigaction(SIGALRM, &sa, NULL);
}

int postern_idle_expired(void) { return idle_expired; }

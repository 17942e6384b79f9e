#include "postern_editline.h"
#include "postern_posix.h"
#include <string.h>
#include <sys/ioctl.h>

EditLine *postern_el_init(const char *program) { return el_init(program, stdin, stdout, stderr); }
int postern_el_set_prompt(EditLine *el, postern_prompt_fn fn) { return el_set(el, EL_PROMPT, fn); }
int postern_el_set_editor(EditLine *el, const char *mode) { return el_set(el, EL_EDITOR, mode); }
int postern_el_set_signal(EditLine *el, int on) { return el_set(el, EL_SIGNAL, on); }
int postern_el_set_history(EditLine *el, History *h) { return el_set(el, EL_HIST, history, h); }
int postern_el_add_function(EditLine *el, const char *name, const char *help, postern_el_fn fn) {
    return el_set(el, EL_ADDFN, name, help, fn);
}
int postern_el_bind(EditLine *el, const char *key, const char *function) {
    return el_set(el, EL_BIND, key, function, NULL);
}
int postern_el_set_clientdata(EditLine *el, void *data) { return el_set(el, EL_CLIENTDATA, data); }
void *postern_el_get_clientdata(EditLine *el) {
    void *data = NULL;
    el_get(el, EL_CLIENTDATA, &data);
    return data;
}
int postern_el_source_default(EditLine *el) { return el_source(el, NULL); }

History *postern_history_init(int size) {
    History *h = history_init();
    HistEvent ev;
    if (h != NULL) {
        history(h, &ev, H_SETSIZE, size);
        history(h, &ev, H_SETUNIQUE, 1);
    }
    return h;
}
int postern_history_enter(History *h, const char *line) { HistEvent ev; return history(h, &ev, H_ENTER, line); }
int postern_history_load(History *h, const char *path) { HistEvent ev; return history(h, &ev, H_LOAD, path); }
int postern_history_save(History *h, const char *path) { HistEvent ev; return history(h, &ev, H_SAVE, path); }

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

#include "postern_editline.h"

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

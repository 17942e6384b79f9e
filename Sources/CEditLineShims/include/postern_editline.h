#ifndef POSTERN_EDITLINE_H
#define POSTERN_EDITLINE_H
// el_set, el_get and history are C-variadic; Swift cannot call them. One fixed wrapper per use.
#include <stdio.h>
#include <histedit.h>

typedef char *(*postern_prompt_fn)(EditLine *);
typedef unsigned char (*postern_el_fn)(EditLine *, int);

EditLine *postern_el_init(const char *program);
int postern_el_set_prompt(EditLine *el, postern_prompt_fn fn);
int postern_el_set_editor(EditLine *el, const char *mode);
int postern_el_set_signal(EditLine *el, int on);
int postern_el_set_history(EditLine *el, History *h);
int postern_el_add_function(EditLine *el, const char *name, const char *help, postern_el_fn fn);
int postern_el_bind(EditLine *el, const char *key, const char *function);
int postern_el_set_clientdata(EditLine *el, void *data);
void *postern_el_get_clientdata(EditLine *el);
int postern_el_source_default(EditLine *el);

History *postern_history_init(int size);
int postern_history_enter(History *h, const char *line);
int postern_history_load(History *h, const char *path);
int postern_history_save(History *h, const char *path);
#endif
